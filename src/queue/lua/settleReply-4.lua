--[[
  Settles a reply job: removes it from the user's pending set, its recorded priority and its conversation
  gate entry. Idempotent. With ARGV[3] = '1' it also forgets the admission itself (used when Queue.add
  failed, so admitting the same job again is not mistaken for a duplicate).

  KEYS[1] pending      ZSET jobId -> lease expiry
  KEYS[2] priorities   HASH jobId -> priority
  KEYS[3] gate         ZSET of gate members
  KEYS[4] admitted     ZSET jobId -> admission time

  ARGV[1] job id
  ARGV[2] gate member
  ARGV[3] '1' = also forget the admission, '0' = keep it (duplicates stay duplicates)

  Returns 1 when the job was pending, 0 otherwise.
]]
local removed = redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[2])
if ARGV[3] == '1' then
  redis.call('ZREM', KEYS[4], ARGV[1])
end
return removed
