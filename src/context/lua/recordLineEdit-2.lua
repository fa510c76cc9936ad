--[[
  Replaces the text of a message's line where one is kept (the window, the fetched-ancestor cache), leaving
  everything else of the line as it was. A message with no line is not added: an edit never makes a channel's
  text kept. TTLs are left alone (an edit is not activity that extends the window).

  KEYS[1] lines     HASH message id -> line JSON
  KEYS[2] fetched   HASH message id -> line JSON

  ARGV[1] message id
  ARGV[2] new text (already capped)

  Returns how many lines were changed (0, 1 or 2).
]]
local changed = 0
for index = 1, 2 do
  local raw = redis.call('HGET', KEYS[index], ARGV[1])
  if raw then
    local ok, line = pcall(cjson.decode, raw)
    if ok and type(line) == 'table' then
      line.content = ARGV[2]
      redis.call('HSET', KEYS[index], ARGV[1], cjson.encode(line))
      changed = changed + 1
    end
  end
end
return changed
