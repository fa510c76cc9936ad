--[[
  Settles a reply job: removes it from the user's pending set, its recorded priority, its conversation gate
  entry and its waiting mark. Idempotent. With ARGV[3] = '1' it also forgets the admission itself (used when
  Queue.add failed, so admitting the same job again is not mistaken for a duplicate).
  Then names the job to wake: the conversation's first job left, when it is pending and was told to wait
  (its mark is taken, so one settle wakes it once). Stale entries met on the way are dropped.

  KEYS[1] pending      ZSET jobId -> lease expiry
  KEYS[2] priorities   HASH jobId -> priority
  KEYS[3] gate         ZSET of gate members
  KEYS[4] admitted     ZSET jobId -> admission time
  KEYS[5] waiting      SET of job ids told to wait for their turn

  ARGV[1] job id
  ARGV[2] gate member
  ARGV[3] '1' = also forget the admission, '0' = keep it (duplicates stay duplicates)
  ARGV[4] the conversation's member prefix (`<channelId>:<personalityId>:`)

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
