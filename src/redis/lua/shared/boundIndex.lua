--[[
  boundIndex(key, member, now, maxAgeMs, maxCount): records `member` at time `now` in a per-user index, a
  ZSET scored by time, and keeps it bounded: entries older than `maxAgeMs` go, then the oldest while more
  than `maxCount` remain (never `member` itself). Redis has no per-member expiry, so age and count are
  enforced here, on every write. An index still in the older SET shape is migrated first (its members dated
  `now`, so they age from here). The key expires `maxAgeMs` after its last write.

  Returns the members it dropped, so the caller can delete what they point at.
]]
local function boundIndex(key, member, now, maxAgeMs, maxCount)
  if redis.call('TYPE', key).ok == 'set' then
    local members = redis.call('SMEMBERS', key)
    redis.call('DEL', key)
    for _, old in ipairs(members) do
      redis.call('ZADD', key, now, old)
    end
  end
  redis.call('ZREM', key, member)
  local oldest = '(' .. (now - maxAgeMs)
  local dropped = redis.call('ZRANGEBYSCORE', key, '-inf', oldest)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', oldest)
  -- Room for `member`, added last so that it is never the one dropped.
  local over = redis.call('ZCARD', key) - (maxCount - 1)
  if over > 0 then
    for _, old in ipairs(redis.call('ZRANGE', key, 0, over - 1)) do
      dropped[#dropped + 1] = old
    end
    redis.call('ZREMRANGEBYRANK', key, 0, over - 1)
  end
  redis.call('ZADD', key, now, member)
  redis.call('PEXPIRE', key, maxAgeMs)
  return dropped
end
