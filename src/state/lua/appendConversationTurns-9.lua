--[[
  Appends turns to one conversation and caps it: the oldest turns leave while there are more than `maxTurns`
  or more than `maxChars` characters (the newest turn is always kept). With a hand-over (ARGV[7] > 0) the turns
  that leave move, in this same script, to the memory's pending list, so no turn is lost between the trim and
  the summary; the list is bounded at each hand-over (its oldest entries are dropped beyond ARGV[7] turns or
  ARGV[8] characters) and, while it holds turns and no summarizer holds the claim, the claim is taken for the
  caller (who enqueues the summarization). Without a hand-over they are deleted. Refreshes the TTLs and records
  the conversation in the user's index, which keeps at most `maxIndexed` conversations, and none older than the
  TTL once full (see shared/boundIndex).

  KEYS[1] conversation   LIST of `<chars>:<turn JSON>`, oldest first
  KEYS[2] index          ZSET of the user's conversation suffixes, scored by last append (Unix ms)
  KEYS[3] pending        LIST of turns waiting for the summary, same entries (without a hand-over: unused)
  KEYS[4] summary        STRING, the rolling summary (its TTL is refreshed; without a hand-over: unused)
  KEYS[5] claim          STRING, the token of the summarization in progress (without a hand-over: unused)
  KEYS[6] memory index   SET of the user's memory suffixes, so erasure finds them without SCAN; it outlives
                         the pending turns and summaries it lists by the claim's TTL: refreshed with them by
                         every append that finds either (without a hand-over: unused)
  KEYS[7] once hash      HASH whose field ARGV[11] is set once (without a once-field: unused)
  KEYS[8] counters       expiring HASH or ZSET, ARGV[12] adds to it (without: unused)
  KEYS[9] counters       expiring HASH or ZSET, ARGV[13] adds to it (without: unused)

  ARGV[1] TTL (ms)
  ARGV[2] max turns
  ARGV[3] max characters
  ARGV[4] this conversation's suffix (`<channelId>:<personalityId>`) `;` this memory's suffix
  ARGV[5] now (Unix ms)
  ARGV[6] most conversations the index keeps
  ARGV[7] most turns the pending list keeps (0: no hand-over, trimmed turns are deleted)
  ARGV[8] most characters the pending list keeps
  ARGV[9] claim token to take
  ARGV[10] claim TTL (ms)
  ARGV[11] the once-field of KEYS[7] ('' = append unconditionally)
  ARGV[12] KEYS[8]'s counter spec ('' = none)
  ARGV[13] KEYS[9]'s counter spec ('' = none)
  ARGV[14 ..] entries to append, each `<chars>:<turn JSON>`

  Returns { how many turns the conversation holds, suffixes dropped from the index (the caller deletes
  those conversations: the script builds no key names), turns handed over, pending turns dropped by its cap,
  1 when the claim was taken (the caller enqueues the summarization) else 0, 1 when it appended else 0 (the
  once-field was set already: nothing was written) }.
]]
--- @include "includes/appendTurns"

return appendTurns(KEYS, ARGV)
