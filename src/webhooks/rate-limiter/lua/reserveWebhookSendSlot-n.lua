--[[
  Picks the webhook of a channel's pool that can send soonest and reserves that send time on its bucket and on
  the fleet-wide limiter together, in one step. Reserving the two one after the other let the first go stale
  while the request queued for the second (hundreds of requests across many channels wait on the fleet-wide
  limiter), and choosing the webhook from a read made before the reservation sent concurrent requests all to the
  same webhook of a pool while the other idled.

  A bucket (Discord: `limit` per `window`, a fixed window opening at its first request): its slots are handed out
  in order; a slot comes no earlier than the newest one, than `blockedUntil`, and than the `limit`-th newest plus
  window + margin. Then no window of Discord's, wherever it opens, sees more than `limit` of them.

  The fleet-wide limiter (Discord counts requests without a bot token per IP, whichever process sends them):
  reserved send times at least `interval` apart, in a sorted set. The caller folds its margin into `interval`
  ((window + margin) / rate), so sends arriving late by up to the margin still leave every window of Discord's
  with at most `rate` requests. A request takes the first gap at or after its bucket allows it, so a turn a
  waiting bucket cannot use goes to another bucket instead of being wasted; while any is reserved, every send
  time lies on one grid of whole intervals, so no gap is too short to use.

  A channel's budget (includes/channelBudget) holds every send of the channel's pool back to its next slot. A post
  that names itself (a waiter) and would wait longer than the caller allows is not reserved: it queues for the
  channel's slots in its user's turn and is told when to come back; its caller delays it meanwhile instead of
  holding a worker. The same goes for a channel blocked by a shared 429.

  KEYS[1]     fleet-wide reservations (sorted set: score = send time, Unix ms, full precision; member = the same
              to three decimals). Its TTL outlasts its newest member by over a second; past ones are pruned only
              now and then (see below), so every read skips members before `now - interval`.
  KEYS[2]     fleet-wide block (string: no send before this Unix ms, after a global 429)
  KEYS[3]     the channel's budget (hash: slots, blockedUntil, w:<userId>; see includes/channelBudget)
  KEYS[4]     the channel's waiters (sorted set: member `<userId>:<requestId>`, score = turn)
  KEYS[5]     the channel's waiters by deadline (sorted set: same members, score = forget after, Unix ms)
  KEYS[6..]   the pool's bucket keys, one per webhook, in the caller's order of preference (hash: limit,
              windowMs, blockedUntil, slots = ascending Unix ms, comma-separated, keptUntil = Unix ms before
              which the key does not expire; absent: unknown)
  ARGV[1]     now, Unix ms
  ARGV[2]     fleet-wide interval between sends, ms (fractional)
  ARGV[3]     bucket limit to assume until Discord told one (for this webhook or another of the pool)
  ARGV[4]     bucket window (ms) to assume until Discord told one (likewise)
  ARGV[5]     safety margin, ms
  ARGV[6]     how long an idle bucket keeps what it learned, ms (at least; up to half as long again, so that
              its TTL is refreshed only now and then)
  ARGV[7]     1 when the pool may grow: then, if every bucket is full or blocked, nothing is reserved
  ARGV[8]     the channel's budget: sends per window (0: no budget; a shared 429's block still holds)
  ARGV[9]     the channel's window, ms, widened by the channel's own margin (on top of ARGV[5])
  ARGV[10]    longest wait for the channel a waiter takes in place, ms
  ARGV[11]    the waiter, `<userId>:<requestId>`, or '' for a request that waits in place however long
  ARGV[12]    the waiter's user id ('' without a waiter)
  ARGV[13]    how long past its turn a waiter that has not come back keeps its place, ms
  ARGV[14]    1 when the waiter retakes a slot it had and gave back (it woke too late to use it): it had its
              turn, so it does not queue behind the others unless the channel is full again
  ARGV[15]    a send time this request reserved earlier and gives back first (it went stale; see
              includes/forgetReservedSlot), or '' for none
  ARGV[16]    the position among KEYS[6..] (1-based) of the bucket that time was reserved on (with ARGV[15])
  Returns     {index of the chosen bucket among KEYS[6..] (1-based), ms to wait before sending (rounded up),
              the reserved time as stored (to release it if it goes unused), the limit and window (ms) the
              chosen bucket was reserved under, its slots as stored (this one last)}: the last three let the
              caller tell whether the response brings news (recordWebhookBucketResponse);
              {0, 0, ''} when the pool should grow first; {-1, ms after which to come back, ''} when the
              waiter must wait for the channel's budget, {-2, …} when for a shared 429's block of the channel
]]
--- @include "includes/bucketSlots"
--- @include "includes/channelBudget"
--- @include "includes/forgetReservedSlot"

