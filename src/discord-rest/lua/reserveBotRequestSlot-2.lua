--[[
  Reserves a send time for one bot-token request on the fleet-wide limiter of the bot's global rate limit
  (Discord: `limit` requests per second per bot token, whichever process sends them).

  Reservations are handed out in time order, each no earlier than the newest one, than the block, and than the
  `limit`-th newest plus the span (one second + margin): then no window of Discord's, wherever it opens, sees more
  than `limit` of them, and a burst of up to `limit` requests goes out at once. In `now` mode (typing indicators)
  the request takes a slot only if it can be sent at once; it never reserves ahead, so it never takes a slot from
  a request already waiting, and never waits itself.

  KEYS[1]  reservations (sorted set: score = send time, Unix ms, fractional; member = that time and ARGV[5])
  KEYS[2]  fleet-wide block (string: no bot-token request before this Unix ms, after a global 429)
  ARGV[1]  now, Unix ms
  ARGV[2]  limit: requests per window
  ARGV[3]  span, ms: Discord's one-second window plus the margin a request may take to reach Discord
  ARGV[4]  mode: 'wait' reserves the first free time; 'now' reserves only a time that is free now
  ARGV[5]  a caller-unique id, so requests reserved for the same time are distinct members
  Returns  ms to wait before sending (0 = now); -1 in `now` mode when no slot is free now (nothing reserved)
]]
local slotsKey = KEYS[1]
local blockKey = KEYS[2]
local now = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local span = tonumber(ARGV[3])
local mode = ARGV[4]
local requestId = ARGV[5]

-- Reservations older than one span no longer count against any window a new request falls in.
redis.call('ZREMRANGEBYSCORE', slotsKey, '-inf', string.format('(%.3f', now - span))

local at = math.max(now, tonumber(redis.call('GET', blockKey)) or 0)
local count = redis.call('ZCARD', slotsKey)
if count > 0 then
  local newest = redis.call('ZRANGE', slotsKey, -1, -1, 'WITHSCORES')
  at = math.max(at, tonumber(newest[2]))
end
if count >= limit then
  local limitThNewest = redis.call('ZRANGE', slotsKey, count - limit, count - limit, 'WITHSCORES')
  at = math.max(at, tonumber(limitThNewest[2]) + span)
end

if mode == 'now' and at > now then
  return -1
end

redis.call('ZADD', slotsKey, at, string.format('%.3f', at) .. ':' .. requestId)
local newestAt = tonumber(redis.call('ZRANGE', slotsKey, -1, -1, 'WITHSCORES')[2])
redis.call('PEXPIRE', slotsKey, math.ceil(newestAt - now + span) + 1000)
return math.ceil(at - now)
