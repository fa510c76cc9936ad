--[[
  Deletes a user's conversations matching a channel and/or a personality (both empty = all of them),
  found through the user's index (no SCAN, so it works on a Cluster).

  KEYS[1] index   ZSET of conversation suffixes `<channelId>:<personalityId>` (a SET if written by an older
                  version and not appended to since)

  ARGV[1] conversation key prefix (the key is prefix .. suffix; same hash tag as the index)
  ARGV[2] channel id, or '' for any
  ARGV[3] personality id, or '' for any

  Returns how many conversations were deleted.
]]
local isSet = redis.call('TYPE', KEYS[1]).ok == 'set'
local suffixes = isSet and redis.call('SMEMBERS', KEYS[1]) or redis.call('ZRANGE', KEYS[1], 0, -1)
local removed = 0
for _, suffix in ipairs(suffixes) do
  local channel, personality = string.match(suffix, '^([^:]+):(.+)$')
  if (ARGV[2] == '' or ARGV[2] == channel) and (ARGV[3] == '' or ARGV[3] == personality) then
    removed = removed + redis.call('DEL', ARGV[1] .. suffix)
    redis.call(isSet and 'SREM' or 'ZREM', KEYS[1], suffix)
  end
end
return removed
