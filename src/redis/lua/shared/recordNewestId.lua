--[[
  recordNewestId(key, candidate, ttlSeconds): stores the snowflake `candidate` in the STRING `key` (expiring
  `ttlSeconds` from now) unless a newer (or the same) id is already there, so two gateway replicas, or events
  of one channel handled out of order, never move it back.

  The write comes first (SET … GET answers the id it replaced), since the candidate is nearly always the newest:
  one command instead of a read and a write. When an older candidate replaced a newer id, the newer one is put
  back at once (the script is atomic, so no reader sees the older); its TTL is then the one just set, which is
  never shorter than the one it had.

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

-- Writes `candidate`; puts `current` back when it was newer. Returns 1 when `candidate` stays, else 0.
local function keepNewerId(key, candidate, current)
  if not current or isNewerId(candidate, current) then
    return 1
  end
  if current ~= candidate then
    redis.call('SET', key, current, 'KEEPTTL')
  end
  return 0
end

local function recordNewestId(key, candidate, ttlSeconds)
  return keepNewerId(key, candidate, redis.call('SET', key, candidate, 'EX', ttlSeconds, 'GET'))
end

local function recordNewestIds(latestKey, humanKey, candidate, ttlSeconds, human)
  local current = redis.call('SET', latestKey, candidate, 'EX', ttlSeconds, 'GET')
  local stored = keepNewerId(latestKey, candidate, current)
  if human then
    if stored == 1 and current then
      redis.call('SET', humanKey, candidate, 'EX', ttlSeconds)
    else
      recordNewestId(humanKey, candidate, ttlSeconds)
    end
  end
  return stored
end
