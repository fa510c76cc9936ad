--[[
  Removes deleted messages from a channel's window and fetched-ancestor cache, and remembers their ids for a
  few minutes, so that a second gateway appending the same message late (it saw the create after this delete)
  does not bring it back. The remembered ids are bounded by age and count and expire; the window's mark (see
  includes/windowMark) learns until when, so appends look them up only while some may be remembered.

  KEYS[1] lines           HASH message id -> line JSON
  KEYS[2] order           ZSET message id -> sent at
  KEYS[3] fetched         HASH message id -> line JSON
  KEYS[4] fetched order   ZSET message id -> fetched at
  KEYS[5] removed         ZSET message id -> removed at (Unix ms)

  ARGV[1] now (Unix ms)
  ARGV[2] how long removed ids are remembered (ms)
  ARGV[3] most removed ids remembered
  ARGV[4 ..] message ids

  Returns how many lines were removed.
]]
--- @include "includes/windowMark"

local now = tonumber(ARGV[1])
local rememberMs = tonumber(ARGV[2])
local removed = 0
for index = 4, #ARGV do
  local id = ARGV[index]
  removed = removed + redis.call('HDEL', KEYS[1], id) + redis.call('HDEL', KEYS[3], id)
  redis.call('ZREM', KEYS[2], id)
  redis.call('ZREM', KEYS[4], id)
  redis.call('ZADD', KEYS[5], now, id)
end
-- The remembered ids have no hash beside them: trim the ZSET alone.
local cutoff = '(' .. (now - rememberMs)
redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', cutoff)
local over = redis.call('ZCARD', KEYS[5]) - tonumber(ARGV[3])
if over > 0 then
  redis.call('ZREMRANGEBYRANK', KEYS[5], 0, over - 1)
end
redis.call('PEXPIRE', KEYS[5], rememberMs)
-- The window's appends skip their removed lookups while its mark says none is remembered: it is moved on.
local marks = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '-inf')
if marks[1] then
  local keysAt, liveAt = parseMark(marks[1])
  replaceMarks(KEYS[2], marks, formatMark(keysAt, liveAt, now + rememberMs))
end
return removed
