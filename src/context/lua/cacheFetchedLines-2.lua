--[[
  Caches reply-chain ancestors fetched from Discord (messages older than the window, or sent while no gateway
  ran), so a chain costs its REST calls once. Bounded by the time they were fetched (entries older than the
  window's age go) and by count; both keys expire the window's age after this write.

  KEYS[1] fetched         HASH message id -> line JSON
  KEYS[2] fetched order   ZSET message id -> fetched at (Unix ms)

  ARGV[1] now (Unix ms)
  ARGV[2] the window's age (ms)
  ARGV[3] most lines kept
  ARGV[4 ..] pairs: message id, line JSON

  Returns how many lines are cached now.
]]
--- @include "includes/trimByScore"

local fetchedKey, orderKey = KEYS[1], KEYS[2]
local now = tonumber(ARGV[1])
local maxAgeMs = tonumber(ARGV[2])

for index = 4, #ARGV, 2 do
  redis.call('HSET', fetchedKey, ARGV[index], ARGV[index + 1])
  redis.call('ZADD', orderKey, now, ARGV[index])
end

trimByScore(orderKey, fetchedKey, now - maxAgeMs, tonumber(ARGV[3]))
redis.call('PEXPIRE', fetchedKey, maxAgeMs)
redis.call('PEXPIRE', orderKey, maxAgeMs)
return redis.call('ZCARD', orderKey)
