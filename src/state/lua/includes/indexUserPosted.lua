--[[
  indexUserPosted(keys, args): adds posted messages to the index of replies to one user, so /forget-me finds
  their posted-message entries without SCAN, and with args[4] sets that field of keys[2] to args[5] (a reply's
  delivery record learning the message's id: the record and the index written by one call). Bounded by count
  and by age (entries older than the posted-message TTL go once the index is full; their entries have expired,
  see shared/boundIndex). See indexUserPosted-2 for the keys and arguments.

  Returns the members dropped from the index (usually none), for the caller to delete those posted-message
  entries (other slots), so no entry outlives its place in this index.
]]
--- @include "shared/boundIndex"

local function indexUserPosted(keys, args)
  local now = tonumber(args[1])
  local ttl = tonumber(args[2])
  local cap = tonumber(args[3])
  if args[4] ~= '' then
    redis.call('HSET', keys[2], args[4], args[5])
  end
  local dropped = {}
  for index = 6, #args do
    for _, old in ipairs(boundIndex(keys[1], args[index], now, ttl, cap)) do
      dropped[#dropped + 1] = old
    end
  end
  return dropped
end
