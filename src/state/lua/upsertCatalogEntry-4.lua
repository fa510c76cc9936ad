--[[
  Puts a public personality into the catalog (or refreshes it): replaces its name members, its projection
  and its listing entry in one step.

  KEYS[1] catalog names     ZSET (scores 0) of `<name>\0<createdAt, 15 digits>\0<id>`
  KEYS[2] catalog entries   HASH id -> Personality JSON
  KEYS[3] catalog keys      HASH id -> its normalized names, joined by "\n"
  KEYS[4] catalog listing   ZSET id -> createdAt

  ARGV[1] id
  ARGV[2] Personality JSON
  ARGV[3] createdAt (Unix ms; never changes for an id)
  ARGV[4] its normalized names, joined by "\n" (names hold no control characters)

  Returns 1.
]]
local id = ARGV[1]
-- Zero-padded so that, within one name, members sort oldest first.
local infix = '\0' .. string.format('%015d', tonumber(ARGV[3])) .. '\0' .. id

local previous = redis.call('HGET', KEYS[3], id)
if previous then
  for name in string.gmatch(previous, '[^\n]+') do
    redis.call('ZREM', KEYS[1], name .. infix)
  end
end
for name in string.gmatch(ARGV[4], '[^\n]+') do
  redis.call('ZADD', KEYS[1], 0, name .. infix)
end
redis.call('HSET', KEYS[2], id, ARGV[2])
redis.call('HSET', KEYS[3], id, ARGV[4])
redis.call('ZADD', KEYS[4], ARGV[3], id)
return 1
