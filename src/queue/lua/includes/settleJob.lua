--[[
  settleJob(keys, args): settleReply's work, for a script that settles a job among other steps of the user's slot
  in one call. `keys` and `args` are that script's KEYS and ARGV, as settleReply-7.lua documents them; returns
  what it returns.
]]
local function settleJob(keys, args)
  local pendingKey = keys[1]
  local gateKey = keys[3]
  local waitingKey = keys[5]
  local conversation = args[4]

  local removed = redis.call('ZREM', pendingKey, args[1])
  redis.call('HDEL', keys[2], args[1])
  redis.call('ZREM', gateKey, args[2])
  -- Marked by admission or a "not yet" turn check, unmarked by a "yes": after this attempt's "yes" it is gone.
  if args[6] ~= '1' then
    redis.call('SREM', waitingKey, args[1])
  end
  if args[3] == '1' then
    redis.call('ZREM', keys[4], args[1])
  end
  -- Only admission opens a slot, and only a follow-up joining that slot writes a group: a job that never opens
  -- one (args[5] = '') has neither.
  if args[5] ~= '' then
    redis.call('HDEL', keys[7], args[1])
    -- The slot is the job's only while it has not started (a worker's claim drops it): a job settled before
    -- that (its Queue.add failed, or the gate dropped it as lost) must not leave follow-ups joining a reply
    -- never made.
    local slot = redis.call('HGET', keys[6], args[5])
    if slot then
      local ok, decoded = pcall(cjson.decode, slot)
      if not ok or type(decoded) ~= 'table' or decoded.jobId == args[1] then
        redis.call('HDEL', keys[6], args[5])
      end
    end
  end

  while true do
    local first = redis.call('ZRANGEBYLEX', gateKey, '[' .. conversation, '+', 'LIMIT', 0, 1)[1]
    if not first or string.sub(first, 1, #conversation) ~= conversation then
      return { removed }
    end
    local firstJobId = string.match(first, '([^:]+)$')
    if redis.call('ZSCORE', pendingKey, firstJobId) then
      if redis.call('SREM', waitingKey, firstJobId) == 1 then
        return { removed, firstJobId }
      end
      return { removed }
    end
    redis.call('ZREM', gateKey, first)
    redis.call('SREM', waitingKey, firstJobId)
  end
end
