--[[
  Removes every line of one user from a channel's window and fetched-ancestor cache (`/forget-me`): the lines
  whose `userId` is theirs, i.e. their messages and the personalities' replies to them. Also forgets when their
  index entry for this channel was last written, so their next line here writes it again (the index is being
  erased, or dropped this channel).

  KEYS[1] lines           HASH message id -> line JSON (and appendLines' `~` field, no line)
  KEYS[2] order           ZSET message id -> sent at
  KEYS[3] fetched         HASH message id -> line JSON
  KEYS[4] fetched order   ZSET message id -> fetched at
  KEYS[5] indexed         ZSET user id -> when their index entry for this channel was last written

  ARGV[1] user id

  Returns how many lines were removed.
]]
local removed = 0
for pair = 0, 1 do
  local linesKey, orderKey = KEYS[pair * 2 + 1], KEYS[pair * 2 + 2]
  local entries = redis.call('HGETALL', linesKey)
  for index = 1, #entries, 2 do
    if entries[index] ~= '~' then
      local ok, line = pcall(cjson.decode, entries[index + 1])
      -- A line that cannot be read cannot be shown either; it goes too, rather than risk keeping theirs.
      if not ok or type(line) ~= 'table' or line.userId == ARGV[1] then
        redis.call('HDEL', linesKey, entries[index])
        redis.call('ZREM', orderKey, entries[index])
        removed = removed + 1
      end
    end
  end
end
redis.call('ZREM', KEYS[5], ARGV[1])
return removed
