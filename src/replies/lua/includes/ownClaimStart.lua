--[[
  ownClaimStart(key, chunk, owner): the start time (as stored) of `owner`'s claim on a chunk, or nil when the
  chunk has no claim, a claim in an older shape, or one another attempt has taken since.

  key: the delivery record, HASH `intent:<i>` = `<startedAtMs>:<leaseUntilMs>:<owner>` (see includes/claimChunk)
]]
local function ownClaimStart(key, chunk, owner)
  local intent = redis.call('HGET', key, 'intent:' .. chunk)
  if not intent then
    return nil
  end
  local startedAt, _, holder = string.match(intent, '^(%d+):(%d+):(.*)$')
  if startedAt == nil or holder ~= owner then
    return nil
  end
  return startedAt
end
