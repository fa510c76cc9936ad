--[[
  A channel's budget: Discord's hidden limit of about `limit` webhook messages per `window` in one channel, over
  all of its webhooks, with no header announcing it (discord-api-docs #367, #1454). Nothing tells how Discord
  aligns that window, so no span of `window + margin` may hold more than `limit` sends (a sliding window): a send
  comes no earlier than the `limit`-th newest reserved one plus that span. That holds for a send placed between
  reserved ones too (each webhook's bucket decides its own times): at most `limit - 1` others lie after the
  `limit`-th newest, so no window around the new send holds more than `limit`.

  The channel's hash: `slots` (the newest `limit` reserved send times, read and saved with includes/bucketSlots),
  `blockedUntil` (after a shared 429), `w:<userId>` (that user's posts in the channel's queue).

  While the budget binds, posts queue for it (two sorted sets of members `<userId>:<requestId>`: one scored by
  turn, one by when a waiter that has not come back is forgotten). A user's k-th waiting post takes the turn
  `arrival + (k - 1) * window / limit`: every user's first waiting post comes before anyone's second, and a
  flooding user's posts are spread at the channel's own pace, so a post waits at most until its turn and a flood
  cannot push a light user's post back by more than the posts queued before it arrived.
]]

-- The channel's state after `now - span`: its slots and block (and `csv`, its slots as stored).
local function readChannel(channelKey, now, span)
  local state = redis.call('HMGET', channelKey, 'slots', 'blockedUntil')
  return { slots = readBucketSlots(state[1], now - span), blockedUntil = tonumber(state[2]) or 0, csv = state[1] }
end

-- When the channel can take its k-th next send (k >= 1), at the earliest, if every earlier one goes at its own:
-- no earlier than the one before it, nor than the send `limit` before it (a reserved slot, or one of these
-- future sends) plus the span.
local function channelFreeAt(channel, limit, span, notBefore, k)
  local slots = channel.slots
  local known = #slots
  local at = math.max(notBefore, channel.blockedUntil)
  local future = {}
  for j = 1, k do
    local before = known + j - limit
    if before >= 1 then
      local earlier = before <= known and slots[before] or future[before - known]
      at = math.max(at, earlier + span)
    end
    future[j] = at
  end
  return at
end

-- Drops waiters whose deadline passed (their job was cancelled, failed, or came back too late to keep its turn).
local function forgetLostWaiters(channelKey, waitersKey, deadlinesKey, now)
  local lost = redis.call('ZRANGEBYSCORE', deadlinesKey, '-inf', string.format('%.3f', now))
  for _, member in ipairs(lost) do
    redis.call('ZREM', deadlinesKey, member)
    if redis.call('ZREM', waitersKey, member) == 1 then
      local field = 'w:' .. string.match(member, '^([^:]*)')
      if redis.call('HINCRBY', channelKey, field, -1) <= 0 then
        redis.call('HDEL', channelKey, field)
      end
    end
  end
end

-- Queues `member` (of `userId`) behind the user's other waiting posts; returns its 0-based place.
local function joinChannelQueue(channelKey, waitersKey, member, userId, now, turnSpacingMs)
  local waiting = redis.call('HINCRBY', channelKey, 'w:' .. userId, 1)
  redis.call('ZADD', waitersKey, string.format('%.3f', now + (waiting - 1) * turnSpacingMs), member)
  return redis.call('ZRANK', waitersKey, member)
end

-- Takes `member` (of `userId`) out of the queue: its post got its slot.
local function leaveChannelQueue(channelKey, waitersKey, deadlinesKey, member, userId)
  redis.call('ZREM', deadlinesKey, member)
  if redis.call('ZREM', waitersKey, member) == 1 then
    local field = 'w:' .. userId
    if redis.call('HINCRBY', channelKey, field, -1) <= 0 then
      redis.call('HDEL', channelKey, field)
    end
  end
end

-- Records a send reserved at `at` in the channel's slots, keeping the newest `limit`.
local function saveChannelSlot(channelKey, channel, limit, at)
  local slots = channel.slots
  slots[#slots + 1] = at
  table.sort(slots)
  saveNewestBucketSlots(channelKey, slots, limit)
end
