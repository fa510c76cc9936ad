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

-- Stores the newest `limit` of `slots` (ascending) as the bucket's slots; returns them as stored.
local function saveNewestBucketSlots(bucketKey, slots, limit)
  local kept = {}
  for i = math.max(1, #slots - limit + 1), #slots do
    kept[#kept + 1] = string.format('%.3f', slots[i])
  end
  local csv = table.concat(kept, ',')
  redis.call('HSET', bucketKey, 'slots', csv)
  return csv
end
