--[[
  trimByScore(orderKey, linesKey, cutoff, maxCount): drops from a ZSET of message ids (scored by time) the
  entries scored below `cutoff`, then the lowest while more than `maxCount` remain, and deletes the dropped ids'
  fields from the HASH beside it. Redis has no per-field expiry, so age and count are enforced on every write.

  Returns how many it dropped.
]]
local function trimByScore(orderKey, linesKey, cutoff, maxCount)
  local dropped = redis.call('ZRANGEBYSCORE', orderKey, '-inf', '(' .. cutoff)
  -- Both bounds drop from the oldest end, so what goes is the longer of the two: the aged entries, or all but
  -- the newest `maxCount` (read by a negative rank, without counting first).
  local beyondCount = redis.call('ZRANGE', orderKey, 0, -(maxCount + 1))
  if #beyondCount > #dropped then
    dropped = beyondCount
  end
  -- HDEL/ZREM take many members; unpack is bounded by Lua's stack, so go in slices.
  for start = 1, #dropped, 500 do
    local slice = { unpack(dropped, start, math.min(start + 499, #dropped)) }
    redis.call('ZREM', orderKey, unpack(slice))
    redis.call('HDEL', linesKey, unpack(slice))
  end
  return #dropped
end
