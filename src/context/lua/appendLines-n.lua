--[[
  Appends lines to a channel's window, each once (by message id: two gateways seeing one message write it
  once; a line already there keeps its text, which an edit may have changed since), then trims the window by
  age and count and makes its keys expire the window's age after this write (an append that adds no line,
  another gateway's or a retried job's, leaves the TTLs as they are). A message removed in the last minutes
  (see removeLines) is not appended again.

  With mode `if-live` nothing is written unless the channel's live marker exists; with `mark-live` the marker
  is set (or renewed) to expire the window's age from now.

  The gateway's append of a message also records it as the channel's newest (shared/recordNewestId; KEYS[6..7],
  same slot), live channel or not, and asks whether the user's index of windows needs this channel again: the
  `indexed` ZSET remembers when each user's entry was last written there, so it is rewritten once per refresh
  period rather than per line (the index keeps entries long enough for that: see ChannelWindowRepository).

  KEYS[1] live marker   STRING
  KEYS[2] lines         HASH message id -> line JSON
  KEYS[3] order         ZSET message id -> sent at (Unix ms)
  KEYS[4] removed       ZSET message id -> removed at (Unix ms)
  KEYS[5] indexed       ZSET user id -> when their index entry for this channel was last written (Unix ms)
  KEYS[6] channel latest         STRING newest message id (only with ARGV[5])
  KEYS[7] channel latest human   STRING newest message id a person wrote (only with ARGV[5])

  ARGV[1] mode: `if-live` or `mark-live`
  ARGV[2] now (Unix ms)
  ARGV[3] the window's age (ms): lines sent before now minus it go; every key's TTL
  ARGV[4] most lines kept
  ARGV[5] message id to record as the channel's newest ('' = none)
  ARGV[6] its TTL in seconds
  ARGV[7] '1' when a person wrote it (also the channel's newest human message), '0' otherwise
  ARGV[8] user whose index entry to refresh when one of their lines is new ('' = none)
  ARGV[9] the index refresh period (ms)
  ARGV[10 ..] triples: message id, sent at (Unix ms), line JSON

  Returns { added, index }: added = -1 when the channel is not live (mode `if-live`: no line written), else how
  many lines were new; index = 1 when the caller is to write ARGV[8]'s index entry for this channel.
]]
--- @include "includes/trimByScore"
--- @include "shared/recordNewestId"

local liveKey, linesKey, orderKey, removedKey, indexedKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local now = tonumber(ARGV[2])
local maxAgeMs = tonumber(ARGV[3])

if ARGV[5] ~= '' then
  recordNewestIds(KEYS[6], KEYS[7], ARGV[5], ARGV[6], ARGV[7] == '1')
end

if ARGV[1] == 'if-live' then
  if redis.call('EXISTS', liveKey) == 0 then
    return { -1, 0 }
  end
else
  redis.call('SET', liveKey, '1', 'PX', maxAgeMs)
end

local added = 0
for index = 10, #ARGV, 3 do
  local id = ARGV[index]
  if not redis.call('ZSCORE', removedKey, id) and redis.call('HSETNX', linesKey, id, ARGV[index + 2]) == 1 then
    redis.call('ZADD', orderKey, ARGV[index + 1], id)
    added = added + 1
  end
end

trimByScore(orderKey, linesKey, now - maxAgeMs, tonumber(ARGV[4]))
-- Only a new line needs the keys to live longer: the window's older lines already have the TTL they need.
if added > 0 then
  redis.call('PEXPIRE', linesKey, maxAgeMs)
  redis.call('PEXPIRE', orderKey, maxAgeMs)
end

local index = 0
local userId = ARGV[8]
if added > 0 and userId ~= '' then
  local refreshMs = tonumber(ARGV[9])
  local indexedAt = tonumber(redis.call('ZSCORE', indexedKey, userId))
  if not indexedAt or indexedAt <= now - refreshMs then
    redis.call('ZREMRANGEBYSCORE', indexedKey, '-inf', now - refreshMs)
    redis.call('ZADD', indexedKey, now, userId)
    redis.call('PEXPIRE', indexedKey, refreshMs)
    index = 1
  end
end
return { added, index }
