--[[
  Appends lines to a channel's window, each once (by message id: two gateways seeing one message write it
  once; a line already there keeps its text, which an edit may have changed since), then trims the window by
  age (every call) and count (when a line was added). The count bound lets a tenth more lines stand before it
  trims back to ARGV[4], so a busy channel's full window drops its oldest lines once per tenth of them rather
  than on every append; reads take the newest lines they need, never more than ARGV[4]. A message removed in
  the last minutes (see removeLines) is not appended again, nor a line already past the window's age (it would
  go at once).

  The keys' lifetime is renewed only when it is short, so most appends write no TTL: a line needs the keys to
  live the window's age past it, and when they would not, they are given the window's age plus the slack
  (ARGV[10]) from now, so the appends of the next half slack leave them alone (the other half absorbs the
  difference between the callers' clocks, by which the mark is dated, and Redis's, by which TTLs count).
  What the keys need is read from the order ZSET's mark, scored -inf so the age trim's read (done anyway) returns
  it first: when the keys and the live marker expire, and until when removed ids may be remembered (learnt when
  the keys are renewed, moved by removeLines), so an append looks them up only then (see includes/windowMark).
  The lines HASH holds a field `~` and `indexed` a member `~` beside it, so no key empties (and goes) while the
  mark lives: a key that went takes its mark with it, and the next new line renews them all. Keys without a mark
  (written by the previous version, which renewed them on every new line and drops the mark with its age trim)
  are renewed by the next new line.

  With mode `if-live` nothing is written unless the channel's live marker exists; with `mark-live` the marker
  is set (or renewed) to expire at least the window's age from now: when the mark shows it would not, it is set
  to the window's age plus the slack from now.

  The gateway's append of a message also records it as the channel's newest (shared/recordNewestId; KEYS[6..7],
  same slot), live channel or not, and asks whether the user's index of windows needs this channel again: the
  `indexed` ZSET remembers in which refresh period (its start) each user's entry was last written there, so it is
  rewritten once per period rather than per line, by one ZADD (the index keeps entries long enough for that: see
  ChannelWindowRepository). It lives with the window's keys (renewed with them, and kept by a member `~`
  scored +inf); the previous version's members (scored by the time of the write) compare with a period's start.

  KEYS[1] live marker   STRING
  KEYS[2] lines         HASH message id -> line JSON, and `~` -> '{}'
  KEYS[3] order         ZSET message id -> sent at (Unix ms), and the mark -> -inf
  KEYS[4] removed       ZSET message id -> removed at (Unix ms)
  KEYS[5] indexed       ZSET user id -> start of the refresh period their index entry for this channel was last
                        written in (Unix ms), and `~` -> +inf
  KEYS[6] channel latest         STRING newest message id (only with ARGV[5])
  KEYS[7] channel latest human   STRING newest message id a person wrote (only with ARGV[5])

  ARGV[1] mode: `if-live` or `mark-live`
  ARGV[2] now (Unix ms)
  ARGV[3] the window's age (ms): lines sent before now minus it go
  ARGV[4] most lines a read may need (the window holds up to a tenth more between trims)
  ARGV[5] message id to record as the channel's newest ('' = none)
  ARGV[6] its TTL in seconds
  ARGV[7] '1' when a person wrote it (also the channel's newest human message), '0' otherwise
  ARGV[8] user whose index entry to refresh when one of their lines is new ('' = none)
  ARGV[9] the index refresh period (ms)
  ARGV[10] the slack (ms) added to the keys' and the live marker's lifetime when they are renewed
  ARGV[11 ..] triples: message id, sent at (Unix ms), line JSON

  Returns { added, index }: added = -1 when the channel is not live (mode `if-live`: no line written), else how
  many lines were new; index = 1 when the caller is to write ARGV[8]'s index entry for this channel.
]]
--- @include "includes/trimByScore"
--- @include "includes/windowMark"
--- @include "shared/recordNewestId"

