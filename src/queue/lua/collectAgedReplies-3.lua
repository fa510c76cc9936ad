--[[
  Collects reply jobs that have waited longer than the aging threshold and are still waiting (prioritized
  or delayed), so the caller can raise them to priority 1 with BullMQ's changePriority. Entries of jobs
  that no longer exist are dropped; entries of jobs that exist but are not waiting (active) are pushed to
  `now`, in case they come back (a conversation-gate delay).

  KEYS[1] aging         ZSET jobId -> admission time (ms); in the queue's slot
  KEYS[2] prioritized   BullMQ's prioritized ZSET
  KEYS[3] delayed       BullMQ's delayed ZSET

  ARGV[1] cutoff: entries admitted at or before this are aged (Unix ms)
  ARGV[2] batch size
  ARGV[3] BullMQ job key prefix (`<bullPrefix>:<queue>:`)
  ARGV[4] now (Unix ms)

  Returns the job ids to promote.
]]
local agingKey = KEYS[1]
local aged = {}
local ids = redis.call('ZRANGEBYSCORE', agingKey, '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, jobId in ipairs(ids) do
  if redis.call('ZSCORE', KEYS[2], jobId) or redis.call('ZSCORE', KEYS[3], jobId) then
    aged[#aged + 1] = jobId
    redis.call('ZREM', agingKey, jobId)
  elseif redis.call('EXISTS', ARGV[3] .. jobId) == 1 then
    redis.call('ZADD', agingKey, ARGV[4], jobId)
  else
    redis.call('ZREM', agingKey, jobId)
  end
end
return aged
