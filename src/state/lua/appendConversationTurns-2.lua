--[[
  Appends turns to one conversation and caps it: oldest turns are dropped while there are more than
  `maxTurns` or more than `maxChars` characters (the newest turn is always kept). Refreshes the TTL and
  records the conversation in the user's index, which keeps only conversations younger than the TTL and at
  most `maxIndexed` of them (see shared/boundIndex).

  KEYS[1] conversation   LIST of `<chars>:<turn JSON>`, oldest first
  KEYS[2] index          ZSET of the user's conversation suffixes, scored by last append (Unix ms)

  ARGV[1] TTL (ms)
  ARGV[2] max turns
  ARGV[3] max characters
  ARGV[4] this conversation's suffix (`<channelId>:<personalityId>`)
  ARGV[5] now (Unix ms)
  ARGV[6] most conversations the index keeps
  ARGV[7 ..] entries to append, each `<chars>:<turn JSON>`

  Returns { how many turns the conversation holds, suffixes dropped from the index (the caller deletes
  those conversations: the script builds no key names) }.
]]
--- @include "shared/boundIndex"

local conversationKey = KEYS[1]
local maxTurns = tonumber(ARGV[2])
local maxChars = tonumber(ARGV[3])

for index = 7, #ARGV do
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
local evicted = boundIndex(KEYS[2], ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[1]), tonumber(ARGV[6]))
return { count - dropped, evicted }
