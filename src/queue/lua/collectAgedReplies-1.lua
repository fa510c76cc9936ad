--[[
  Collects reply jobs that wait at a priority above 1 and were added at or before the aging cutoff, so the
  caller can raise them to priority 1 with BullMQ's changePriority. No index of our own: BullMQ scores a
  prioritized job `priority * 2^32 + counter`, so each priority's jobs sit together in the order they were
  added. The scan reads the first job of each priority above 1 and goes on within it only while its jobs are
  old enough; it costs one lookup per priority in use (at most USER_MAX_PENDING of them) plus one per job
  collected. A delayed job (a retry, a conversation-gate wait) is collected once it is back in the set.

  KEYS[1] prioritized   BullMQ's prioritized ZSET

  ARGV[1] cutoff: jobs added at or before this are aged (Unix ms)
  ARGV[2] most jobs to collect
  ARGV[3] BullMQ job key prefix (`<bullPrefix>:<queue>:`); a job's hash holds when it was added (`timestamp`)

  Returns the job ids to promote, lowest priority number first.
]]
local BAND = 0x100000000
local cutoff = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local aged = {}
local from = 2 * BAND
while #aged < limit do
  local first = redis.call('ZRANGEBYSCORE', KEYS[1], from, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
  if #first == 0 then
    break
  end
  local score = tonumber(first[2])
  local addedAt = tonumber(redis.call('HGET', ARGV[3] .. first[1], 'timestamp'))
  if addedAt ~= nil and addedAt > cutoff then
    -- The rest of this priority was added later still.
    from = (math.floor(score / BAND) + 1) * BAND
  else
    if addedAt ~= nil then
      aged[#aged + 1] = first[1]
    end
    from = score + 1
  end
end
return aged
