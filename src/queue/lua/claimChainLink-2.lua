--[[
  Claims one link of a personality chain: a personality's reply naming another starts at most one link to it
  (a reply split into several messages may name it in each; two gateway replicas see each message), and a
  channel starts at most ARGV[3] links per budget window. The claim is taken whether or not the budget allows
  the link, so a refused link is decided once too.

  KEYS[1] link claim     STRING '1', expiring: this link was decided
  KEYS[2] channel budget STRING counter of links started in the current window, expiring with the window

  ARGV[1] claim TTL in ms
  ARGV[2] budget window in ms (the counter expires this long after the window's first link)
  ARGV[3] links allowed per window (0 = none)

  Returns 1 when claimed (the link may start), 0 when already decided, -1 when the channel's budget is spent.
]]
local claimKey = KEYS[1]
local budgetKey = KEYS[2]

if redis.call('SET', claimKey, '1', 'NX', 'PX', ARGV[1]) == false then
  return 0
end
local allowed = tonumber(ARGV[3])
local used = tonumber(redis.call('GET', budgetKey) or '0')
if used >= allowed then
  return -1
end
if redis.call('INCR', budgetKey) == 1 then
  redis.call('PEXPIRE', budgetKey, ARGV[2])
end
return 1
