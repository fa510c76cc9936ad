--[[
  Settles a reply job: removes it from the user's pending set, its recorded priority, its conversation gate
  entry, its waiting mark, its coalesce group and its coalesce slot (when the slot is still its own; a job that
  never opens one has neither).
  Idempotent. With ARGV[3] = '1' it also forgets the admission itself (used when Queue.add failed, so
  admitting the same job again is not mistaken for a duplicate).
  Then names the job to wake: the conversation's first job left, when it is pending and was told to wait
  (its mark is taken, so one settle wakes it once). Stale entries met on the way are dropped.

  KEYS[1] pending      ZSET jobId -> lease expiry, plus the empty member (see admitReply)
  KEYS[2] priorities   HASH jobId -> priority
  KEYS[3] gate         ZSET of gate members, plus the empty member (see admitReply)
  KEYS[4] admitted     ZSET jobId -> admission time
  KEYS[5] waiting      SET of job ids told to wait for their turn
  KEYS[6] coalesce-slots   HASH `<channelId>:<personalityId>` -> slot JSON
  KEYS[7] coalesce-groups  HASH jobId -> group JSON

  ARGV[1] job id
  ARGV[2] gate member
  ARGV[3] '1' = also forget the admission, '0' = keep it (duplicates stay duplicates)
  ARGV[4] the conversation's member prefix (`<channelId>:<personalityId>:`)
  ARGV[5] the conversation's coalesce slot field (`<channelId>:<personalityId>`; '' = the job never opens a
          slot, see canOpenCoalesceSlot: it has no slot nor group to drop)
  ARGV[6] '1' = the caller's attempt passed its turn check, which took the job's waiting mark ('' or none: the
          mark is taken here)

  Returns { removed } or { removed, jobIdToWake }; removed is 1 when the job was pending, 0 otherwise.
]]
--- @include "includes/settleJob"

return settleJob(KEYS, ARGV)
