--[[
  Looks up normalized names (or aliases) among one owner's personalities.

  KEYS[1] names           HASH normalized name or alias -> id
  KEYS[2] personalities   HASH id -> Personality JSON

  ARGV[1 ..] normalized names

  Returns one entry per name, in order: the Personality JSON, or nil.
]]
local result = {}
for index, name in ipairs(ARGV) do
  local id = redis.call('HGET', KEYS[1], name)
  result[index] = id and redis.call('HGET', KEYS[2], id) or false
end
return result
