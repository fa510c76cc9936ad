--[[
  Is it this job's turn in its conversation? True when no earlier job of the same conversation (same
  user, channel, personality) is still pending. Renews the job's own lease (a worker is holding it), prunes
  expired leases and drops gate entries whose job is no longer pending, so a lost job blocks nobody for
  longer than its lease. The keys' TTL is renewed only when less than half its margin past the lease is left:
  admitted minutes ago at most, the job's keys already outlive the renewed lease.
  A job told "not yet" is marked waiting, so the settle that makes it the conversation's first job names it
  for a wake-up; a job told "yes" is unmarked.

  KEYS[1] pending      ZSET jobId -> lease expiry
  KEYS[2] priorities   HASH jobId -> priority
  KEYS[3] gate         ZSET (all scores 0) of gate members
  KEYS[4] admitted     ZSET jobId -> admission time
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

pruneExpiredLeases(pendingKey, prioritiesKey, now)
local leaseMs = tonumber(ARGV[5])
local keyTtlMs = tonumber(ARGV[6])
-- XX: only a pending job's lease is renewed. CH: 0 when it is not pending, or its lease already ends then
-- (its keys then outlive it already: whoever wrote that lease set their TTL with it).
if redis.call('ZADD', pendingKey, 'XX', 'CH', now + leaseMs, jobId) == 1 then
  -- The three keys hold the job's entries and share one expiry (admitReply and this script set them together,
  -- and nothing else creates them): refreshed once less than half the margin past the lease is left.
  if redis.call('PTTL', pendingKey) < leaseMs + (keyTtlMs - leaseMs) / 2 then
    redis.call('PEXPIRE', pendingKey, keyTtlMs)
    redis.call('PEXPIRE', prioritiesKey, keyTtlMs)
    redis.call('PEXPIRE', gateKey, keyTtlMs)
  end
end

local earlier, blocker = findEarlierJob(gateKey, pendingKey, waitingKey, conversation, member)
if not earlier then
  redis.call('SREM', waitingKey, jobId)
  return { 1 }
end
redis.call('SADD', waitingKey, jobId)
redis.call('PEXPIRE', waitingKey, ARGV[6])
return { 0, blocker, tonumber(redis.call('ZSCORE', admittedKey, blocker) or '0'), earlier }
