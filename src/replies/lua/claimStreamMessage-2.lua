--[[
  Claims message <i> of a streamed reply for the attempt about to post it, under the stream's lease (see
  includes/takeStreamLease, includes/claimChunk), and keeps the content it posts (`draft:<i>`): until its id
  is recorded, a retry finds a maybe-posted message by that content, since the final text is not known yet.
  Indexes the record for /forget-me, as decideReply does (a streamed reply has no decision until it ends).

  KEYS[1] delivery record   HASH: `stream`, `intent:<i>`, `posted:<i>`, `draft:<i>` = the content first posted
  KEYS[2] delivery index    ZSET of the user's job ids with a record, scored by time (for /forget-me)

  ARGV[1] message index
  ARGV[2] owner (the attempt's BullMQ lock token)
  ARGV[3] now (Unix ms)
  ARGV[4] lease (ms): of the claim and of the stream
  ARGV[5] record TTL (s)
  ARGV[6] the content the attempt posts
  ARGV[7] job id
  ARGV[8] most job ids the index keeps (the oldest beyond it go)

  Returns { job ids dropped from the index (their records are the caller's to delete), claimChunk's reply... },
  with claimChunk's busy reply { 2, leaseUntil } when another attempt holds the stream's lease.
]]
--- @include "includes/claimChunk"
--- @include "includes/takeStreamLease"
--- @include "shared/boundIndex"

local now = tonumber(ARGV[3])
local leaseMs = tonumber(ARGV[4])
local busyUntil = streamLeaseBusyUntil(KEYS[1], ARGV[2], now)
if busyUntil then
  return { {}, 2, busyUntil }
end
local dropped = boundIndex(KEYS[2], ARGV[7], now, tonumber(ARGV[5]) * 1000, tonumber(ARGV[8]))
-- The stream's lease is written in the claim's HSET; a message not claimed (posted, or another attempt's claim
-- is live) still takes it.
local lease = streamLeaseValue(ARGV[2], now + leaseMs)
local claim = claimChunk(KEYS[1], ARGV[1], ARGV[2], now, leaseMs, 'draft:' .. ARGV[1], ARGV[6], 'stream', lease)
if claim[1] < 3 then
  redis.call('HSET', KEYS[1], 'stream', lease)
end
redis.call('EXPIRE', KEYS[1], ARGV[5])
return { dropped, unpack(claim) }
