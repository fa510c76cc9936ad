--[[
  Appends turns to one conversation and caps it: oldest turns are dropped while there are more than
  `maxTurns` or more than `maxChars` characters (the newest turn is always kept). Refreshes the TTL and
  records the conversation in the user's index.

  KEYS[1] conversation   LIST of `<chars>:<turn JSON>`, oldest first
  KEYS[2] index          SET of the user's conversation suffixes

  ARGV[1] TTL (ms)
  ARGV[2] max turns
  ARGV[3] max characters
  ARGV[4] this conversation's suffix (`<channelId>:<personalityId>`)
  ARGV[5 ..] entries to append, each `<chars>:<turn JSON>`

  Returns how many turns the conversation holds.
]]
local conversationKey = KEYS[1]
local maxTurns = tonumber(ARGV[2])
local maxChars = tonumber(ARGV[3])

for index = 5, #ARGV do
  redis.call('RPUSH', conversationKey, ARGV[index])
end

local entries = redis.call('LRANGE', conversationKey, 0, -1)
local total = 0
for _, entry in ipairs(entries) do
  total = total + tonumber(string.match(entry, '^(%d+):'))
end
local count = #entries
local dropped = 0
while count - dropped > 1 and (count - dropped > maxTurns or total > maxChars) do
  dropped = dropped + 1
  total = total - tonumber(string.match(entries[dropped], '^(%d+):'))
end
if dropped > 0 then
  redis.call('LTRIM', conversationKey, dropped, -1)
end

redis.call('PEXPIRE', conversationKey, ARGV[1])
redis.call('SADD', KEYS[2], ARGV[4])
-- The index lives as long as the user's newest conversation; entries of expired ones go at the next reset.
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return count - dropped
