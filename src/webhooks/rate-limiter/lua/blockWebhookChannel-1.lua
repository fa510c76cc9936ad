--[[
  Pauses one channel after Discord answered a shared-scope 429 there (its hidden per-channel limit, or another
  shared one): every webhook of the channel's pool waits until `now + delay`, other channels do not.
  Reservations read the block; waiters re-check it when they wake.

  KEYS[1]  the channel's budget (hash field `blockedUntil`: Unix ms)
  ARGV[1]  now, Unix ms
  ARGV[2]  delay, ms (the 429's retry_after plus the margin)
  ARGV[3]  how long the channel keeps its state once the block is over, ms
  Returns  the channel's blockedUntil, Unix ms
]]
local channelKey = KEYS[1]
local now = tonumber(ARGV[1])
local blockedUntil = math.max(now + tonumber(ARGV[2]), tonumber(redis.call('HGET', channelKey, 'blockedUntil')) or 0)
redis.call('HSET', channelKey, 'blockedUntil', string.format('%.0f', blockedUntil))
local ttlMs = math.ceil(blockedUntil - now) + tonumber(ARGV[3])
if redis.call('PTTL', channelKey) < ttlMs then
  redis.call('PEXPIRE', channelKey, ttlMs)
end
return blockedUntil
