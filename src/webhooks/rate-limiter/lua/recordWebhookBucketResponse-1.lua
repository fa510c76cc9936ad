--[[
  Records what a Discord response said about one webhook's execute bucket, so every worker waits on it:
  the limit; the window length (from the first request of a window, whose reset-after is the whole window);
  a block until the reset when nothing remains, or until a 429's retry_after plus the margin; and, when
  Discord has counted more requests in its open window than we reserved (another client, or the bucket hash
  just learned), slots at that window's start until our count matches Discord's. The caller runs it only for a
  response that changes any of this (bucket-expectation.ts, on what the reservation returned) or a 429.

  KEYS[1]  bucket key (hash: limit, windowMs, blockedUntil, slots = ascending Unix ms, comma-separated,
           keptUntil = Unix ms before which the key does not expire, which reservations rely on)
  ARGV[1]  now, Unix ms
  ARGV[2]  X-RateLimit-Limit, or -1 when absent
  ARGV[3]  X-RateLimit-Remaining, or -1 when absent
  ARGV[4]  X-RateLimit-Reset-After in ms, or -1 when absent
  ARGV[5]  the 429's retry_after in ms, or -1 when this was not a 429 on this bucket
  ARGV[6]  safety margin, ms
  ARGV[7]  how long an idle bucket keeps what it learned, ms
  ARGV[8]  window (ms) to assume until Discord told one
  Returns  the bucket's blockedUntil, Unix ms (0 when not blocked)
]]
--- @include "includes/bucketSlots"
local bucketKey = KEYS[1]
local now = tonumber(ARGV[1])
local reportedLimit = tonumber(ARGV[2])
local remaining = tonumber(ARGV[3])
local resetAfterMs = tonumber(ARGV[4])
local retryAfterMs = tonumber(ARGV[5])
local marginMs = tonumber(ARGV[6])
local idleTtlMs = tonumber(ARGV[7])

local state = redis.call('HMGET', bucketKey, 'windowMs', 'blockedUntil', 'slots', 'keptUntil')
local windowMs = tonumber(state[1]) or tonumber(ARGV[8])
local blockedUntil = tonumber(state[2]) or 0

if reportedLimit >= 1 then
  redis.call('HSET', bucketKey, 'limit', reportedLimit)
  if remaining == reportedLimit - 1 and resetAfterMs > 0 then
    windowMs = resetAfterMs
    redis.call('HSET', bucketKey, 'windowMs', windowMs)
  end
end
-- An empty bucket reopens when Discord said: `now` is after Discord wrote reset-after, and a request sent later
-- arrives later still, so no margin is due. (Adding one held every send of the next window back behind the slot
-- the margin already spaced it to: a lag that grew window by window until slots went stale.)
if remaining == 0 and resetAfterMs >= 0 then
  blockedUntil = math.max(blockedUntil, now + resetAfterMs)
end
if retryAfterMs >= 0 then
  blockedUntil = math.max(blockedUntil, now + retryAfterMs + marginMs)
end
if blockedUntil > now then
  redis.call('HSET', bucketKey, 'blockedUntil', string.format('%.0f', blockedUntil))
end

if reportedLimit >= 1 and remaining >= 0 and resetAfterMs >= 0 then
  -- Discord's open window started `window - reset-after` ago; a slot of ours counts in it if it was sent since
  -- (less the margin it may have taken to arrive). Missing ones are added at the window's start.
  local windowStart = math.min(now, now + resetAfterMs - windowMs)
  local slots = readBucketSlots(state[3], -math.huge)
  local counted = 0
  for _, slot in ipairs(slots) do
    if slot > windowStart - marginMs and slot <= now then
      counted = counted + 1
    end
  end
  local missing = (reportedLimit - remaining) - counted
  if missing > 0 then
    for _ = 1, missing do
      slots[#slots + 1] = windowStart
    end
    table.sort(slots)
    saveNewestBucketSlots(bucketKey, slots, reportedLimit)
  end
end

-- Never sooner than `keptUntil`: a reservation moves the TTL only when that would come too soon.
local ttlMs = math.ceil(math.max(blockedUntil - now, 0) + windowMs + marginMs) + idleTtlMs
redis.call('PEXPIRE', bucketKey, math.max(ttlMs, math.ceil((tonumber(state[4]) or 0) - now)))
if blockedUntil > now then
  return blockedUntil
end
return 0
