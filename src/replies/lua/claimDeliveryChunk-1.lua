--[[
  Claims one chunk of a reply for the attempt about to post it (see includes/claimChunk).

  KEYS[1] delivery record   HASH: `intent:<i>` = `<startedAtMs>:<leaseUntilMs>:<owner>`, `posted:<i>` = message id

  ARGV[1] chunk index
  ARGV[2] owner (the attempt's BullMQ lock token)
  ARGV[3] now (Unix ms)
  ARGV[4] lease (ms)
  ARGV[5] record TTL (s), refreshed when the chunk is claimed

  Returns claimChunk's reply.
]]
--- @include "includes/claimChunk"

local claim = claimChunk(KEYS[1], ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]))
if claim[1] >= 3 then
  redis.call('EXPIRE', KEYS[1], ARGV[5])
end
return claim
