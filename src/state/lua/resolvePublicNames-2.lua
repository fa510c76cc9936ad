--[[
  Looks up normalized names (or aliases) in the public catalog: for each, the OLDEST public personality
  with that name (members sort by name, then zero-padded createdAt).

  KEYS[1] catalog names     ZSET (scores 0) of `<name>\0<createdAt, 15 digits>\0<id>`
  KEYS[2] catalog entries   HASH id -> Personality JSON

  ARGV[1 ..] normalized names

  Returns one entry per name, in order: the Personality JSON, or nil.
]]
local result = {}
for index, name in ipairs(ARGV) do
  result[index] = false
  local members = redis.call('ZRANGEBYLEX', KEYS[1], '[' .. name .. '\0', '(' .. name .. '\1', 'LIMIT', 0, 1)
  local member = members[1]
  if member then
    result[index] = redis.call('HGET', KEYS[2], string.match(member, '([^%z]*)$')) or false
  end
end
return result
