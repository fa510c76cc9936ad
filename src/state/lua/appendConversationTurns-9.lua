--[[
  Appends turns to one conversation and caps it: the oldest turns leave while there are more than `maxTurns`
  or more than `maxChars` characters (the newest turn is always kept). With a hand-over (ARGV[7] > 0) the turns
  that leave move, in this same script, to the memory's pending list, so no turn is lost between the trim and
  the summary; the list is bounded (its oldest entries are dropped beyond ARGV[7] turns or ARGV[8] characters)
  and, while it holds turns and no summarizer holds the claim, the claim is taken for the caller (who enqueues
  the summarization). Without a hand-over they are deleted. Refreshes the TTLs and records the conversation in
  the user's index, which keeps only conversations younger than the TTL and at most `maxIndexed` of them (see
  shared/boundIndex).

  KEYS[1] conversation   LIST of `<chars>:<turn JSON>`, oldest first
  KEYS[2] index          ZSET of the user's conversation suffixes, scored by last append (Unix ms)
  KEYS[3] pending        LIST of turns waiting for the summary, same entries (without a hand-over: unused)
  KEYS[4] summary        STRING, the rolling summary (its TTL is refreshed; without a hand-over: unused)
  KEYS[5] claim          STRING, the token of the summarization in progress (without a hand-over: unused)
  KEYS[6] memory index   SET of the user's memory suffixes, so erasure finds them without SCAN; it outlives
                         the summaries it lists by the claim's TTL (without a hand-over: unused)
  KEYS[7] once hash      HASH whose field ARGV[11] is set once (without a once-field: unused)
  KEYS[8] counters       expiring HASH or ZSET, ARGV[12] adds to it (without: unused)
  KEYS[9] counters       expiring HASH or ZSET, ARGV[13] adds to it (without: unused)

  ARGV[1] TTL (ms)
  ARGV[2] max turns
  ARGV[3] max characters
  ARGV[4] this conversation's suffix (`<channelId>:<personalityId>`) `;` this memory's suffix
  ARGV[5] now (Unix ms)
  ARGV[6] most conversations the index keeps
  ARGV[7] most turns the pending list keeps (0: no hand-over, trimmed turns are deleted)
  ARGV[8] most characters the pending list keeps
  ARGV[9] claim token to take
  ARGV[10] claim TTL (ms)
  ARGV[11] the once-field of KEYS[7] ('' = append unconditionally)
  ARGV[12] KEYS[8]'s counter spec ('' = none)
  ARGV[13] KEYS[9]'s counter spec ('' = none)
  ARGV[14 ..] entries to append, each `<chars>:<turn JSON>`

  Returns { how many turns the conversation holds, suffixes dropped from the index (the caller deletes
  those conversations: the script builds no key names), turns handed over, pending turns dropped by its cap,
  1 when the claim was taken (the caller enqueues the summarization) else 0, 1 when it appended else 0 (the
  once-field was set already: nothing was written) }.
]]
--- @include "shared/boundIndex"
--- @include "shared/addToCounters"

if ARGV[11] ~= '' and redis.call('HSETNX', KEYS[7], ARGV[11], '1') == 0 then
  return { 0, {}, 0, 0, 0, 0 }
end
for index = 12, 13 do
  if ARGV[index] ~= '' then
    addToCounters(KEYS[index - 4], ARGV[index])
  end
end

local conversationKey = KEYS[1]
local pendingKey = KEYS[3]
local summaryKey = KEYS[4]
local claimKey = KEYS[5]
local ttl = ARGV[1]
local maxTurns = tonumber(ARGV[2])
local maxChars = tonumber(ARGV[3])
local maxPendingTurns = tonumber(ARGV[7])
local maxPendingChars = tonumber(ARGV[8])
local separator = string.find(ARGV[4], ';', 1, true)
local conversationSuffix = string.sub(ARGV[4], 1, separator - 1)
local memorySuffix = string.sub(ARGV[4], separator + 1)

local function chars(entry)
  return tonumber(string.match(entry, '^(%d+):'))
end

for index = 14, #ARGV do
  redis.call('RPUSH', conversationKey, ARGV[index])
end

local entries = redis.call('LRANGE', conversationKey, 0, -1)
local total = 0
for _, entry in ipairs(entries) do
  total = total + chars(entry)
end
local count = #entries
local dropped = 0
while count - dropped > 1 and (count - dropped > maxTurns or total > maxChars) do
  dropped = dropped + 1
  total = total - chars(entries[dropped])
end
if dropped > 0 then
  redis.call('LTRIM', conversationKey, dropped, -1)
end
redis.call('PEXPIRE', conversationKey, ttl)

local handedOver = 0
local pendingDropped = 0
local claimed = 0
if maxPendingTurns > 0 then
  for index = 1, dropped do
    redis.call('RPUSH', pendingKey, entries[index])
  end
  handedOver = dropped
  local pending = redis.call('LRANGE', pendingKey, 0, -1)
  local pendingChars = 0
  for _, entry in ipairs(pending) do
    pendingChars = pendingChars + chars(entry)
  end
  while #pending - pendingDropped > 0
    and (#pending - pendingDropped > maxPendingTurns or pendingChars > maxPendingChars) do
    pendingDropped = pendingDropped + 1
    pendingChars = pendingChars - chars(pending[pendingDropped])
  end
  if pendingDropped > 0 then
    redis.call('LTRIM', pendingKey, pendingDropped, -1)
  end
  if #pending - pendingDropped > 0 then
    redis.call('PEXPIRE', pendingKey, ttl)
    redis.call('SADD', KEYS[6], memorySuffix)
    redis.call('PEXPIRE', KEYS[6], tonumber(ttl) + tonumber(ARGV[10]))
    if redis.call('SET', claimKey, ARGV[9], 'NX', 'PX', ARGV[10]) then
      claimed = 1
    end
  end
  redis.call('PEXPIRE', summaryKey, ttl)
end

local evicted = boundIndex(KEYS[2], conversationSuffix, tonumber(ARGV[5]), tonumber(ARGV[1]), tonumber(ARGV[6]))
return { count - dropped, evicted, handedOver, pendingDropped, claimed, 1 }
