--[[
  trimByScore(orderKey, linesKey, cutoff, maxCount, aged, slack): drops from a ZSET of message ids (scored by
  time) the entries scored below `cutoff`, then the lowest while more than `maxCount` remain, and deletes the
  dropped ids' fields from the HASH beside it. Redis has no per-field expiry, so age and count are enforced on
  writes. With `slack` (default 0), up to that many entries may stand beyond `maxCount` before the count bound
  drops them all: a full window then trims once per `slack + 1` new entries, not on every one.

  A member whose name opens with `~` is no message but the keys' own mark (appendLines', scored -inf, so first):
  never dropped nor counted. `aged` is the caller's earlier read of the range below `cutoff` (readAged), marks
  included, when it has one: not read again. With `maxCount` false the count is not checked (no entry was added).

  Returns how many it dropped.
]]
local function isMark(member)
  return string.byte(member, 1) == 126
end

-- The members scored below `cutoff`: the aged lines, and the marks first.
local function readAged(orderKey, cutoff)
  local lines, marks = {}, {}
  for _, member in ipairs(redis.call('ZRANGEBYSCORE', orderKey, '-inf', '(' .. cutoff)) do
    if isMark(member) then
      marks[#marks + 1] = member
    else
      lines[#lines + 1] = member
    end
  end
  return lines, marks
end

local function trimByScore(orderKey, linesKey, cutoff, maxCount, aged, slack)
  local dropped, marks = aged and aged.lines, aged and aged.marks
  if not dropped then
    dropped, marks = readAged(orderKey, cutoff)
  end
  if maxCount then
    -- Both bounds drop from the oldest end, so what goes is the longer of the two: the aged entries, or all but
    -- the newest `maxCount` (read by a negative rank past the marks, without counting first).
    local beyondCount = redis.call('ZRANGE', orderKey, #marks, -(maxCount + 1))
    if #beyondCount > #dropped and #beyondCount > (slack or 0) then
      dropped = beyondCount
    end
  end
  -- HDEL/ZREM take many members; unpack is bounded by Lua's stack, so go in slices.
  for start = 1, #dropped, 500 do
    local slice = { unpack(dropped, start, math.min(start + 499, #dropped)) }
    redis.call('ZREM', orderKey, unpack(slice))
    redis.call('HDEL', linesKey, unpack(slice))
  end
  return #dropped
end
