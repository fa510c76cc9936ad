--[[
  Pushes the fleet-wide webhook limiter's first free slot to at least `now + delay`, after Discord answered a
  global 429: every process then waits it out instead of hitting the same wall.

  KEYS[1]  global rate key (string: first free slot, Unix ms, fractional)
  ARGV[1]  now, Unix ms
  ARGV[2]  delay, ms (the 429's retry_after plus the margin)
  Returns  1 when the slot moved, 0 when it already lay beyond
]]
local rateKey = KEYS[1]
local now = tonumber(ARGV[1])
local blockedUntil = now + tonumber(ARGV[2])

local firstFree = tonumber(redis.call('GET', rateKey)) or 0
if firstFree >= blockedUntil then
  return 0
end
redis.call('SET', rateKey, string.format('%.3f', blockedUntil), 'PX', math.ceil(blockedUntil - now) + 1000)
return 1
