--[[
  The first still-pending job of a conversation before `member` in the user's gate: returns its gate member
  and job id, or nil. Entries whose job is no longer pending (settled, or its lease pruned) are dropped as
  they are met, with their waiting mark, so each stale entry is removed once: O(log n) amortised.
]]
local function findEarlierJob(gateKey, pendingKey, waitingKey, conversation, member)
  while true do
    local earlier = redis.call('ZRANGEBYLEX', gateKey, '[' .. conversation, '(' .. member, 'LIMIT', 0, 1)[1]
    if not earlier then
      return nil
    end
    local earlierJobId = string.match(earlier, '([^:]+)$')
    if redis.call('ZSCORE', pendingKey, earlierJobId) then
      return earlier, earlierJobId
    end
    redis.call('ZREM', gateKey, earlier)
    redis.call('SREM', waitingKey, earlierJobId)
  end
end
