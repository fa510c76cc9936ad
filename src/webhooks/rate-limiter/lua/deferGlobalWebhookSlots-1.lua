--[[
  Blocks the fleet-wide webhook limiter until at least `now + delay`, after Discord answered a global 429: every
  process then waits it out instead of hitting the same wall (reservations read the block; waiters re-check it
  when they wake).

  KEYS[1]  fleet-wide block (string: no send before this Unix ms, fractional)
  ARGV[1]  now, Unix ms
  ARGV[2]  delay, ms (the 429's retry_after plus the margin)
  Returns  1 when the block moved, 0 when it already lay beyond
]]
local blockKey = KEYS[1]
local now = tonumber(ARGV[1])
local blockedUntil = now + tonumber(ARGV[2])

local current = tonumber(redis.call('GET', blockKey)) or 0
if current >= blockedUntil then
  return 0
end
redis.call('SET', blockKey, string.format('%.3f', blockedUntil), 'PX', math.ceil(blockedUntil - now) + 1000)
return 1
