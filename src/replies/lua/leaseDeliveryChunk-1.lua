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
local field = 'intent:' .. ARGV[1]
local intent = redis.call('HGET', KEYS[1], field)
if not intent then
  return 0
end
local startedAt, _, holder = string.match(intent, '^(%d+):(%d+):(.*)$')
if startedAt == nil or holder ~= ARGV[2] then
  return 0
end
redis.call('HSET', KEYS[1], field, startedAt .. ':' .. ARGV[3] .. ':' .. holder)
return 1
