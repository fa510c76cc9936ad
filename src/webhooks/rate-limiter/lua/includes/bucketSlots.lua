--[[
  A webhook bucket's reserved slots, as its hash keeps them in the field `slots`: ascending Unix ms (three
  decimals), comma-separated. Only the newest `limit` can hold back a later reservation, so only those are kept.
]]

-- The slots of `csv` (nil: none) after `after` (Unix ms), in order.
local function readBucketSlots(csv, after)
  local slots = {}
  if csv then
    for value in string.gmatch(csv, '[^,]+') do
      local slot = tonumber(value)
      if slot and slot > after then
        slots[#slots + 1] = slot
      end
    end
  end
  return slots
end

-- Stores the newest `limit` of `slots` (ascending) as the bucket's slots, with `keptUntil` when given (a bucket's
-- field: Unix ms before which its key does not expire); returns the slots as stored.
local function saveNewestBucketSlots(bucketKey, slots, limit, keptUntil)
  local kept = {}
  for i = math.max(1, #slots - limit + 1), #slots do
    kept[#kept + 1] = string.format('%.3f', slots[i])
  end
  local csv = table.concat(kept, ',')
  if keptUntil then
    redis.call('HSET', bucketKey, 'slots', csv, 'keptUntil', string.format('%.0f', keptUntil))
  else
    redis.call('HSET', bucketKey, 'slots', csv)
  end
  return csv
end
