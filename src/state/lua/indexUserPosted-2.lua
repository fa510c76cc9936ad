--[[
  Adds posted messages to the index of replies to one user, so /forget-me finds their posted-message
  entries without SCAN. Bounded by age (entries older than the posted-message TTL go; their entries have
  expired) and by count (see shared/boundIndex): what it drops is returned, for the caller to delete those
  posted-message entries (other slots), so no entry outlives its place in this index.
  With ARGV[4] it also sets that field of KEYS[2] to ARGV[5] (a reply's delivery record learning the message's
  id: the record and the index written by one call).

  KEYS[1] posted index   ZSET messageId -> posted time (Unix ms)
  KEYS[2] record         HASH, in the same slot (without ARGV[4]: unused)

  ARGV[1] now (Unix ms)
  ARGV[2] TTL of posted-message entries (ms), also this key's
  ARGV[3] most entries kept
  ARGV[4] field of KEYS[2] to set ('' = none)
  ARGV[5] its value
  ARGV[6..] message ids just posted

  Returns the message ids dropped from the index (usually none).
]]
--- @include "shared/boundIndex"

local now = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
local cap = tonumber(ARGV[3])
if ARGV[4] ~= '' then
  redis.call('HSET', KEYS[2], ARGV[4], ARGV[5])
end
local dropped = {}
for index = 6, #ARGV do
  for _, old in ipairs(boundIndex(KEYS[1], ARGV[index], now, ttl, cap)) do
    dropped[#dropped + 1] = old
  end
end
return dropped
