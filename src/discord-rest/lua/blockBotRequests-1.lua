--[[
  After Discord answered a bot-token request with a global 429: no bot-token request of the fleet before
  `now + delay`. Reservations made from here on start after it; one already made is sent as reserved (Discord
  itself told only the process that got the 429).

  KEYS[1]  fleet-wide block (string: no bot-token request before this Unix ms, fractional)
  ARGV[1]  now, Unix ms
  ARGV[2]  delay, ms (the 429's retry-after plus the margin)
  Returns  1 when the block was extended, 0 when it already reached as far
]]
local blockKey = KEYS[1]
local now = tonumber(ARGV[1])
local blockedUntil = now + tonumber(ARGV[2])

if (tonumber(redis.call('GET', blockKey)) or 0) >= blockedUntil then
  return 0
end
redis.call('SET', blockKey, string.format('%.3f', blockedUntil), 'PX', math.ceil(blockedUntil - now) + 1000)
return 1
