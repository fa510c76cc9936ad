--[[
  boundIndex(key, member, now, maxAgeMs, maxCount): records `member` at time `now` in a per-user index, a
  ZSET scored by time, and keeps it bounded: entries older than `maxAgeMs` go, then the oldest while more
  than `maxCount` remain (never `member` itself). Redis has no per-member expiry, so age and count are
  enforced here, on every write. An index still in the older SET shape is migrated first (its members dated
  `now`, so they age from here). The key expires `maxAgeMs` after its last write.

  Each step runs only when it can change something, since every caller is on a reply's path: the legacy
  shape is found by ZADD's WRONGTYPE error rather than a TYPE on each call; age pruning reads the range it
  would remove and removes only when that is not empty; the entries beyond the cap are read only when ZADD
  added a member (a member moved to `now` leaves the count as it was, so a lowered cap applies from the next
  new member).

  Returns the members it dropped, so the caller can delete what they point at.
]]
-- ZADD/ZREM take many members; unpack is bounded by Lua's stack, so go in slices.
local function indexCallInSlices(command, key, members, score)
  for start = 1, #members, 500 do
    local slice = {}
    for index = start, math.min(start + 499, #members) do
      if score then slice[#slice + 1] = score end
      slice[#slice + 1] = members[index]
    end
    redis.call(command, key, unpack(slice))
  end
end

local function boundIndex(key, member, now, maxAgeMs, maxCount)
  local added = redis.pcall('ZADD', key, now, member)
  local migrated = type(added) == 'table'
  if migrated then
    if redis.call('TYPE', key).ok == 'set' then
      local members = redis.call('SMEMBERS', key)
      redis.call('DEL', key)
      indexCallInSlices('ZADD', key, members, now)
    end
    -- Any other shape is not an index: this ZADD raises its error.
    added = redis.call('ZADD', key, now, member)
  end

  local cutoff = '(' .. (now - maxAgeMs)
  local dropped = redis.call('ZRANGEBYSCORE', key, '-inf', cutoff)
  if #dropped > 0 then
    redis.call('ZREMRANGEBYSCORE', key, '-inf', cutoff)
  end

  if added == 1 or migrated then
    -- The entries beyond the newest `maxCount`, by a negative rank (no count first), and one more: ties at `now`
    -- sort by name, so `member` may rank among the oldest, and is skipped.
    local oldest = redis.call('ZRANGE', key, 0, -math.max(maxCount, 1))
    local over = #oldest - 1
    if over > 0 then
      local beyond = {}
      for _, old in ipairs(oldest) do
        if old ~= member and #beyond < over then
          beyond[#beyond + 1] = old
          dropped[#dropped + 1] = old
        end
      end
      indexCallInSlices('ZREM', key, beyond)
    end
  end

  redis.call('PEXPIRE', key, maxAgeMs)
  return dropped
end
