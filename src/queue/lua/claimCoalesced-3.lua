--[[
  The start of a reply: closes its coalesce group, so no follow-up joins it any more, and returns the parts
  joined to it. Idempotent: a retry finds the group closed and gets the same parts. A job told to wait for an
  earlier job of its conversation (the turn check just before, in the same batch, marked it) has not started:
  its group stays open and nothing is returned.

  KEYS[1] coalesce-slots   HASH `<channelId>:<personalityId>` -> slot JSON
  KEYS[2] coalesce-groups  HASH jobId -> group JSON `{slot, open, parts: [{messageId, content, at}]}`
  KEYS[3] gate-waiting     SET of job ids waiting for an earlier job of their conversation

  ARGV[1] job id
  ARGV[2] its conversation's slot field (`<channelId>:<personalityId>`)
  ARGV[3] TTL of the groups hash (ms), renewed: a retry must still find the parts

  Returns
    { 0 }                                         waiting for its turn: not started, the group stays open
    { 1, messageId, content, at, messageId, … }   started: the joined parts, oldest first (none: { 1 })
]]
local slotsKey = KEYS[1]
local groupsKey = KEYS[2]
local jobId = ARGV[1]

if redis.call('SISMEMBER', KEYS[3], jobId) == 1 then
  return { 0 }
end

-- The slot may already be a newer job's (this one's was replaced): that one stays open.
local slot = redis.call('HGET', slotsKey, ARGV[2])
if slot then
  local ok, decoded = pcall(cjson.decode, slot)
  if not ok or type(decoded) ~= 'table' or decoded.jobId == jobId then
    redis.call('HDEL', slotsKey, ARGV[2])
  end
end

local stored = redis.call('HGET', groupsKey, jobId)
if not stored then
  return { 1 }
end
local group = cjson.decode(stored)
if group.open then
  group.open = false
  redis.call('HSET', groupsKey, jobId, cjson.encode(group))
end
redis.call('PEXPIRE', groupsKey, ARGV[3])

local reply = { 1 }
for _, part in ipairs(group.parts) do
  reply[#reply + 1] = part.messageId
  reply[#reply + 1] = part.content
  reply[#reply + 1] = tostring(part.at)
end
return reply
