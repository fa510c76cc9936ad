--[[
  recordNewestId(key, candidate, ttlSeconds): stores the snowflake `candidate` in the STRING `key` (expiring
  `ttlSeconds` from now) unless a newer (or the same) id is already there, so two gateway replicas, or events
  of one channel handled out of order, never move it back.

  Snowflakes exceed a Lua number's 53-bit precision, so they compare as decimal strings (no leading zeros): a
  longer one is larger, equal lengths compare as text.

  Returns 1 when stored, 0 when a newer (or the same) id was already there.

  recordNewestIds(latestKey, humanKey, candidate, ttlSeconds, human): the same for a channel's newest message
  and, when a person wrote it, its newest human message. The human id is never above the newest (every write
  of it writes the newest too, with the same TTL), so a candidate newer than a recorded newest is newer than
  the human one as well: stored without reading it. Returns recordNewestId's reply for `latestKey`.
]]
local function isNewerId(candidate, current)
  return #candidate > #current or (#candidate == #current and candidate > current)
end

local function recordNewestId(key, candidate, ttlSeconds)
  local current = redis.call('GET', key)
  if current and not isNewerId(candidate, current) then
    return 0
  end
  redis.call('SET', key, candidate, 'EX', ttlSeconds)
  return 1
end

local function recordNewestIds(latestKey, humanKey, candidate, ttlSeconds, human)
  local current = redis.call('GET', latestKey)
  local newer = not current or isNewerId(candidate, current)
  if newer then
    redis.call('SET', latestKey, candidate, 'EX', ttlSeconds)
  end
  if human then
    if newer and current then
      redis.call('SET', humanKey, candidate, 'EX', ttlSeconds)
    else
      recordNewestId(humanKey, candidate, ttlSeconds)
    end
  end
  return newer and 1 or 0
end
