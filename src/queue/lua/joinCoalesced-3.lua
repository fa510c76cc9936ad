--[[
  A follow-up message joins a reply that has not started: appends `{messageId, content, at}` to the reply's
  group, moves the slot's latest time on (and marks it named when the follow-up named the personality), and
  records the follow-up's own job id as admitted, so that admitting it (another gateway replica, a retried
  event) is a duplicate: a joined message is answered once, by the group. Refused once the reply started (its
  slot is gone or another job's) or when the group is full; the caller then routes the message as usual.

  KEYS[1] coalesce-slots   HASH `<channelId>:<personalityId>` -> slot JSON `{jobId, lastAt, named, trigger}`
  KEYS[2] coalesce-groups  HASH jobId -> group JSON `{slot, open, parts: [{messageId, content, at}]}`
  KEYS[3] admitted         ZSET jobId -> admission time (the admission's duplicate window)

  ARGV[1] slot field (`<channelId>:<personalityId>`)
  ARGV[2] the reply's job id
  ARGV[3] the follow-up's own job id for this personality (`reply-<messageId>-<personalityId>`)
  ARGV[4] the follow-up's message id
  ARGV[5] its text (already cut to the part limit)
  ARGV[6] when it was written (Unix ms)
  ARGV[7] '1' = it names the personality, '0' = it does not
  ARGV[8] most messages in a group, the first included
  ARGV[9] now (Unix ms)
  ARGV[10] TTL of the keys (ms)

  Returns 1 joined, 2 already handled (joined before, or admitted on its own), 0 the reply started, -1 full.
]]
local slotsKey = KEYS[1]
local groupsKey = KEYS[2]
local admittedKey = KEYS[3]
local field = ARGV[1]
local jobId = ARGV[2]
local ttlMs = ARGV[10]

if redis.call('ZSCORE', admittedKey, ARGV[3]) then
  return 2
end
local stored = redis.call('HGET', slotsKey, field)
if not stored then
  return 0
end
local ok, slot = pcall(cjson.decode, stored)
if not ok or type(slot) ~= 'table' or slot.jobId ~= jobId then
  return 0
end

local group = { slot = field, open = true, parts = {} }
local storedGroup = redis.call('HGET', groupsKey, jobId)
if storedGroup then
  group = cjson.decode(storedGroup)
end
if not group.open then
  return 0
end
if #group.parts + 1 >= tonumber(ARGV[8]) then
  return -1
end

local at = tonumber(ARGV[6])
group.parts[#group.parts + 1] = { messageId = ARGV[4], content = ARGV[5], at = at }
slot.lastAt = math.max(tonumber(slot.lastAt) or 0, at)
if ARGV[7] == '1' then
  slot.named = true
end
redis.call('HSET', slotsKey, field, cjson.encode(slot))
redis.call('HSET', groupsKey, jobId, cjson.encode(group))
redis.call('ZADD', admittedKey, tonumber(ARGV[9]), ARGV[3])
redis.call('PEXPIRE', slotsKey, ttlMs)
redis.call('PEXPIRE', groupsKey, ttlMs)
redis.call('PEXPIRE', admittedKey, ttlMs)
return 1
