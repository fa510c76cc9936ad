--[[
  forgetReservedSlot(globalKey, bucketKey, channelKey, reserved): gives back a send time reserved by
  reserveWebhookSendSlot that went unused, so it no longer counts against its bucket's window, its channel's
  budget or the fleet-wide limiter. Reservations made after it stay as they are: each was placed with it
  counted, so removing it only loosens what they assumed.

  globalKey: fleet-wide reservations (sorted set); bucketKey, channelKey: hashes whose `slots` field lists
  ascending Unix ms, comma-separated (the channel's is absent when it has no budget).

  Returns 1 when the bucket still held it, else 0.
]]
local function forgetReservedSlot(globalKey, bucketKey, channelKey, reserved)
  redis.call('ZREM', globalKey, reserved)
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
  forgetSlot(channelKey)
  return forgetSlot(bucketKey)
end
