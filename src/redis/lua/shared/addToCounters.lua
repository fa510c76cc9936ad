--[[
  addToCounters(key, spec): adds to the counters of one expiring key and refreshes its TTL. `spec` is the
  JSON `{ "kind": "hash" | "zset", "ttl": <seconds>, "add": [[field, amount], ...] }`: HINCRBY per field of
  a HASH, ZINCRBY per member of a ZSET. One spec per key, so a caller adds several counters in one call.
]]
local function addToCounters(key, spec)
  local counters = cjson.decode(spec)
  local command = counters.kind == 'zset' and 'ZINCRBY' or 'HINCRBY'
  for _, pair in ipairs(counters.add) do
    if command == 'ZINCRBY' then
      redis.call('ZINCRBY', key, pair[2], pair[1])
    else
      redis.call('HINCRBY', key, pair[1], pair[2])
    end
  end
  redis.call('EXPIRE', key, counters.ttl)
end
