--[[
  Drops the user's pending jobs whose lease has expired (a gateway died before adding the job, or a worker
  died before settling it), with their recorded priorities. This is what makes the pending set
  self-healing instead of a counter that drifts.
]]
local function pruneExpiredLeases(pendingKey, prioritiesKey, now)
  local expired = redis.call('ZRANGEBYSCORE', pendingKey, '-inf', now)
  if #expired > 0 then
    redis.call('ZREMRANGEBYSCORE', pendingKey, '-inf', now)
    for _, jobId in ipairs(expired) do
      redis.call('HDEL', prioritiesKey, jobId)
    end
  end
end
