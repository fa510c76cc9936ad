--[[
  Is it this job's turn in its conversation? True when no earlier job of the same conversation (same
  user, channel, personality) is still pending. Renews the job's own lease (a worker is holding it), prunes
  expired leases and drops the gate entries it meets whose job is no longer pending, so a lost job blocks
  nobody for longer than its lease; with no other job pending it answers without reading the gate.
  The keys' TTL is renewed only when less than half its margin past the lease is left: admitted minutes ago
  at most, the job's keys already outlive the renewed lease. What is left is read from admitted's
  `keys-expire-at` member (admitReply's, which documents it): a lower bound of pending's, priorities', gate's
  and admitted's expiry, rewritten with them, and missing once admitted expired.
  A job told "not yet" is marked waiting, so the settle that makes it the conversation's first job names it
  for a wake-up; a job told "yes" is unmarked.

  KEYS[1] pending      ZSET jobId -> lease expiry, plus the empty member (see admitReply)
  KEYS[2] priorities   HASH jobId -> priority
  KEYS[3] gate         ZSET (all scores 0) of gate members, plus the empty member (see admitReply)
  KEYS[4] admitted     ZSET jobId -> admission time, plus `keys-expire-at` -> the keys' expiry
  KEYS[5] waiting      SET of job ids told to wait for their turn

  ARGV[1] job id
  ARGV[2] the job's gate member
  ARGV[3] the conversation's member prefix (`<channelId>:<personalityId>:`)
  ARGV[4] now (Unix ms)
  ARGV[5] lease (ms)
  ARGV[6] key TTL (ms), more than the lease: the keys outlive the lease just renewed

  Returns
    { 1 }                                      its turn
    { 0, blockerJobId, blockerAdmittedAtMs, blockerMember }   an earlier job is still pending
]]
local pendingKey = KEYS[1]
local prioritiesKey = KEYS[2]
local gateKey = KEYS[3]
local admittedKey = KEYS[4]
local waitingKey = KEYS[5]
local jobId = ARGV[1]
local member = ARGV[2]
local conversation = ARGV[3]
local now = tonumber(ARGV[4])

--- @include "includes/pruneExpiredLeases"
--- @include "includes/findEarlierJob"

local pendingJobs = pruneExpiredLeases(pendingKey, prioritiesKey, now)
local leaseMs = tonumber(ARGV[5])
local keyTtlMs = tonumber(ARGV[6])
-- XX: only a pending job's lease is renewed. CH: 0 when it is not pending, or its lease already ends then
-- (its keys then outlive it already: whoever wrote that lease set their TTL with it).
if redis.call('ZADD', pendingKey, 'XX', 'CH', now + leaseMs, jobId) == 1 then
  -- Refreshed once less than half the margin past the lease is left; the TTL only ever grows (the threshold
  -- is below the TTL given), so the marker stays a lower bound for every key.
  local keysExpireAt = tonumber(redis.call('ZSCORE', admittedKey, 'keys-expire-at'))
  if not keysExpireAt or keysExpireAt - now < leaseMs + (keyTtlMs - leaseMs) / 2 then
    -- With the marker goes gate's empty member, which keeps gate from being deleted while the marker stands.
    redis.call('ZADD', admittedKey, now + keyTtlMs, 'keys-expire-at')
    redis.call('ZADD', gateKey, 0, '')
    redis.call('PEXPIRE', pendingKey, keyTtlMs)
    redis.call('PEXPIRE', prioritiesKey, keyTtlMs)
    redis.call('PEXPIRE', gateKey, keyTtlMs)
    redis.call('PEXPIRE', admittedKey, keyTtlMs)
  end
end

-- With no other job pending there is none to wait for: the gate is not read (stale entries of the conversation
-- are dropped by the settle that looks for the job to wake, or by a later check).
local earlier, blocker
if #pendingJobs > 1 or (#pendingJobs == 1 and pendingJobs[1] ~= jobId) then
  earlier, blocker = findEarlierJob(gateKey, pendingKey, waitingKey, conversation, member)
end
if not earlier then
  redis.call('SREM', waitingKey, jobId)
  return { 1 }
end
redis.call('SADD', waitingKey, jobId)
redis.call('PEXPIRE', waitingKey, ARGV[6])
return { 0, blocker, tonumber(redis.call('ZSCORE', admittedKey, blocker) or '0'), earlier }
