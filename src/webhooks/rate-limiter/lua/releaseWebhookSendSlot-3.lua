--[[
  Gives back a send time reserved by reserveWebhookSendSlot that went unused (the request woke too late to send
  in it, or its bucket became blocked meanwhile), so it no longer counts against its bucket's window, its
  channel's budget or the fleet-wide limiter. Reservations made after it stay as they are: each was placed with
  it counted, so removing it only loosens what they assumed.

  KEYS[1]  fleet-wide reservations (sorted set)
  KEYS[2]  the bucket key the time was reserved on (hash field `slots`: ascending Unix ms, comma-separated)
  KEYS[3]  the channel's budget (hash field `slots`, same form; absent when the channel has no budget)
  ARGV[1]  the reserved time, exactly as the reservation returned it
  Returns  1 when the bucket still held it, else 0
]]
local reserved = ARGV[1]
redis.call('ZREM', KEYS[1], reserved)

-- Removes one `reserved` from the `slots` field of `key`; 1 when it was there.
local function forgetSlot(key)
  local slots = redis.call('HGET', key, 'slots')
  if not slots then
    return 0
  end
  local kept = {}
  local found = 0
  for value in string.gmatch(slots, '[^,]+') do
    if found == 0 and value == reserved then
      found = 1
    else
      kept[#kept + 1] = value
    end
  end
  if found == 1 then
    redis.call('HSET', key, 'slots', table.concat(kept, ','))
  end
  return found
end

forgetSlot(KEYS[3])
return forgetSlot(KEYS[2])
