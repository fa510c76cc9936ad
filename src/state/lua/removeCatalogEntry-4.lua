--[[
  Takes a personality out of the public catalog (no-op when it is not there).

  KEYS[1] catalog names     ZSET (scores 0) of `<name>\0<createdAt, 15 digits>\0<id>`
  KEYS[2] catalog entries   HASH id -> Personality JSON
  KEYS[3] catalog keys      HASH id -> its normalized names, joined by "\n"
  KEYS[4] catalog listing   ZSET id -> createdAt

  ARGV[1] id

  Returns 1 when it was in the catalog, 0 otherwise.
]]
local id = ARGV[1]
local createdAt = redis.call('ZSCORE', KEYS[4], id)
if not createdAt then
  return 0
end
local infix = '\0' .. string.format('%015d', tonumber(createdAt)) .. '\0' .. id
local previous = redis.call('HGET', KEYS[3], id)
if previous then
  for name in string.gmatch(previous, '[^\n]+') do
    redis.call('ZREM', KEYS[1], name .. infix)
  end
end
redis.call('HDEL', KEYS[3], id)
redis.call('ZREM', KEYS[4], id)
return redis.call('HDEL', KEYS[2], id)
