--[[
  A joined follow-up was edited: its part takes the new text while its reply has not started (as the first
  message's edit does). Looks through the user's groups, which hold at most their pending replies.

  KEYS[1] coalesce-groups  HASH jobId -> group JSON `{slot, open, parts: [{messageId, content, at}]}`

  ARGV[1] the edited message's id
  ARGV[2] its new text (already cut to the part limit)

  Returns 1 when a part took the new text, 0 otherwise (not joined, or the reply started).
]]
local groups = redis.call('HGETALL', KEYS[1])
local edited = 0
for index = 1, #groups, 2 do
  local group = cjson.decode(groups[index + 1])
  if group.open then
    local changed = false
    for _, part in ipairs(group.parts) do
      if part.messageId == ARGV[1] then
        part.content = ARGV[2]
        changed = true
      end
    end
    if changed then
      redis.call('HSET', KEYS[1], groups[index], cjson.encode(group))
      edited = 1
    end
  end
end
return edited
