--[[
  Writes one personality of one owner atomically: compare-and-set on its stored JSON, then releases the
  normalized names (name and aliases) it no longer uses and claims the ones it now uses. A name held by
  another of the owner's personalities refuses the whole write, so names and aliases stay unique per owner.
  A new personality is refused when the owner already has the most allowed: counted here, atomically, so
  concurrent creates cannot pass the cap together.

  KEYS[1] personalities   HASH id -> Personality JSON
  KEYS[2] names           HASH normalized name or alias -> id

  ARGV[1] id
  ARGV[2] the JSON read before the change ('' = the id must be new)
  ARGV[3] the new JSON
  ARGV[4] the most personalities the owner may have when this write creates one (0 = no cap)
  ARGV[5] how many names to release (n)
  ARGV[6 .. 5+n] names to release; ARGV[6+n ..] names to claim

  Returns
    { 1 }           written
    { -1 }          the id exists already (create: pick another id)
    { -2, name }    the name is taken by another personality of this owner
    { -3 }          no personality with this id
    { -4 }          it changed since it was read (read again and retry)
    { -5 }          the owner already has ARGV[4] personalities (create only)
]]
local personalitiesKey = KEYS[1]
local namesKey = KEYS[2]
local id = ARGV[1]
local expected = ARGV[2]
local maxPerOwner = tonumber(ARGV[4])
local releaseCount = tonumber(ARGV[5])

local current = redis.call('HGET', personalitiesKey, id)
if expected == '' then
  if current then
    return { -1 }
  end
  if maxPerOwner > 0 and redis.call('HLEN', personalitiesKey) >= maxPerOwner then
    return { -5 }
  end
elseif not current then
  return { -3 }
elseif current ~= expected then
  return { -4 }
end

for index = 6 + releaseCount, #ARGV do
  local holder = redis.call('HGET', namesKey, ARGV[index])
  if holder and holder ~= id then
    return { -2, ARGV[index] }
  end
end
for index = 6, 5 + releaseCount do
  if redis.call('HGET', namesKey, ARGV[index]) == id then
    redis.call('HDEL', namesKey, ARGV[index])
  end
end
for index = 6 + releaseCount, #ARGV do
  redis.call('HSET', namesKey, ARGV[index], id)
end
redis.call('HSET', personalitiesKey, id, ARGV[3])
return { 1 }
