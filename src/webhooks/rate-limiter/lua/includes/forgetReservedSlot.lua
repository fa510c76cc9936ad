--[[
  forgetReservedSlot(globalKey, bucketKey, channelKey, reserved): gives back a send time reserved by
  reserveWebhookSendSlot that went unused, so it no longer counts against its bucket's window, its channel's
  budget or the fleet-wide limiter. Reservations made after it stay as they are: each was placed with it
  counted, so removing it only loosens what they assumed.

  globalKey: fleet-wide reservations (sorted set); bucketKey, channelKey: hashes whose `slots` field lists
  ascending Unix ms, comma-separated (the channel's is absent when it has no budget).

  Returns 1 when the bucket still held it, else 0. reserveWebhookSendSlot gives a slot back with the reads and
  writes it makes anyway, through slotsWithout and forgetSlot.
]]

-- `csv` (a `slots` field; nil: none) without one `reserved`, or nil when it does not hold it.
local function slotsWithout(csv, reserved)
  if not csv then
    return nil
  end
  local kept = {}
  local found = false
  for value in string.gmatch(csv, '[^,]+') do
    if not found and value == reserved then
      found = true
    else
      kept[#kept + 1] = value
    end
  end
  if found then
    return table.concat(kept, ',')
  end
  return nil
end

-- Removes one `reserved` from the `slots` field of `key`; 1 when it was there.
local function forgetSlot(key, reserved)
  local kept = slotsWithout(redis.call('HGET', key, 'slots'), reserved)
  if kept == nil then
    return 0
  end
  redis.call('HSET', key, 'slots', kept)
  return 1
end

local function forgetReservedSlot(globalKey, bucketKey, channelKey, reserved)
  redis.call('ZREM', globalKey, reserved)
  forgetSlot(channelKey, reserved)
  return forgetSlot(bucketKey, reserved)
end
