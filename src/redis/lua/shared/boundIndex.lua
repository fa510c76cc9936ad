--[[
  boundIndex(key, member, now, maxAgeMs, maxCount): records `member` at time `now` in a per-user index, a
  ZSET scored by time, and keeps it bounded: it never holds more than `maxCount` entries once a member is
  added (the oldest go, never `member` itself), and entries older than `maxAgeMs` go when the index is full.
  Redis has no per-member expiry, so the bounds are enforced here. An index still in the older SET shape is
  migrated first (its members dated `now`, so they age from here). The key expires `maxAgeMs` after its last
  write.

  Each step runs only when it can change something, since every caller is on a reply's path: the legacy
  shape is found by ZADD's WRONGTYPE error rather than a TYPE on each call; a member moved to `now` leaves the
  count as it was, so nothing else is read (a lowered cap applies from the next new member); a new member reads
  only the entries beyond the cap, which are also the oldest, so the age is checked on those. An index below
  its cap may therefore keep entries older than `maxAgeMs` until it fills or expires: readers take every
  member as possibly stale (their targets expired with the same age, so deleting them is a no-op).

  Returns the members it dropped, oldest first, so the caller can delete what they point at.
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

  local dropped = {}
  if added == 1 or migrated then
    local cutoff = now - maxAgeMs
    -- The entries beyond the newest `maxCount`, by a negative rank (no count first), and one more: ties at `now`
    -- sort by name, so `member` may rank among the oldest, and is skipped.
    local oldest = redis.call('ZRANGE', key, 0, -math.max(maxCount, 1), 'WITHSCORES')
    local over = #oldest / 2 - 1
    if #oldest > 0 and tonumber(oldest[#oldest]) < cutoff then
      -- Even the newest of them is past the age, so more may be: drop every aged entry (at least `over`).
      dropped = redis.call('ZRANGEBYSCORE', key, '-inf', '(' .. cutoff)
      redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. cutoff)
    elseif over > 0 then
      -- Aged entries first (they rank first), then the oldest until no more than `maxCount` remain.
      for index = 1, #oldest, 2 do
        local old = oldest[index]
        if old ~= member and (#dropped < over or tonumber(oldest[index + 1]) < cutoff) then
          dropped[#dropped + 1] = old
        end
      end
      if #dropped > 0 then
        indexCallInSlices('ZREM', key, dropped)
      end
    end
  end

  redis.call('PEXPIRE', key, maxAgeMs)
  return dropped
end
