--[[
  Deletes some of a user's conversations and removes them from the user's index, atomically. The caller picks
  them from the index (SMEMBERS) and declares each conversation key, so the script builds no key (Redis
  Cluster); one that was already gone only leaves the index.

  KEYS[1]    index   SET of conversation suffixes `<channelId>:<personalityId>`
  KEYS[i+1]  the conversation LIST of suffix ARGV[i] (same hash tag as the index)

  ARGV[i]    the index member of KEYS[i+1]

  Returns how many conversations were deleted.
]]
local removed = 0
for index, suffix in ipairs(ARGV) do
  removed = removed + redis.call('DEL', KEYS[index + 1])
  redis.call('SREM', KEYS[1], suffix)
end
return removed
