--[[
  Reserves a send slot on one webhook's execute bucket (Discord: `limit` per `window`, a fixed window opening
  at its first request). Shared by every worker, so two processes never spend the same slot.

  Rule (mirrored by computeBucketFreeAt in bucket-state.ts): slots are handed out in order; a slot comes no
  earlier than the newest one, than `blockedUntil`, and than the `limit`-th newest plus window + margin. Then
  no window of Discord's, wherever it opens, sees more than `limit` of them.

  KEYS[1]  bucket key (hash: limit, windowMs, blockedUntil, slots = ascending Unix ms, comma-separated)
  ARGV[1]  now, Unix ms
  ARGV[2]  limit to assume until Discord told one
  ARGV[3]  window (ms) to assume until Discord told one
  ARGV[4]  safety margin, ms
  ARGV[5]  how long an idle bucket keeps what it learned, ms
  Returns  ms to wait before sending (0 = send now)
]]
local bucketKey = KEYS[1]
local now = tonumber(ARGV[1])
local marginMs = tonumber(ARGV[4])
local idleTtlMs = tonumber(ARGV[5])

local state = redis.call('HMGET', bucketKey, 'limit', 'windowMs', 'blockedUntil', 'slots')
local limit = math.max(1, tonumber(state[1]) or tonumber(ARGV[2]))
local span = (tonumber(state[2]) or tonumber(ARGV[3])) + marginMs
local blockedUntil = tonumber(state[3]) or 0

local slots = {}
if state[4] then
  for value in string.gmatch(state[4], '[^,]+') do
    local slot = tonumber(value)
    if slot and slot > now - span then
      slots[#slots + 1] = slot
    end
  end
end

local slot = math.max(now, blockedUntil)
if #slots > 0 then
  slot = math.max(slot, slots[#slots])
end
if #slots >= limit then
  slot = math.max(slot, slots[#slots - limit + 1] + span)
end
slots[#slots + 1] = slot

-- Only the newest `limit` slots can hold back a later reservation.
local kept = {}
for i = math.max(1, #slots - limit + 1), #slots do
  kept[#kept + 1] = string.format('%.0f', slots[i])
end
redis.call('HSET', bucketKey, 'slots', table.concat(kept, ','))
redis.call('PEXPIRE', bucketKey, math.ceil(slot - now + span) + idleTtlMs)
return math.ceil(slot - now)
