--[[
  Settles a reply job: removes it from the user's pending set, its recorded priority, its conversation gate
  entry, its waiting mark, its coalesce group and its coalesce slot (when the slot is still its own).
  Idempotent. With ARGV[3] = '1' it also forgets the admission itself (used when Queue.add failed, so
  admitting the same job again is not mistaken for a duplicate).
  Then names the job to wake: the conversation's first job left, when it is pending and was told to wait
  (its mark is taken, so one settle wakes it once). Stale entries met on the way are dropped.

  KEYS[1] pending      ZSET jobId -> lease expiry
  KEYS[2] priorities   HASH jobId -> priority
  KEYS[3] gate         ZSET of gate members
  KEYS[4] admitted     ZSET jobId -> admission time
  KEYS[5] waiting      SET of job ids told to wait for their turn
  KEYS[6] coalesce-slots   HASH `<channelId>:<personalityId>` -> slot JSON
  KEYS[7] coalesce-groups  HASH jobId -> group JSON

  ARGV[1] job id
  ARGV[2] gate member
  ARGV[3] '1' = also forget the admission, '0' = keep it (duplicates stay duplicates)
  ARGV[4] the conversation's member prefix (`<channelId>:<personalityId>:`)
  ARGV[5] the conversation's coalesce slot field (`<channelId>:<personalityId>`)

  Returns { removed } or { removed, jobIdToWake }; removed is 1 when the job was pending, 0 otherwise.
]]
local pendingKey = KEYS[1]
local gateKey = KEYS[3]
local waitingKey = KEYS[5]
local conversation = ARGV[4]

local removed = redis.call('ZREM', pendingKey, ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('ZREM', gateKey, ARGV[2])
redis.call('SREM', waitingKey, ARGV[1])
if ARGV[3] == '1' then
  redis.call('ZREM', KEYS[4], ARGV[1])
end
redis.call('HDEL', KEYS[7], ARGV[1])
-- The slot is the job's only while it has not started (a worker's claim drops it): a job settled before that
-- (its Queue.add failed, or the gate dropped it as lost) must not leave follow-ups joining a reply never made.
local slot = redis.call('HGET', KEYS[6], ARGV[5])
if slot then
  local ok, decoded = pcall(cjson.decode, slot)
  if not ok or type(decoded) ~= 'table' or decoded.jobId == ARGV[1] then
    redis.call('HDEL', KEYS[6], ARGV[5])
  end
end

while true do
  local first = redis.call('ZRANGEBYLEX', gateKey, '[' .. conversation, '+', 'LIMIT', 0, 1)[1]
  if not first or string.sub(first, 1, #conversation) ~= conversation then
    return { removed }
  end
  local firstJobId = string.match(first, '([^:]+)$')
  if redis.call('ZSCORE', pendingKey, firstJobId) then
    if redis.call('SREM', waitingKey, firstJobId) == 1 then
      return { removed, firstJobId }
    end
    return { removed }
  end
  redis.call('ZREM', gateKey, first)
  redis.call('SREM', waitingKey, firstJobId)
end
