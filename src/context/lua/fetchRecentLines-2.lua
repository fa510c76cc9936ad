--[[
  The newest lines of a channel's window sent within a time range, oldest first: one round trip for what would
  be a range read and a hash read.

  KEYS[1] lines   HASH message id -> line JSON
  KEYS[2] order   ZSET message id -> sent at (Unix ms)

  ARGV[1] earliest sent-at kept (Unix ms, inclusive)
  ARGV[2] sent-at bound (Unix ms, exclusive), or `+inf`
  ARGV[3] most lines returned

  Returns the line JSONs, oldest first.
]]
local upper = ARGV[2] == '+inf' and '+inf' or '(' .. ARGV[2]
local ids = redis.call('ZREVRANGEBYSCORE', KEYS[2], upper, ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
if #ids == 0 then
  return {}
end
local values = redis.call('HMGET', KEYS[1], unpack(ids))
local lines = {}
for index = #values, 1, -1 do
  if values[index] then
    lines[#lines + 1] = values[index]
  end
end
return lines
