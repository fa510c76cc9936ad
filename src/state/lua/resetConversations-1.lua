--[[
  Deletes a user's conversations matching a channel and/or a personality (both empty = all of them),
  found through the user's index (no SCAN, so it works on a Cluster).

  KEYS[1] index   SET of conversation suffixes `<channelId>:<personalityId>`

  ARGV[1] conversation key prefix (the key is prefix .. suffix; same hash tag as the index)
  ARGV[2] channel id, or '' for any
  ARGV[3] personality id, or '' for any

  Returns how many conversations were deleted.
]]
local removed = 0
for _, suffix in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local channel, personality = string.match(suffix, '^([^:]+):(.+)$')
  if (ARGV[2] == '' or ARGV[2] == channel) and (ARGV[3] == '' or ARGV[3] == personality) then
    removed = removed + redis.call('DEL', ARGV[1] .. suffix)
    redis.call('SREM', KEYS[1], suffix)
  end
end
return removed