local globalKey = KEYS[1]
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local defaultLimit = tonumber(ARGV[3])
local defaultWindowMs = tonumber(ARGV[4])
local marginMs = tonumber(ARGV[5])
local idleTtlMs = tonumber(ARGV[6])
local mayGrow = ARGV[7] == '1'
local notBefore = math.max(now, tonumber(redis.call('GET', KEYS[2])) or 0)
local FIRST_BUCKET = 6

-- The channel: its next slot, and for a waiter whether its turn is near enough to take it now.
local channelKey, waitersKey, deadlinesKey = KEYS[3], KEYS[4], KEYS[5]
local channelLimit = tonumber(ARGV[8])
local channelSpan = tonumber(ARGV[9]) + marginMs
local deferAfterMs = tonumber(ARGV[10])
local waiter = ARGV[11]
local userId = ARGV[12]
local graceMs = tonumber(ARGV[13])
local retaking = ARGV[14] == '1'
local channel = readChannel(channelKey, now, channelSpan)

-- The slot given back is taken out of the hashes as this script reads them (its bucket's with the pool's), and
-- saved by the writes it makes anyway where it can; `finishGiveBack` saves whatever is left before any return.
local givenBack = ARGV[15]
local givesBack = givenBack ~= ''
-- Without a slot to give back, ARGV[16] is empty: the first bucket stands in, never touched.
local giveBackKey = KEYS[5 + (tonumber(ARGV[16]) or 1)]
local channelKept = nil
if givesBack then
  redis.call('ZREM', globalKey, givenBack)
  channelKept = slotsWithout(channel.csv, givenBack)
  if channelKept then
    channel.slots = readBucketSlots(channelKept, now - channelSpan)
  end
end
-- `bucketKept`: the given-back bucket's slots without it, once read (nil: not read, or it did not hold it).
local function finishGiveBack(bucketRead, bucketKept, channelSaved)
  if channelKept and not channelSaved then
    redis.call('HSET', channelKey, 'slots', channelKept)
  end
  if givesBack and not bucketRead then
    forgetSlot(giveBackKey, givenBack)
  elseif bucketKept then
    redis.call('HSET', giveBackKey, 'slots', bucketKept)
  end
end
local budgeted = channelLimit > 0
local queued = false
-- The two queue keys hold the same members, so an empty one means both are: then they need no reads or TTLs.
local queueEmpty = false

-- Keeps the channel's keys while a slot or a waiter needs them.
local function keepChannel(untilAt)
  local latest = nil
  if not queueEmpty then
    latest = redis.call('ZRANGE', deadlinesKey, -1, -1, 'WITHSCORES')[2]
  end
  untilAt = math.max(untilAt, channel.blockedUntil, tonumber(latest) or 0)
  local ttlMs = math.ceil(untilAt - now) + idleTtlMs
  redis.call('PEXPIRE', channelKey, ttlMs)
  if latest then
    redis.call('PEXPIRE', waitersKey, ttlMs)
    redis.call('PEXPIRE', deadlinesKey, ttlMs)
  end
end

