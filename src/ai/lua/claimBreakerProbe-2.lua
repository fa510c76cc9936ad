--[[
  Lets one worker at a time probe a half-open breaker: takes the probe lease, unless an opening stands (the
  fleet opened again since this worker went half-open: no probe is due) or another worker holds the lease.
  An opening whose probe is due within the slack counts as due: a worker's reset timer and the key's expiry
  differ by the latency of the write that set it.

  KEYS[1] open key    STRING: the standing opening's id; expires when its half-open probe is due
  KEYS[2] probe key   STRING lease of the worker probing, holding its id

  ARGV[1] this worker's id
  ARGV[2] lease, ms (the probe's timeout and a margin, so a dead prober's lease lapses)
  ARGV[3] slack, ms

  Returns { 1 } when the lease is taken, { 0 } when another worker holds it, or { 0, id of the standing
  opening, ms until its probe is due }.
]]
local standing = redis.call('PTTL', KEYS[1])
if standing > tonumber(ARGV[3]) then
  return { 0, redis.call('GET', KEYS[1]), standing }
end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return { 1 }
end
return { 0 }
