--[[
  appendTurns(keys, args): appendConversationTurns' work, for a script that does it among other steps of the
  user's slot in one call. `keys` and `args` are that script's KEYS and ARGV, as appendConversationTurns-9.lua
  documents them; returns what it returns.
]]
--- @include "shared/boundIndex"
--- @include "shared/addToCounters"

local function appendTurns(keys, args)
  if args[11] ~= '' and redis.call('HSETNX', keys[7], args[11], '1') == 0 then
    return { 0, {}, 0, 0, 0, 0 }
  end
  for index = 12, 13 do
    if args[index] ~= '' then
      addToCounters(keys[index - 4], args[index])
    end
  end

  local conversationKey = keys[1]
  local pendingKey = keys[3]
  local summaryKey = keys[4]
  local claimKey = keys[5]
  local ttl = args[1]
  local maxTurns = tonumber(args[2])
  local maxChars = tonumber(args[3])
  local maxPendingTurns = tonumber(args[7])
  local maxPendingChars = tonumber(args[8])
  local separator = string.find(args[4], ';', 1, true)
  local conversationSuffix = string.sub(args[4], 1, separator - 1)
  local memorySuffix = string.sub(args[4], separator + 1)

  local function chars(entry)
    return tonumber(string.match(entry, '^(%d+):'))
  end

  -- A list that held nothing before this push holds just these entries: nothing to read back.
  local entries
  if #args >= 14 and redis.call('RPUSH', conversationKey, unpack(args, 14)) == #args - 13 then
    entries = { unpack(args, 14) }
  else
    entries = redis.call('LRANGE', conversationKey, 0, -1)
  end
  local total = 0
  for _, entry in ipairs(entries) do
    total = total + chars(entry)
  end
  local count = #entries
  local dropped = 0
  while count - dropped > 1 and (count - dropped > maxTurns or total > maxChars) do
    dropped = dropped + 1
    total = total - chars(entries[dropped])
  end
  if dropped > 0 then
    redis.call('LTRIM', conversationKey, dropped, -1)
  end
  redis.call('PEXPIRE', conversationKey, ttl)

  local handedOver = 0
  local pendingDropped = 0
  local claimed = 0
  if maxPendingTurns > 0 then
    local holdsTurns
    if dropped > 0 then
      redis.call('RPUSH', pendingKey, unpack(entries, 1, dropped))
      handedOver = dropped
      local pending = redis.call('LRANGE', pendingKey, 0, -1)
      local pendingChars = 0
      for _, entry in ipairs(pending) do
        pendingChars = pendingChars + chars(entry)
      end
      while #pending - pendingDropped > 0
        and (#pending - pendingDropped > maxPendingTurns or pendingChars > maxPendingChars) do
        pendingDropped = pendingDropped + 1
        pendingChars = pendingChars - chars(pending[pendingDropped])
      end
      if pendingDropped > 0 then
        redis.call('LTRIM', pendingKey, pendingDropped, -1)
      end
      holdsTurns = #pending - pendingDropped > 0
      if holdsTurns then
        redis.call('PEXPIRE', pendingKey, ttl)
      end
    else
      -- Nothing handed over: the list is as its last hand-over left it (bounded then), so its TTL's refresh also
      -- tells whether it holds turns (a list that does not exist holds none).
      holdsTurns = redis.call('PEXPIRE', pendingKey, ttl) == 1
    end
    if holdsTurns and redis.call('SET', claimKey, args[9], 'NX', 'PX', args[10]) then
      claimed = 1
    end
    -- The memory index lists the suffix for as long as its pending turns or its summary live, which this append
    -- keeps alive (a summary can outlive every hand-over: appends that trim nothing still refresh it).
    if redis.call('PEXPIRE', summaryKey, ttl) == 1 or holdsTurns then
      redis.call('SADD', keys[6], memorySuffix)
      redis.call('PEXPIRE', keys[6], tonumber(ttl) + tonumber(args[10]))
    end
  end

  local evicted = boundIndex(keys[2], conversationSuffix, tonumber(args[5]), tonumber(args[1]), tonumber(args[6]))
  return { count - dropped, evicted, handedOver, pendingDropped, claimed, 1 }
end
