--[[
  Claims one chunk of a reply for the attempt about to post it (see includes/claimChunk).

  KEYS[1] delivery record   HASH: `intent:<i>` = `<startedAtMs>:<leaseUntilMs>:<owner>`, `posted:<i>` = message id

  ARGV[1] chunk index
  ARGV[2] owner (the attempt's BullMQ lock token)
  ARGV[3] now (Unix ms)
  ARGV[4] lease (ms)
  ARGV[5] record TTL (s)

  Returns claimChunk's reply.
]]
--- @include "includes/claimChunk"

return claimChunk(KEYS[1], ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5])
