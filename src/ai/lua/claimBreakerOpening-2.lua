--[[
  Records that a worker's breaker opened, unless another opening of the same breaker stands in the fleet:
  then that one wins, so every worker probes at the same deadline. A worker holding the probe lease opened
  because its probe failed: its opening replaces the one it probed, whose key may outlive the probe by a few
  ms. A new opening ends the probe lease.

  KEYS[1] open key    STRING: the standing opening's id; expires when its half-open probe is due
  KEYS[2] probe key   STRING lease of the worker probing, holding its id

  ARGV[1] this worker's id
  ARGV[2] id of this worker's opening
  ARGV[3] ms until this worker's probe is due

  Returns { created (1 or 0), id of the standing opening, ms until its probe is due }.
]]
local standing = redis.call('PTTL', KEYS[1])
if standing > 0 and redis.call('GET', KEYS[2]) ~= ARGV[1] then
  return { 0, redis.call('GET', KEYS[1]), standing }
end
local ms = math.max(1, tonumber(ARGV[3]))
redis.call('SET', KEYS[1], ARGV[2], 'PX', ms)
redis.call('DEL', KEYS[2])
return { 1, ARGV[2], ms }
