--[[
  Records a message as its channel's newest unless a newer one is already recorded (two gateway replicas, or
  events of one channel handled out of order, must not move it back); a person's message is recorded as the
  channel's newest human message too, under the same rule. One round trip instead of a read and a write: the
  gateway runs this for every message it sees, its own replies included.

  Snowflakes exceed a Lua number's 53-bit precision, so they compare as decimal strings: a longer one is larger,
  equal lengths compare as text.

  KEYS[1] channel latest         STRING newest message id
  KEYS[2] channel latest human   STRING newest message id a person wrote

  ARGV[1] message id (decimal snowflake, no leading zeros)
  ARGV[2] TTL in seconds
  ARGV[3] '1' when a person wrote the message, '0' otherwise

  Returns 1 when recorded as the channel's newest, 0 when a newer (or the same) id was already there.
]]
local candidate = ARGV[1]

local function recordIfNewer(key)
  local current = redis.call('GET', key)
  if current and (#current > #candidate or (#current == #candidate and current >= candidate)) then
    return 0
  end
  redis.call('SET', key, candidate, 'EX', ARGV[2])
  return 1
end

if ARGV[3] == '1' then recordIfNewer(KEYS[2]) end
return recordIfNewer(KEYS[1])
