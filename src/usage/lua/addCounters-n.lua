--[[
  Adds to the counters of several expiring keys of one slot (a user's day and month, or one shared total),
  each key's TTL set when it is made (see shared/addToCounters): one call instead of an HINCRBY/ZINCRBY per
  counter and an EXPIRE per key.

  KEYS[i]  counter key (HASH or ZSET)
  ARGV[i]  its spec, see shared/addToCounters

  Returns 1.
]]
--- @include "shared/addToCounters"

for index = 1, #KEYS do
  addToCounters(KEYS[index], ARGV[index])
end
return 1
