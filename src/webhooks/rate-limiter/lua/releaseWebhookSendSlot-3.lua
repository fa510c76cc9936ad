--[[
  Gives back a send time reserved by reserveWebhookSendSlot that went unused (the request woke too late to send
  in it, or its bucket became blocked meanwhile): see includes/forgetReservedSlot. A request that reserves again
  right away gives it back in that reservation instead (reserveWebhookSendSlot's ARGV[15]).

  KEYS[1]  fleet-wide reservations (sorted set)
  KEYS[2]  the bucket key the time was reserved on (hash field `slots`: ascending Unix ms, comma-separated)
  KEYS[3]  the channel's budget (hash field `slots`, same form; absent when the channel has no budget)
  ARGV[1]  the reserved time, exactly as the reservation returned it
  Returns  1 when the bucket still held it, else 0
]]
--- @include "includes/forgetReservedSlot"

return forgetReservedSlot(KEYS[1], KEYS[2], KEYS[3], ARGV[1])
