--[[
  Records a message as its channel's newest unless a newer one is already recorded (two gateway replicas, or
  events of one channel handled out of order, must not move it back). One round trip instead of a read and a
  write: the gateway runs this for every message it sees, its own replies included.

  Snowflakes exceed a Lua number's 53-bit precision, so they compare as decimal strings: a longer one is larger,
  equal lengths compare as text.

  KEYS[1] channel latest   STRING newest message id

  ARGV[1] message id (decimal snowflake, no leading zeros)
  ARGV[2] TTL in seconds

  Returns 1 when recorded, 0 when a newer (or the same) id was already there.
]]
local current = redis.call('GET', KEYS[1])
local candidate = ARGV[1]
if current and (#current > #candidate or (#current == #candidate and current >= candidate)) then
  return 0
end
redis.call('SET', KEYS[1], candidate, 'EX', ARGV[2])
return 1
