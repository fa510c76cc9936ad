--[[
  One page of public personalities, oldest first, with the total.

  KEYS[1] catalog listing   ZSET id -> createdAt
  KEYS[2] catalog entries   HASH id -> Personality JSON

  ARGV[1] offset
  ARGV[2] limit (> 0)

  Returns { total, json1, json2, ... }.
]]
local offset = tonumber(ARGV[1])
local result = { redis.call('ZCARD', KEYS[1]) }
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], offset, offset + tonumber(ARGV[2]) - 1)) do
  local entry = redis.call('HGET', KEYS[2], id)
  if entry then
    result[#result + 1] = entry
  end
end
return result
