--[[
  Appends lines to a channel's window, each once (by message id: two gateways seeing one message write it
  once; a line already there keeps its text, which an edit may have changed since), then trims the window by
  age and count and makes its keys expire the window's age after this write. A message removed in the last
  minutes (see removeLines) is not appended again.

  With mode `if-live` nothing is written unless the channel's live marker exists; with `mark-live` the marker
  is set (or renewed) to expire the window's age from now.

  KEYS[1] live marker   STRING
  KEYS[2] lines         HASH message id -> line JSON
  KEYS[3] order         ZSET message id -> sent at (Unix ms)
  KEYS[4] removed       ZSET message id -> removed at (Unix ms)

  ARGV[1] mode: `if-live` or `mark-live`
  ARGV[2] now (Unix ms)
  ARGV[3] the window's age (ms): lines sent before now minus it go; every key's TTL
  ARGV[4] most lines kept
  ARGV[5 ..] triples: message id, sent at (Unix ms), line JSON

  Returns -1 when the channel is not live (mode `if-live`: nothing written), else how many lines were new.
]]
--- @include "includes/trimByScore"

local liveKey, linesKey, orderKey, removedKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local now = tonumber(ARGV[2])
local maxAgeMs = tonumber(ARGV[3])

if ARGV[1] == 'if-live' then
  if redis.call('EXISTS', liveKey) == 0 then
    return -1
  end
else
  redis.call('SET', liveKey, '1', 'PX', maxAgeMs)
end

local added = 0
for index = 5, #ARGV, 3 do
  local id = ARGV[index]
  if not redis.call('ZSCORE', removedKey, id) and redis.call('HSETNX', linesKey, id, ARGV[index + 2]) == 1 then
    redis.call('ZADD', orderKey, ARGV[index + 1], id)
    added = added + 1
  end
end

trimByScore(orderKey, linesKey, now - maxAgeMs, tonumber(ARGV[4]))
redis.call('PEXPIRE', linesKey, maxAgeMs)
redis.call('PEXPIRE', orderKey, maxAgeMs)
return added
