--[[
  Everything a posted reply leaves in its user's slot, in one call: the conversation's append (with the delivery
  record's history claim and the user's usage counters, see state's includes/appendTurns) and the job's settle
  (see queue's includes/settleJob), and the release of a streamed reply's lease by the attempt that streamed
  it (includes/takeStreamLease; left alone when another attempt holds it), and the entry of the user's window
  index its own lines in the channel's window need (shared/boundIndex, as context's indexUserWindow-1; not
  rewritten while it is younger than half a window age, a sixth of ARGV[n+11]).
  Settled here, the job frees its user's pending slot and its conversation's gate as soon as its history is
  written; a later failure of the steps in other slots retries a settled job, which finds its reply posted and
  its history appended, and settles again (idempotent).
  When this call is the first after the reply's last post, it also records that post (the delivery record's
  `posted:<i>` and the user's posted index, state's includes/indexUserPosted, as indexUserPosted-2): first, so
  no later step's error can leave the post unrecorded while the history is written.

  KEYS[1..9]    appendConversationTurns-9's keys
  KEYS[10..16]  settleReply-7's keys
  KEYS[17]      the user's window index (indexUserWindow-1's key; without ARGV[n+13]: unused)
  KEYS[18..19]  indexUserPosted-2's keys (without ARGV[n+14..]: unused)

  ARGV[1]       how many arguments the append takes (n)
  ARGV[2..n+1]  appendConversationTurns-9's arguments
  ARGV[n+2..n+7]  settleReply-7's arguments
  ARGV[n+8]     the attempt giving up the stream's lease ('' = none held)
  ARGV[n+9]     now (Unix ms)
  ARGV[n+10..n+13]  indexUserWindow-1's arguments (now, keep ms, most entries, channel id; channel '' = none)
  ARGV[n+14..]  indexUserPosted-2's arguments (none = no posted record to write)

  Returns { the append's reply, the settle's reply, the channel ids the window index dropped, the members the
  posted index dropped }.
]]
--- @include "state:includes/appendTurns"
--- @include "queue:includes/settleJob"
--- @include "includes/takeStreamLease"
--- @include "shared/boundIndex"
--- @include "state:includes/indexUserPosted"

local appendArgs = tonumber(ARGV[1])
local postedDropped = {}
if #ARGV > appendArgs + 13 then
  postedDropped = indexUserPosted({ KEYS[18], KEYS[19] }, { unpack(ARGV, appendArgs + 14) })
end
local appended = appendTurns({ unpack(KEYS, 1, 9) }, { unpack(ARGV, 2, appendArgs + 1) })
local settled = settleJob({ unpack(KEYS, 10, 16) }, { unpack(ARGV, appendArgs + 2, appendArgs + 7) })
local streamOwner = ARGV[appendArgs + 8]
if streamOwner ~= '' then
  local now = tonumber(ARGV[appendArgs + 9])
  takeStreamLease(KEYS[7], streamOwner, now, now)
end
local windowsDropped = {}
local windowChannel = ARGV[appendArgs + 13]
if windowChannel ~= '' then
  local now = tonumber(ARGV[appendArgs + 10])
  local keepMs = tonumber(ARGV[appendArgs + 11])
  -- The entry is kept three window ages and a line lives two (ChannelWindowRepository.buildUserIndexCall): one
  -- written less than half an age ago (usually by this message's admission) outlives the reply's lines, with half
  -- an age to spare for the writers' clocks. Not a score (none, or an older version's SET): written, migrated.
  local written = redis.pcall('ZSCORE', KEYS[17], windowChannel)
  if type(written) ~= 'string' or tonumber(written) < now - keepMs / 6 then
    windowsDropped = boundIndex(KEYS[17], windowChannel, now, keepMs, tonumber(ARGV[appendArgs + 12]))
  end
end
return { appended, settled, windowsDropped, postedDropped }
