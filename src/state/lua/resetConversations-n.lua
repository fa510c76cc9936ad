--[[
  Deletes some of a user's conversations and removes them from the user's index, atomically. The caller picks
  them from the index and declares each conversation key, so the script builds no key (Redis Cluster); one
  that was already gone only leaves the index.

  KEYS[1]    index   ZSET of conversation suffixes `<channelId>:<personalityId>` (a SET if written by an
                     older version and not appended to since)
  KEYS[i+1]  the conversation LIST of suffix ARGV[i] (same hash tag as the index)

  ARGV[i]    the index member of KEYS[i+1]

  Returns how many conversations were deleted.
]]
local remove = redis.call('TYPE', KEYS[1]).ok == 'set' and 'SREM' or 'ZREM'
local removed = 0
for index, suffix in ipairs(ARGV) do
  removed = removed + redis.call('DEL', KEYS[index + 1])
  redis.call(remove, KEYS[1], suffix)
end
return removed