if budgeted and waiter ~= '' then
  local place = false
  local othersWaiting = false
  queueEmpty = redis.call('ZCARD', waitersKey) == 0
  if not queueEmpty then
    forgetLostWaiters(channelKey, waitersKey, deadlinesKey, now)
    place = redis.call('ZRANK', waitersKey, waiter)
    othersWaiting = not place and not retaking and redis.call('ZCARD', waitersKey) > 0
  end
  if
    not place
    and (othersWaiting or channelFreeAt(channel, channelLimit, channelSpan, notBefore, 1) - now > deferAfterMs)
  then
    place = joinChannelQueue(channelKey, waitersKey, waiter, userId, now, channelSpan / channelLimit)
  end
  if place then
    queued = true
    queueEmpty = false
    local turnAt = channelFreeAt(channel, channelLimit, channelSpan, notBefore, place + 1)
    redis.call('ZADD', deadlinesKey, string.format('%.3f', turnAt + graceMs), waiter)
    keepChannel(turnAt + graceMs)
    if turnAt - now > deferAfterMs then
      -- Back a little before its turn: then it takes its slot and waits the rest in place.
      local code = -1
      if channel.blockedUntil >= turnAt then
        code = -2
      end
      finishGiveBack(false, nil, false)
      return { code, math.ceil(turnAt - now - deferAfterMs / 2), '' }
    end
  end
end
local channelAt = math.max(notBefore, channel.blockedUntil)
if budgeted then
  channelAt = channelFreeAt(channel, channelLimit, channelSpan, notBefore, 1)
end
if waiter ~= '' and channelAt - now > deferAfterMs then
  -- Blocked after a shared 429: nothing to queue for; come back when the block ends.
  finishGiveBack(false, nil, false)
  return { -2, math.ceil(channelAt - now - deferAfterMs / 2), '' }
end
notBefore = channelAt

