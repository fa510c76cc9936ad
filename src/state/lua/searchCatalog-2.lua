--[[
  Autocomplete in the public catalog: names and aliases starting with the query (from the sorted set,
  cheap at any size), then names containing it among the first `scan` names (a bounded scan, so one
  keystroke never walks a huge catalog); each personality once.

  KEYS[1] catalog names     ZSET (scores 0) of `<name>\0<createdAt, 15 digits>\0<id>`
  KEYS[2] catalog entries   HASH id -> Personality JSON

  ARGV[1] normalized query ('' matches everything)
  ARGV[2] limit
  ARGV[3] scan: how many names the substring pass reads at most

  Returns up to `limit` Personality JSON strings, best first.
]]
local query = ARGV[1]
local limit = tonumber(ARGV[2])
local picked = {}
local order = {}

local function take(member)
  local id = string.match(member, '([^%z]*)$')
  if not picked[id] then
    picked[id] = true
    order[#order + 1] = id
  end
end

local low, high = '-', '+'
if query ~= '' then
  low, high = '[' .. query, '(' .. query .. '\255'
end
-- One personality owns several members (aliases): read a few per slot wanted.
for _, member in ipairs(redis.call('ZRANGEBYLEX', KEYS[1], low, high, 'LIMIT', 0, limit * 4)) do
  if #order >= limit then
    break
  end
  take(member)
end

if #order < limit and query ~= '' then
  for _, member in ipairs(redis.call('ZRANGEBYLEX', KEYS[1], '-', '+', 'LIMIT', 0, tonumber(ARGV[3]))) do
    if #order >= limit then
      break
    end
    local name = string.match(member, '^([^%z]*)')
    if string.find(name, query, 2, true) then
      take(member)
    end
  end
end

local result = {}
for _, id in ipairs(order) do
  local entry = redis.call('HGET', KEYS[2], id)
  if entry then
    result[#result + 1] = entry
  end
end
return result
