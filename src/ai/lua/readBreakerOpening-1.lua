--[[
  Reads the opening of a breaker that stands in the fleet, if any.

  KEYS[1] open key    STRING: the standing opening's id; expires when its half-open probe is due

  Returns { id of the standing opening, ms until its probe is due }, or {} when none stands.
]]
local standing = redis.call('PTTL', KEYS[1])
if standing > 0 then
  return { redis.call('GET', KEYS[1]), standing }
end
return {}
