--[[
  Withdraws an attempt's claim on a chunk it never sent (its channel was busy, so the post was put off before
  any request left): the chunk is then neither posted nor maybe posted, and the next attempt posts it without
  looking for it first. A claim another attempt has taken since is left alone.

  KEYS[1] delivery record   HASH: `intent:<i>` = `<startedAtMs>:<leaseUntilMs>:<owner>`

  ARGV[1] chunk index
  ARGV[2] owner (the attempt's BullMQ lock token)

  Returns 1 when the claim was this owner's and was withdrawn, 0 otherwise.
]]
--- @include "includes/ownClaimStart"

if not ownClaimStart(KEYS[1], ARGV[1], ARGV[2]) then
  return 0
end
redis.call('HDEL', KEYS[1], 'intent:' .. ARGV[1])
return 1
