--[[
  Keeps the latest text of an edited message only when the message produced a reply job: a job of it is
  still pending, or was admitted within the admission's duplicate window (the queue area's records, so
  routing a message pays nothing for this). Edits of any other message are never stored. Drops the edits
  of messages that have left both records meanwhile, so the hash stays as small as they are.

  KEYS[1] pending    ZSET jobId -> lease expiry (the queue area's)
  KEYS[2] admitted   ZSET jobId -> admission time (the queue area's)
  KEYS[3] edits      HASH messageId -> latest edited text

  ARGV[1] message id
  ARGV[2] edited text
  ARGV[3] TTL of the edits hash (ms)
  ARGV[4] what a reply job id holds before the message id
  ARGV[5] what it holds right after the message id

  Returns 1 when the edit was kept, 0 when the message has no job (nothing is stored).
]]
local jobIds = redis.call('ZRANGE', KEYS[1], 0, -1)
for _, jobId in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  jobIds[#jobIds + 1] = jobId
end

local function hasJob(messageId)
  local head = ARGV[4] .. messageId .. ARGV[5]
  for _, jobId in ipairs(jobIds) do
    if string.sub(jobId, 1, #head) == head then
      return true
    end
  end
  return false
end

if not hasJob(ARGV[1]) then
  return 0
end
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
for _, messageId in ipairs(redis.call('HKEYS', KEYS[3])) do
  if not hasJob(messageId) then
    redis.call('HDEL', KEYS[3], messageId)
  end
end
redis.call('PEXPIRE', KEYS[3], tonumber(ARGV[3]))
return 1
