--[[
  Deletes one personality of one owner with every name and alias pointing at it.

  KEYS[1] personalities   HASH id -> Personality JSON
  KEYS[2] names           HASH normalized name or alias -> id

  ARGV[1] id

  Returns 1 when deleted, -3 when there was no such personality.
]]
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then
  return -3
end
local names = redis.call('HGETALL', KEYS[2])
for index = 1, #names, 2 do
  if names[index + 1] == ARGV[1] then
    redis.call('HDEL', KEYS[2], names[index])
  end
end
return 1
