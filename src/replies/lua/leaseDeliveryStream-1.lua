--[[
  Takes, renews or gives up the lease on a streamed reply's messages (see includes/takeStreamLease): before a
  retry touches the messages an earlier attempt streamed, and every few seconds while an attempt streams.

  KEYS[1] delivery record   HASH: `stream` = `<leaseUntilMs>:<owner>`

  ARGV[1] owner (the attempt's BullMQ lock token)
  ARGV[2] now (Unix ms)
  ARGV[3] end of the lease (Unix ms; now to give it up)
  ARGV[4] record TTL (s)

  Returns { 1, leaseUntil } when `owner` holds it, { 2, leaseUntil } when another attempt's live lease holds it.
]]
--- @include "includes/takeStreamLease"

local leaseUntil = tonumber(ARGV[3])
local busyUntil = takeStreamLease(KEYS[1], ARGV[1], tonumber(ARGV[2]), ARGV[3])
if busyUntil then
  return { 2, busyUntil }
end
redis.call('EXPIRE', KEYS[1], ARGV[4])
return { 1, leaseUntil }
