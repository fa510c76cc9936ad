--[[
  takeStreamLease(key, owner, now, leaseUntil): the lease on a streamed reply's messages, held by the attempt
  writing them (posting, editing, deleting). While one attempt holds a live lease, no other attempt of the job
  touches those messages: a retry BullMQ started beside an attempt that still streams waits instead of editing
  over it. Taken, renewed and given up (with `leaseUntil` = now) by the same call.

  key: the delivery record, HASH `stream` = `<leaseUntilMs>:<owner>`

  Returns nil when `owner` holds the lease until `leaseUntil` (taken, renewed or given up), or the end (Unix
  ms) of another attempt's live lease, which is left alone.

  streamLeaseBusyUntil(key, owner, now) is its check alone, for a script that writes the lease (its value:
  streamLeaseValue) with its own fields in one HSET: that end, or nil when `owner` may take the lease.
]]
local function streamLeaseBusyUntil(key, owner, now)
  local lease = redis.call('HGET', key, 'stream')
  if lease then
    local heldUntil, holder = string.match(lease, '^(%d+):(.*)$')
    if heldUntil ~= nil and holder ~= owner and tonumber(heldUntil) > now then
      return tonumber(heldUntil)
    end
  end
  return nil
end

local function streamLeaseValue(owner, leaseUntil)
  return leaseUntil .. ':' .. owner
end

local function takeStreamLease(key, owner, now, leaseUntil)
  local busyUntil = streamLeaseBusyUntil(key, owner, now)
  if busyUntil then
    return busyUntil
  end
  redis.call('HSET', key, 'stream', streamLeaseValue(owner, leaseUntil))
  return nil
end
