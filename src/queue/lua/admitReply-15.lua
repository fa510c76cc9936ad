--[[
  Admits one reply job for one user, atomically in the user's slot: prunes expired leases, treats a
  repeated job id as a duplicate (consuming nothing), applies the queue-depth cap, the per-user pending
  cap and the per-user token bucket, then a server's stricter per-user caps for a job in that server (pending
  jobs there, jobs admitted there in the last minute; skipped when the server has none), then records the job as pending with its fair priority and in the
  conversation gate. A job whose conversation already has an earlier pending job is marked waiting in the
  same step, so the caller adds it delayed and the earlier job's settle wakes it. A person's job may also open
  a coalesce slot for its conversation (the caller then adds it delayed by the coalesce window), which the
  user's back-to-back follow-ups join until the reply starts; slots and groups whose job is no longer pending
  are dropped on the way. BullMQ's Queue.add happens after this script, from the caller.
  When the message's line made the author's entry in their window index due (context's appendLines), the
  entry is written here first, whatever the admission decides (shared/boundIndex, as context's
  indexUserWindow-1): the same slot, so the gateway sends no command of its own for it.

  Key TTLs. pending, priorities, admitted and gate are given one TTL together ("refreshed"), and admitted's
  member `keys-expire-at` records when (scored with the expiry; read with the duplicate check, so free). They
  are refreshed once that member is missing (admitted expired, or was written by an older version) or less
  than `hold` + half of min(lease, duplicate window) is left, where `hold` = max(lease, duplicate window, the
  bucket's refill time + 1 s) is the longest an entry written now must last; the TTL given is `hold` +
  min(lease, duplicate window). Between refreshes no key may be created without its TTL, so none is let
  empty (Redis deletes an emptied key; re-created, it would have none): admitted holds the marker, gate and
  pending their empty member (scored 0: outside every conversation's range in gate, and below every lease in
  pending, where it is never a job), and priorities the bucket. A member or the bucket found missing (an older
  version's prune drops pending's) is written again with the key's TTL. The turn check only ever lengthens
  these TTLs. Entries older than the duplicate window are ignored, and pruned from admitted when a
  refresh finds the marker (an older version's or a new admitted is pruned by the next one).

  KEYS[1] pending              ZSET jobId -> lease expiry (ms), plus the empty member
  KEYS[2] priorities           HASH jobId -> priority, plus the user's token bucket: `tokens`, `at`
  KEYS[3] admitted             ZSET jobId -> admission time (ms), plus `keys-expire-at` -> the keys' expiry (ms)
  KEYS[4] gate                 ZSET (all scores 0) of gate members, plus the empty member
  KEYS[5] notified:user-pending
  KEYS[6] notified:user-rate
  KEYS[7] notified:queue-full
  KEYS[8] notified:server-pending
  KEYS[9] notified:server-rate
  KEYS[10] gate-waiting        SET of job ids waiting for an earlier job of their conversation
  KEYS[11] server-pending      SET of `<guildId>:<jobId>`: pending jobs in servers with a pending cap
  KEYS[12] server-admitted     ZSET `<guildId>:<jobId>` -> admission time (ms), in servers with a per-minute cap
  KEYS[13] coalesce-slots      HASH `<channelId>:<personalityId>` -> slot JSON (replies not started yet)
  KEYS[14] coalesce-groups     HASH jobId -> group JSON (the follow-ups joined to a reply)
  KEYS[15] the author's window index (indexUserWindow-1's key; without ARGV[26]: unused)

  ARGV[1]  job id
  ARGV[2]  gate member
  ARGV[3]  now (Unix ms)
  ARGV[4]  lease (ms)
  ARGV[5]  duplicate window (ms)
  ARGV[6]  max pending jobs per user
  ARGV[7]  tokens per minute
  ARGV[8]  burst (bucket capacity)
  ARGV[9]  queue depth, read by the caller just before
  ARGV[10] max queue depth
  ARGV[11] 1 = fair priority, 0 = FIFO (priority 1)
  ARGV[12] notice window (ms)
  ARGV[13] retry-after when the user has too many pending jobs (ms)
  ARGV[14] retry-after when the queue is full (ms)
  ARGV[15] highest priority BullMQ accepts
  ARGV[16] the conversation's gate member prefix (`<channelId>:<personalityId>:`)
  ARGV[17] the job's server id ('' in DMs)
  ARGV[18] the server's max pending jobs per user there (0 = none)
  ARGV[19] the server's max jobs per user per minute there (0 = none)
  ARGV[20] the server's rate window (ms)
  ARGV[21] the coalesce slot field the job opens ('' = none: not a person's message, or coalescing off)
  ARGV[22] the slot's JSON `{jobId, lastAt, named, trigger}`
  ARGV[23..26] indexUserWindow-1's arguments (now, keep ms, most entries, channel id; channel '' = none)

  Returns the channel ids the window index dropped (`dropped`, usually none), then the decision:
    { dropped, 1, priority, waiting }     enqueued; waiting = 1 when an earlier job of its conversation is pending
    { dropped, 2, priority, waiting }     duplicate, still pending (the caller may re-add: BullMQ dedupes by id);
                                          waiting = 1 while it is marked waiting
    { dropped, 3, 0 }                     duplicate, already settled
    { dropped, -1, retryAfterMs, notify, limit }  refused: user-pending (limit: the operator's pending cap)
    { dropped, -2, retryAfterMs, notify, limit }  refused: user-rate (limit: the operator's tokens per minute)
    { dropped, -3, retryAfterMs, notify, limit }  refused: queue-full (limit: the max queue depth)
    { dropped, -4, retryAfterMs, notify, limit }  refused: server-pending (limit: the server's pending cap)
    { dropped, -5, retryAfterMs, notify, limit }  refused: server-rate (limit: the server's jobs per minute)
]]
local pendingKey = KEYS[1]
local prioritiesKey = KEYS[2]
local admittedKey = KEYS[3]
local gateKey = KEYS[4]
local waitingKey = KEYS[10]
local serverPendingKey = KEYS[11]
local serverAdmittedKey = KEYS[12]
local slotsKey = KEYS[13]
local groupsKey = KEYS[14]

local jobId = ARGV[1]
local member = ARGV[2]
local now = tonumber(ARGV[3])
local leaseMs = tonumber(ARGV[4])
local windowMs = tonumber(ARGV[5])
local maxPending = tonumber(ARGV[6])
local perMinute = tonumber(ARGV[7])
local burst = tonumber(ARGV[8])
local depth = tonumber(ARGV[9])
local maxDepth = tonumber(ARGV[10])
local fair = ARGV[11] == '1'
local noticeWindowMs = tonumber(ARGV[12])
local pendingRetryMs = tonumber(ARGV[13])
local queueFullRetryMs = tonumber(ARGV[14])
local maxPriority = tonumber(ARGV[15])
local conversation = ARGV[16]
local guildId = ARGV[17]
local serverMaxPending = tonumber(ARGV[18])
local serverPerMinute = tonumber(ARGV[19])
local serverWindowMs = tonumber(ARGV[20])
local slotField = ARGV[21]
-- Server entries are `<guildId>:<jobId>`: a snowflake has no ':', so the job id follows the first one.
local serverMember = guildId .. ':' .. jobId
local guildPrefix = guildId .. ':'
-- Job ids start with `reply-`, so neither this member nor the bucket's fields can be one.
local KEYS_EXPIRE_AT = 'keys-expire-at'

--- @include "includes/pruneExpiredLeases"
--- @include "includes/findEarlierJob"
--- @include "shared/boundIndex"

-- The index entry is owed by the line already in the window, so it is written whatever follows.
local windowsDropped = {}
local windowChannel = ARGV[26]
if windowChannel ~= '' then
  windowsDropped = boundIndex(KEYS[15], windowChannel, tonumber(ARGV[23]), tonumber(ARGV[24]), tonumber(ARGV[25]))
end

local pendingJobs, pendingKept = pruneExpiredLeases(pendingKey, prioritiesKey, now)
local pendingCount = #pendingJobs
local isPending = {}
for _, pendingJobId in ipairs(pendingJobs) do
  isPending[pendingJobId] = true
end

-- An entry older than the window is a leftover the next refresh prunes: not a duplicate.
local admittedScores = redis.call('ZMSCORE', admittedKey, jobId, KEYS_EXPIRE_AT)
local admittedAt = tonumber(admittedScores[1])
local keysExpireAt = tonumber(admittedScores[2])
if admittedAt and admittedAt > now - windowMs then
  if isPending[jobId] then
    return {
      windowsDropped,
      2,
      tonumber(redis.call('HGET', prioritiesKey, jobId) or '1'),
      redis.call('SISMEMBER', waitingKey, jobId),
    }
  end
  return { windowsDropped, 3, 0 }
end

-- The notice key makes `notify` true once per user, reason and window, however many gateways refuse.
local function refuse(code, noticeKey, retryAfterMs, limit)
  local notify = 0
  if redis.call('SET', noticeKey, '1', 'NX', 'PX', noticeWindowMs) then
    notify = 1
  end
  return { windowsDropped, code, math.max(1, math.ceil(retryAfterMs)), notify, limit }
end

local function inThisServer(entry)
  return string.sub(entry, 1, #guildPrefix) == guildPrefix
end

if depth >= maxDepth then
  return refuse(-3, KEYS[7], queueFullRetryMs, maxDepth)
end

if pendingCount >= maxPending then
  return refuse(-1, KEYS[5], pendingRetryMs, maxPending)
end

-- The pending set is the authority: an entry whose job left it (settled, lease expired) is dropped here, so
-- the set never holds more than the user's pending jobs plus those settled since their last such admission.
if serverMaxPending > 0 then
  local inServer = 0
  for _, entry in ipairs(redis.call('SMEMBERS', serverPendingKey)) do
    if not isPending[string.sub(entry, string.find(entry, ':', 1, true) + 1)] then
      redis.call('SREM', serverPendingKey, entry)
    elseif inThisServer(entry) then
      inServer = inServer + 1
    end
  end
  if inServer >= serverMaxPending then
    return refuse(-4, KEYS[8], pendingRetryMs, serverMaxPending)
  end
end

-- One read of the priorities hash: the bucket, then (fair mode) the pending jobs' priorities. Every recorded
-- priority is a pending job's (they are written, pruned and settled together): none pending, none to read.
local fields = { 'tokens', 'at' }
if fair then
  for _, pendingJobId in ipairs(pendingJobs) do
    fields[#fields + 1] = pendingJobId
  end
end
local stored = redis.call('HMGET', prioritiesKey, unpack(fields))

-- Token bucket: `burst` tokens, refilled continuously at perMinute / 60 000 per ms.
local ratePerMs = perMinute / 60000
local tokens = tonumber(stored[1]) or burst
local at = tonumber(stored[2]) or now
-- A gateway whose clock is behind must not mint tokens backwards nor move the bucket into the past.
tokens = math.min(burst, tokens + math.max(0, now - at) * ratePerMs)
if tokens < 1 then
  return refuse(-2, KEYS[6], (1 - tokens) / ratePerMs, perMinute)
end

-- A sliding minute of the user's jobs in servers with a per-minute cap; entries from every such server share
-- the key, which the operator's bucket bounds. Checked before the token is taken, so a refusal costs none.
if serverPerMinute > 0 then
  redis.call('ZREMRANGEBYSCORE', serverAdmittedKey, '-inf', now - serverWindowMs)
  local inServer = 0
  local oldest = now
  -- WITHSCORES alternates member, score; ascending, so the first match is the oldest.
  local entries = redis.call('ZRANGE', serverAdmittedKey, 0, -1, 'WITHSCORES')
  for index = 1, #entries, 2 do
    if inThisServer(entries[index]) then
      if inServer == 0 then
        oldest = tonumber(entries[index + 1])
      end
      inServer = inServer + 1
    end
  end
  if inServer >= serverPerMinute then
    return refuse(-5, KEYS[9], oldest + serverWindowMs - now, serverPerMinute)
  end
end

-- Fair priority: the job's rank among the user's unsettled jobs, never below a still-pending earlier
-- job's priority (so one user's jobs keep their order). Everyone's first job shares priority 1, their
-- second priority 2, and so on: a round-robin over users. FIFO mode gives everyone priority 1.
local priority = 1
if fair and pendingCount > 0 then
  local highest = 0
  for index = 3, #stored do
    local recorded = tonumber(stored[index])
    if recorded and recorded > highest then
      highest = recorded
    end
  end
  priority = math.min(maxPriority, math.max(pendingCount + 1, highest))
end

-- The bucket's expiry is only cleanup (refill is computed from `at`), so it lives as long as the priorities,
-- which always outlive its refill time (see the header's `hold`).
local shorterMs = math.min(leaseMs, windowMs)
local holdMs = math.max(leaseMs, windowMs, math.ceil(burst / ratePerMs) + 1000)
local keyTtlMs = holdMs + shorterMs
local refresh = not keysExpireAt or keysExpireAt - now < holdMs + shorterMs / 2

redis.call('HSET', prioritiesKey, jobId, priority, 'tokens', tostring(tokens - 1), 'at', tostring(math.max(now, at)))
if refresh or not pendingKept then
  redis.call('ZADD', pendingKey, now + leaseMs, jobId, 0, '')
  redis.call('PEXPIRE', pendingKey, keyTtlMs)
else
  redis.call('ZADD', pendingKey, now + leaseMs, jobId)
end
if refresh then
  -- Without the marker, admitted is new or was kept by an older version, which pruned it itself.
  if keysExpireAt then
    redis.call('ZREMRANGEBYSCORE', admittedKey, '-inf', now - windowMs)
  end
  redis.call('ZADD', admittedKey, now, jobId, now + keyTtlMs, KEYS_EXPIRE_AT)
else
  redis.call('ZADD', admittedKey, now, jobId)
end
if refresh then
  redis.call('ZADD', gateKey, 0, member, 0, '')
  redis.call('PEXPIRE', gateKey, keyTtlMs)
  redis.call('PEXPIRE', admittedKey, keyTtlMs)
else
  redis.call('ZADD', gateKey, 0, member)
end
if refresh or not stored[2] then
  redis.call('PEXPIRE', prioritiesKey, keyTtlMs)
end
if serverMaxPending > 0 then
  redis.call('SADD', serverPendingKey, serverMember)
  redis.call('PEXPIRE', serverPendingKey, keyTtlMs)
end
if serverPerMinute > 0 then
  redis.call('ZADD', serverAdmittedKey, now, serverMember)
  redis.call('PEXPIRE', serverAdmittedKey, serverWindowMs)
end
isPending[jobId] = true

-- A slot or group whose job left the pending set (settled without its settle reaching here, or its lease
-- lapsed) is dropped, so both hashes hold at most the user's pending jobs. Then the job's slot replaces any
-- other of its conversation: a follow-up joins the newest reply not started.
if slotField ~= '' then
  local slots = redis.call('HGETALL', slotsKey)
  for index = 1, #slots, 2 do
    local ok, slot = pcall(cjson.decode, slots[index + 1])
    if not ok or type(slot) ~= 'table' or not isPending[tostring(slot.jobId)] then
      redis.call('HDEL', slotsKey, slots[index])
    end
  end
  for _, groupJobId in ipairs(redis.call('HKEYS', groupsKey)) do
    if not isPending[groupJobId] then
      redis.call('HDEL', groupsKey, groupJobId)
    end
  end
  redis.call('HSET', slotsKey, slotField, ARGV[22])
  redis.call('PEXPIRE', slotsKey, keyTtlMs)
end

-- Behind an earlier job of its conversation, the job waits from the start: marked here, the settle that makes
-- it the conversation's first job names it for a wake-up, and no worker takes it before then.
-- With no other job pending there is none to wait for (stale gate entries met later are dropped by the
-- job's turn check).
local waiting = 0
if pendingCount > 0 and findEarlierJob(gateKey, pendingKey, waitingKey, conversation, member) then
  redis.call('SADD', waitingKey, jobId)
  redis.call('PEXPIRE', waitingKey, keyTtlMs)
  waiting = 1
end

return { windowsDropped, 1, priority, waiting }
