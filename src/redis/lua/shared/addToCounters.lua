--[[
  addToCounters(key, spec): adds to the counters of one expiring key. `spec` is the JSON
  `{ "kind": "hash" | "zset", "ttl": <seconds>, "add": [[field, amount], ...] }`: HINCRBY per field of a HASH,
  ZINCRBY per member of a ZSET. One spec per key, so a caller adds several counters in one call.

  The TTL is set when a counter is made, not on every add: a counter whose total is not just its amount held
  something already, so the key was there with its TTL (a new counter in a key that held others sets it again,
  from now). Keys are per period, so a period's counters still outlive it by at least the TTL minus its length,
  and by at most the TTL.
]]
local function addToCounters(key, spec)
  local counters = cjson.decode(spec)
  local existed = false
  for _, pair in ipairs(counters.add) do
    local total
    if counters.kind == 'zset' then
      total = redis.call('ZINCRBY', key, pair[2], pair[1])
    else
      total = redis.call('HINCRBY', key, pair[1], pair[2])
    end
    if tonumber(total) ~= tonumber(pair[2]) then
      existed = true
    end
  end
  if not existed then
    redis.call('EXPIRE', key, counters.ttl)
  end
end
