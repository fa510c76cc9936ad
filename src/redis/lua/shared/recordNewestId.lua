--[[
  recordNewestId(key, candidate, ttlSeconds): stores the snowflake `candidate` in the STRING `key` (expiring
  `ttlSeconds` from now) unless a newer (or the same) id is already there, so two gateway replicas, or events
  of one channel handled out of order, never move it back.

  Snowflakes exceed a Lua number's 53-bit precision, so they compare as decimal strings (no leading zeros): a
  longer one is larger, equal lengths compare as text.

  Returns 1 when stored, 0 when a newer (or the same) id was already there.
]]
local function recordNewestId(key, candidate, ttlSeconds)
  local current = redis.call('GET', key)
  if current and (#current > #candidate or (#current == #candidate and current >= candidate)) then
    return 0
  end
  redis.call('SET', key, candidate, 'EX', ttlSeconds)
  return 1
end