local liveKey, linesKey, orderKey, removedKey, indexedKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local now = math.floor(tonumber(ARGV[2]))
local maxAgeMs = tonumber(ARGV[3])
local slackMs = tonumber(ARGV[10])
local cutoff = now - maxAgeMs
local refreshMs = tonumber(ARGV[9])
local periodStart = now - now % refreshMs

if ARGV[5] ~= '' then
  recordNewestIds(KEYS[6], KEYS[7], ARGV[5], ARGV[6], ARGV[7] == '1')
end

if ARGV[1] == 'if-live' and redis.call('EXISTS', liveKey) == 0 then
  return { -1, 0 }
end

local agedLines, marks = readAged(orderKey, cutoff)
local keysExpireAt, liveExpiresAt, removedUntil = parseMark(marks[1])
-- Renewed while half the slack is left, so a few seconds' difference between the clocks of the callers and of
-- Redis (which counts a TTL from its own) never lets a key go before it is due.
local margin = math.floor(slackMs / 2)
-- Removed ids are looked up only while some may be remembered, by the mark (removeLines keeps it up to date).
local checkRemoved = not removedUntil or removedUntil + margin > now
if ARGV[1] ~= 'if-live' and liveExpiresAt < now + maxAgeMs + margin then
  liveExpiresAt = now + maxAgeMs + slackMs
  redis.call('SET', liveKey, '1', 'PX', maxAgeMs + slackMs)
end

local added, newestAt = 0, nil
for index = 11, #ARGV, 3 do
  local id, at = ARGV[index], tonumber(ARGV[index + 1])
  if
    at >= cutoff
    and not (checkRemoved and redis.call('ZSCORE', removedKey, id))
    and redis.call('HSETNX', linesKey, id, ARGV[index + 2]) == 1
  then
    redis.call('ZADD', orderKey, ARGV[index + 1], id)
    added = added + 1
    newestAt = math.max(newestAt or at, at)
  end
end

local maxLines = tonumber(ARGV[4])
trimByScore(orderKey, linesKey, cutoff, added > 0 and maxLines, { lines = agedLines, marks = marks },
  math.floor(maxLines / 10))

-- A new line needs the keys to outlive it by the window's age; the older lines need less.
local renew = added > 0 and keysExpireAt < math.min(newestAt, now) + maxAgeMs + margin
if renew then
  keysExpireAt = now + maxAgeMs + slackMs
  redis.call('HSET', linesKey, '~', '{}')
  -- `indexed` shares the keys' lifetime (its own `~`, scored +inf, keeps it); members of earlier periods are due
  -- anyway, so they go here, which bounds it.
  redis.call('ZADD', indexedKey, '+inf', '~')
  redis.call('ZREMRANGEBYSCORE', indexedKey, '-inf', '(' .. periodStart)
  -- Learnt anew here, so ids remembered by a removeLines that left no mark (none there, or the previous
  -- version's) are looked up again from now on.
  local removedTtl = redis.call('PTTL', removedKey)
  removedUntil = removedTtl == -2 and 0 or (removedTtl >= 0 and now + removedTtl or nil)
end
-- The mark is written only where the keys are known to exist with their TTL (renewed now, or the mark was
-- there), the new one before the old goes, so the order never empties in between.
local mark = formatMark(keysExpireAt, liveExpiresAt, removedUntil)
if renew or (marks[1] and (mark ~= marks[1] or #marks > 1)) then
  replaceMarks(orderKey, marks, mark)
end
if renew then
  redis.call('PEXPIRE', linesKey, maxAgeMs + slackMs)
  redis.call('PEXPIRE', orderKey, maxAgeMs + slackMs)
  redis.call('PEXPIRE', indexedKey, maxAgeMs + slackMs)
end

-- The entry is due once per refresh period: the first new line of a period moves the user's score to its start
-- (GT: a write of this period, or a later one, stays).
local index = 0
if added > 0 and ARGV[8] ~= '' and redis.call('ZADD', indexedKey, 'GT', 'CH', periodStart, ARGV[8]) == 1 then
  index = 1
end
return { added, index }
