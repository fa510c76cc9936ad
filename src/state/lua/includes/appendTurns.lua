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

  if #args >= 14 then
    redis.call('RPUSH', conversationKey, unpack(args, 14))
  end

  local entries = redis.call('LRANGE', conversationKey, 0, -1)
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
    if dropped > 0 then
      redis.call('RPUSH', pendingKey, unpack(entries, 1, dropped))
    end
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
    if #pending - pendingDropped > 0 then
      redis.call('PEXPIRE', pendingKey, ttl)
      redis.call('SADD', keys[6], memorySuffix)
      redis.call('PEXPIRE', keys[6], tonumber(ttl) + tonumber(args[10]))
      if redis.call('SET', claimKey, args[9], 'NX', 'PX', args[10]) then
        claimed = 1
      end
    end
    redis.call('PEXPIRE', summaryKey, ttl)
  end

  local evicted = boundIndex(keys[2], conversationSuffix, tonumber(args[5]), tonumber(args[1]), tonumber(args[6]))
  return { count - dropped, evicted, handedOver, pendingDropped, claimed, 1 }
end
