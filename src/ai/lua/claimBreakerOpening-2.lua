--[[
  Records that a worker's breaker opened, unless an opening of the same breaker already stands in the fleet:
  then that one wins, so every worker probes at the same deadline. A new opening ends any probe lease (the
  probe that failed is over).

  KEYS[1] open key    STRING, expires when the half-open probe is due
  KEYS[2] probe key   STRING lease of the worker probing

  ARGV[1] ms until this worker's probe is due
  ARGV[2] value of the open key (the opening worker's id, for operators)

  Returns { created (1 or 0), ms until the standing opening's probe is due }.
]]
local standing = redis.call('PTTL', KEYS[1])
if standing > 0 then
  return { 0, standing }
end
local ms = math.max(1, tonumber(ARGV[1]))
redis.call('SET', KEYS[1], ARGV[2], 'PX', ms)
redis.call('DEL', KEYS[2])
return { 1, ms }
