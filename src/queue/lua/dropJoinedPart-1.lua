--[[
  A joined follow-up was deleted: takes it out of its reply's group while the reply has not started. Once it
  has, the group is closed and the deletion changes nothing (every attempt answers the same parts).

  KEYS[1] coalesce-groups  HASH jobId -> group JSON `{slot, open, parts: [{messageId, content, at}]}`

  ARGV[1] the reply's job id
  ARGV[2] the deleted message's id

  Returns 1 when the part was taken out, 0 otherwise (not in the group, or the reply started).
]]
local stored = redis.call('HGET', KEYS[1], ARGV[1])
if not stored then
  return 0
end
local group = cjson.decode(stored)
if not group.open then
  return 0
end
local kept = {}
for _, part in ipairs(group.parts) do
  if part.messageId ~= ARGV[2] then
    kept[#kept + 1] = part
  end
end
if #kept == #group.parts then
  return 0
end
group.parts = kept
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(group))
return 1
