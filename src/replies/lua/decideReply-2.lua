--[[
  Records a job's answer once and claims its first chunk for the attempt about to post it: the one write
  between the AI's answer and the first post. The first attempt's decision wins, so a retry never posts a
  different answer; the claim is for chunk 0 of whichever decision is recorded.

  KEYS[1] delivery record   HASH: `decision` = decision JSON, `intent:<i>`, `posted:<i>` (see includes/claimChunk)
  KEYS[2] delivery index    ZSET of the user's job ids with a record, scored by decision time (for /forget-me)

  ARGV[1] decision JSON
  ARGV[2] job id
  ARGV[3] record TTL (s)
  ARGV[4] owner (the attempt's BullMQ lock token)
  ARGV[5] now (Unix ms)
  ARGV[6] lease (ms)
  ARGV[7] most job ids the index keeps (the oldest beyond it go)

  Returns { recorded decision JSON, job ids dropped from the index (their records are the caller's to
  delete), claimChunk's reply... }
]]
--- @include "includes/claimChunk"
--- @include "shared/boundIndex"

local now = tonumber(ARGV[5])
-- One read for the decision and the chunk's claim: only an earlier attempt's decision needs reading back, and a
-- first decision is written in the claim's own HSET (alone when the chunk is not claimed).
local fields = redis.call('HMGET', KEYS[1], 'decision', 'posted:0', 'intent:0')
local decision = fields[1]
local write = {}
if not decision then
  decision = ARGV[1]
  write = { 'decision', decision }
end
local dropped = boundIndex(KEYS[2], ARGV[2], now, tonumber(ARGV[3]) * 1000, tonumber(ARGV[7]))
local claim = claimReadChunk(KEYS[1], '0', ARGV[4], now, tonumber(ARGV[6]), fields[2], fields[3], unpack(write))
if claim[1] < 3 and #write > 0 then
  redis.call('HSET', KEYS[1], unpack(write))
end
redis.call('EXPIRE', KEYS[1], ARGV[3])
return { decision, dropped, unpack(claim) }