-- Discord gives every webhook's executes the same limit: a webhook new to the pool takes the shape another one
-- already learned from Discord's headers, before the defaults.
local states = {}
local bucketKept = nil
local giveBackPosition = tonumber(ARGV[16])
for index = FIRST_BUCKET, #KEYS do
  local state = redis.call('HMGET', KEYS[index], 'limit', 'windowMs', 'blockedUntil', 'slots', 'keptUntil')
  if givesBack and index - FIRST_BUCKET + 1 == giveBackPosition then
    bucketKept = slotsWithout(state[4], givenBack)
    state[4] = bucketKept or state[4]
  end
  states[#states + 1] = state
  if state[1] and state[2] then
    defaultLimit = tonumber(state[1]) or defaultLimit
    defaultWindowMs = tonumber(state[2]) or defaultWindowMs
  end
end

-- Each bucket's earliest free time and room left in its window.
local buckets = {}
local earliest = math.huge
local anyRoom = false
for position, state in ipairs(states) do
  local index = position + FIRST_BUCKET - 1
  local limit = math.max(1, tonumber(state[1]) or defaultLimit)
  local span = (tonumber(state[2]) or defaultWindowMs) + marginMs
  local blockedUntil = tonumber(state[3]) or 0
  local slots = readBucketSlots(state[4], now - span)
  local freeAt = math.max(notBefore, blockedUntil)
  if #slots > 0 then
    freeAt = math.max(freeAt, slots[#slots])
  end
  if #slots >= limit then
    freeAt = math.max(freeAt, slots[#slots - limit + 1] + span)
  end
  local room = 0
  if blockedUntil <= now then
    room = math.max(0, limit - #slots)
  end
  anyRoom = anyRoom or room > 0
  earliest = math.min(earliest, freeAt)
  buckets[#buckets + 1] = {
    key = KEYS[index],
    limit = limit,
    span = span,
    slots = slots,
    freeAt = freeAt,
    room = room,
    keptUntil = tonumber(state[5]) or 0,
  }
end

if mayGrow and not anyRoom then
  finishGiveBack(true, bucketKept, false)
  return { 0, 0, '' }
end

-- The fleet-wide reservations that can be in the way (no reservation closer than `interval` on either side), by
-- score. `earliest` is never before `now`, so members left before `now - interval` are never among them.
local takenRead = redis.call(
  'ZRANGEBYSCORE', globalKey, string.format('(%.3f', earliest - interval), '+inf', 'WITHSCORES')
local taken = {}
for i = 2, #takenRead, 2 do
  taken[#taken + 1] = tonumber(takenRead[i])
end
-- Neighbours one interval apart must not read as overlapping (members have three decimals, grids rebased on a
-- reservation differ by rounding).
local EPSILON = 0.01
local function firstGapFrom(at)
  for _, other in ipairs(taken) do
    if other >= at + interval - EPSILON then
      break
    end
    if other > at - interval + EPSILON then
      at = other + interval
    end
  end
  return at
end
-- While the fleet has any send reserved, every new one goes on one grid: a whole number of intervals from an
-- origin kept as long as any reservation is held. A send placed wherever its bucket allowed left gaps shorter than
-- two intervals beside it, which no later send fits; so did lining a send up with its neighbour only, since a
-- bucket waiting for its next window reserves seconds ahead, where it started an island of its own phase. When the
-- buckets rather than the fleet decide the times (as many channels as the fleet's rate, each one webhook), those
-- slivers cost several % of the rate. The price is a wait of under one interval where a send could have gone
-- between the grid's points (a lone busy channel's windows ~0.5 % later); an idle fleet has no grid. Every held
-- reservation lies on the grid, so any one's score (full precision) serves as its origin: one in `taken`, else the
-- newest, if it is not past (members before `now - interval` may linger: see KEYS[1]).
local gridOrigin = taken[1]
local newest = taken[#taken]
if newest == nil then
  newest = tonumber(redis.call('ZREVRANGEBYSCORE', globalKey, '+inf', '-inf', 'WITHSCORES', 'LIMIT', 0, 1)[2])
  if newest and newest > now - interval then
    gridOrigin = newest
  end
end
local function onGrid(at)
  if gridOrigin == nil then
    return at
  end
  return gridOrigin + interval * math.ceil((at - gridOrigin - EPSILON) / interval)
end
local function firstGapOnGridFrom(at)
  for _ = 1, 32 do
    local gap = firstGapFrom(at)
    at = onGrid(gap)
    if at == gap then
      break
    end
  end
  return at
end

-- Soonest send; on a tie, the bucket with the most room (a busy channel spreads over its pool), then the first.
local chosen, chosenAt
for index, bucket in ipairs(buckets) do
  local at = firstGapOnGridFrom(bucket.freeAt)
  if chosen == nil or at < chosenAt or (at == chosenAt and bucket.room > buckets[chosen].room) then
    chosen, chosenAt = index, at
  end
end

local bucket = buckets[chosen]
local member = string.format('%.3f', chosenAt)
redis.call('ZADD', globalKey, chosenAt, member)
-- The set's TTL and pruning move by periods of the reservations' time: the first newest reservation in a period
-- keeps the set until a second past that period's end, so any later one in it needs no TTL of its own (a period
-- is under a second: the previous version's TTL, a second past the newest, covers it too). Past reservations go
-- then as well: between prunes, every member lies between the last one's `now - interval` and the end of its
-- period, which bounds the set.
local PERIOD = math.min(interval * 32, 1000)
local period = math.floor(chosenAt / PERIOD)
if newest == nil or period > math.floor(newest / PERIOD) then
  redis.call('PEXPIRE', globalKey, math.ceil((period + 1) * PERIOD - now + interval) + 1000)
  if newest then
    redis.call('ZREMRANGEBYSCORE', globalKey, '-inf', string.format('(%.3f', now - interval))
  end
end

local slots = bucket.slots
slots[#slots + 1] = chosenAt
-- The key outlasts its slots by the idle TTL; moved, with room to spare, only when it would not.
local keptUntil = nil
if bucket.keptUntil < chosenAt + bucket.span + idleTtlMs then
  keptUntil = math.ceil(chosenAt + bucket.span + idleTtlMs * 1.5)
end
local savedSlots = saveNewestBucketSlots(bucket.key, slots, bucket.limit, keptUntil)
if chosen == giveBackPosition then
  bucketKept = nil
end
finishGiveBack(true, bucketKept, budgeted)
if keptUntil then
  redis.call('PEXPIRE', bucket.key, math.ceil(keptUntil - now))
end
if budgeted then
  saveChannelSlot(channelKey, channel, channelLimit, chosenAt)
  if queued then
    leaveChannelQueue(channelKey, waitersKey, deadlinesKey, waiter, userId)
  end
  keepChannel(chosenAt + channelSpan)
end
return { chosen, math.ceil(chosenAt - now), member, bucket.limit, bucket.span - marginMs, savedSlots }
