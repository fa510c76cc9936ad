--[[
  Autocomplete among one owner's personalities: names and aliases containing the query, prefix matches
  first, then alphabetical; each personality once, under its best match.

  KEYS[1] names           HASH normalized name or alias -> id
  KEYS[2] personalities   HASH id -> Personality JSON

  ARGV[1] normalized query ('' matches everything)
  ARGV[2] limit

  Returns up to `limit` Personality JSON strings, best first.
]]
local query = ARGV[1]
local best = {}
local names = redis.call('HGETALL', KEYS[1])
for index = 1, #names, 2 do
  local name, id = names[index], names[index + 1]
  local at = string.find(name, query, 1, true)
  if at then
    local rank = at == 1 and 0 or 1
    local seen = best[id]
    if not seen or rank < seen.rank or (rank == seen.rank and name < seen.name) then
      best[id] = { rank = rank, name = name }
    end
  end
end

local ordered = {}
for id, match in pairs(best) do
  ordered[#ordered + 1] = { id = id, rank = match.rank, name = match.name }
end
table.sort(ordered, function(left, right)
  if left.rank ~= right.rank then
    return left.rank < right.rank
  end
  return left.name < right.name
end)

local result = {}
for index = 1, math.min(#ordered, tonumber(ARGV[2])) do
  local body = redis.call('HGET', KEYS[2], ordered[index].id)
  if body then
    result[#result + 1] = body
  end
end
return result
