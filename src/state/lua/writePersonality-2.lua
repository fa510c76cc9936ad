--[[
  Writes one personality of one owner atomically: compare-and-set on its stored JSON, then releases the
  normalized names (name and aliases) it no longer uses and claims the ones it now uses. A name held by
  another of the owner's personalities refuses the whole write, so names and aliases stay unique per owner.

  KEYS[1] personalities   HASH id -> Personality JSON
  KEYS[2] names           HASH normalized name or alias -> id

  ARGV[1] id
  ARGV[2] the JSON read before the change ('' = the id must be new)
  ARGV[3] the new JSON
  ARGV[4] how many names to release (n)
  ARGV[5 .. 4+n] names to release; ARGV[5+n ..] names to claim

  Returns
    { 1 }           written
    { -1 }          the id exists already (create: pick another id)
    { -2, name }    the name is taken by another personality of this owner
    { -3 }          no personality with this id
    { -4 }          it changed since it was read (read again and retry)
]]
local personalitiesKey = KEYS[1]
local namesKey = KEYS[2]
local id = ARGV[1]
local expected = ARGV[2]
local releaseCount = tonumber(ARGV[4])

local current = redis.call('HGET', personalitiesKey, id)
if expected == '' then
  if current then
    return { -1 }
  end
elseif not current then
  return { -3 }
elseif current ~= expected then
  return { -4 }
end

for index = 5 + releaseCount, #ARGV do
  local holder = redis.call('HGET', namesKey, ARGV[index])
  if holder and holder ~= id then
    return { -2, ARGV[index] }
  end
end
for index = 5, 4 + releaseCount do
  if redis.call('HGET', namesKey, ARGV[index]) == id then
    redis.call('HDEL', namesKey, ARGV[index])
  end
end
for index = 5 + releaseCount, #ARGV do
  redis.call('HSET', namesKey, ARGV[index], id)
end
redis.call('HSET', personalitiesKey, id, ARGV[3])
return { 1 }
