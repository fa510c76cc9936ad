--[[
  Claims the right to post one chunk of a reply, so that two attempts of the same job never post it both:
  a retry after a crash, and an attempt BullMQ restarted while the first was still running (its lock expired
  during a Redis outage or a long event-loop stall). The claim is the chunk's intent, leased for as long as a
  post may take; the attempt holding a live lease is the only one that may post.

  key: the delivery record, HASH `intent:<i>` = `<startedAtMs>:<leaseUntilMs>:<owner>`, `posted:<i>` = message id
  ...: more field, value pairs of the record written with the claim (in the same HSET), when it is claimed

  The record's TTL is the caller's to refresh (once per script: the caller's other writes refresh it too).

  Returns
    { 1, messageId }          already posted: record it, post nothing
    { 2, leaseUntilMs }       another attempt holds a live claim: it may be posting right now
    { 3, previousStartedAt }  claimed; an earlier attempt claimed it at that time (it may have posted): look first
    { 4 }                     claimed, first attempt: post
]]
-- claimChunk's decision on the chunk's `posted` and `intent` fields (false when absent), for a caller that read
-- them with other fields of the record.
local function claimReadChunk(key, chunk, owner, now, leaseMs, posted, intent, ...)
  if posted then
    return { 1, posted }
  end

  local previousStartedAt = nil
  if intent then
    local startedAt, leaseUntil, holder = string.match(intent, '^(%d+):(%d+):(.*)$')
    if startedAt == nil then
      -- A bare start time (no lease): written by an older version; its attempt is long gone.
      previousStartedAt = tonumber(intent)
    elseif holder ~= owner and tonumber(leaseUntil) > now then
      return { 2, tonumber(leaseUntil) }
    else
      previousStartedAt = tonumber(startedAt)
    end
  end

  redis.call('HSET', key, 'intent:' .. chunk, now .. ':' .. (now + leaseMs) .. ':' .. owner, ...)
  if previousStartedAt then
    return { 3, previousStartedAt }
  end
  return { 4 }
end

local function claimChunk(key, chunk, owner, now, leaseMs, ...)
  local fields = redis.call('HMGET', key, 'posted:' .. chunk, 'intent:' .. chunk)
  return claimReadChunk(key, chunk, owner, now, leaseMs, fields[1], fields[2], ...)
end
