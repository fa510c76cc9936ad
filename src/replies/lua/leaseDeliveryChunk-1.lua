--[[
  Moves the end of an attempt's claim on a chunk: forward while its post is still running (a heartbeat, so the
  claim outlives a slow post but not a dead worker by more than one lease), or to now once the post failed,
  so the next attempt looks for the chunk and posts it without waiting. A claim another attempt has taken
  since is left alone.

  KEYS[1] delivery record   HASH: `intent:<i>` = `<startedAtMs>:<leaseUntilMs>:<owner>`

  ARGV[1] chunk index
  ARGV[2] owner (the attempt's BullMQ lock token)
  ARGV[3] new end of the lease (Unix ms)

  Returns 1 when the claim was this owner's and was moved, 0 otherwise.
]]
--- @include "includes/ownClaimStart"

local startedAt = ownClaimStart(KEYS[1], ARGV[1], ARGV[2])
if not startedAt then
  return 0
end
redis.call('HSET', KEYS[1], 'intent:' .. ARGV[1], startedAt .. ':' .. ARGV[3] .. ':' .. ARGV[2])
return 1
