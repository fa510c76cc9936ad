--[[
  Reserves the next send slot of the fleet-wide limiter that every webhook execute passes before its POST
  (Discord counts requests without a bot token per IP, whichever process sends them).

  A GCRA without burst: slots are `interval` apart, and the stored value is the first free one. A reservation
  never fails; it says how long to wait, so waiters queue in order instead of polling. The caller folds its
  safety margin into `interval` ((window + margin) / rate), so sends arriving late by up to the margin still
  leave every window of Discord's with at most `rate` requests.

  KEYS[1]  global rate key (string: first free slot, Unix ms, fractional)
  ARGV[1]  now, Unix ms
  ARGV[2]  interval between slots, ms (fractional)
  Returns  ms to wait before sending (rounded up; 0 = send now)
]]
local rateKey = KEYS[1]
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])

local firstFree = tonumber(redis.call('GET', rateKey)) or 0
local slot = math.max(now, firstFree)
local nextFree = slot + interval
redis.call('SET', rateKey, string.format('%.3f', nextFree), 'PX', math.ceil(nextFree - now) + 1000)
return math.ceil(slot - now)
