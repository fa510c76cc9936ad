--[[
  Adds posted messages to the index of replies to one user, so /forget-me finds their posted-message
  entries without SCAN. Bounded by age (entries older than the posted-message TTL go; their entries have
  expired) and by count: the oldest beyond the cap are popped and returned, for the caller to delete their
  posted-message entries (other slots), so no entry outlives its place in this index.

  KEYS[1] posted index   ZSET messageId -> posted time (Unix ms)

  ARGV[1] now (Unix ms)
  ARGV[2] TTL of posted-message entries (ms), also this key's
  ARGV[3] most entries kept
  ARGV[4..] message ids just posted

  Returns the message ids popped over the cap (usually none).
]]
local now = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
for index = 4, #ARGV do
  redis.call('ZADD', KEYS[1], now, ARGV[index])
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. (now - ttl))
local popped = {}
local overflow = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[3])
if overflow > 0 then
  local entries = redis.call('ZPOPMIN', KEYS[1], overflow)
  for index = 1, #entries, 2 do
    popped[#popped + 1] = entries[index]
  end
end
redis.call('PEXPIRE', KEYS[1], ttl)
return popped
