--[[
  Drops the user's pending jobs whose lease has expired (a gateway died before adding the job, or a worker
  died before settling it), with their recorded priorities. This is what makes the pending set
  self-healing instead of a counter that drifts.
  Returns the job ids still pending, in lease order, and whether the set holds its empty member (admitReply's:
  it keeps the key from being deleted when the last job settles, so the key keeps its TTL). One read of the
  whole set (at most the user's pending cap) answers the prune, the count and every "is it pending" the
  caller asks afterwards.
]]
local function pruneExpiredLeases(pendingKey, prioritiesKey, now)
  local entries = redis.call('ZRANGE', pendingKey, 0, -1, 'WITHSCORES')
  local live, expired, kept = {}, {}, false
  for index = 1, #entries, 2 do
    if entries[index] == '' then
      kept = true
    elseif tonumber(entries[index + 1]) <= now then
      expired[#expired + 1] = entries[index]
    else
      live[#live + 1] = entries[index]
    end
  end
  if #expired > 0 then
    redis.call('ZREM', pendingKey, unpack(expired))
    redis.call('HDEL', prioritiesKey, unpack(expired))
  end
  return live, kept
end
