--[[
  Releases a channel's find-or-create lock only if the caller still owns it (its lease may have expired and
  another worker taken the lock since).

  KEYS[1]  lock key (string: the owner's random token)
  ARGV[1]  the caller's token
  Returns  1 when released, 0 when the lock was not the caller's
]]
local lockKey = KEYS[1]
if redis.call('GET', lockKey) == ARGV[1] then
  return redis.call('DEL', lockKey)
end
return 0
