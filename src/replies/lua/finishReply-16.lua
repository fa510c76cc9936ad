--[[
  Everything a posted reply leaves in its user's slot, in one call: the conversation's append (with the delivery
  record's history claim and the user's usage counters, see state's includes/appendTurns) and the job's settle
  (see queue's includes/settleJob), and the release of a streamed reply's lease by the attempt that streamed
  it (includes/takeStreamLease; left alone when another attempt holds it). Settled here, the job frees its user's pending slot and its conversation's
  gate as soon as its history is written; a later failure of the steps in other slots retries a settled job,
  which finds its reply posted and its history appended, and settles again (idempotent).

  KEYS[1..9]    appendConversationTurns-9's keys
  KEYS[10..16]  settleReply-7's keys

  ARGV[1]       how many arguments the append takes (n)
  ARGV[2..n+1]  appendConversationTurns-9's arguments
  ARGV[n+2..n+6]  settleReply-7's arguments
  ARGV[n+7]     the attempt giving up the stream's lease ('' = none held)
  ARGV[n+8]     now (Unix ms)

  Returns { the append's reply, the settle's reply }.
]]
--- @include "state:includes/appendTurns"
--- @include "queue:includes/settleJob"
--- @include "includes/takeStreamLease"

local appendArgs = tonumber(ARGV[1])
local appended = appendTurns({ unpack(KEYS, 1, 9) }, { unpack(ARGV, 2, appendArgs + 1) })
local settled = settleJob({ unpack(KEYS, 10, 16) }, { unpack(ARGV, appendArgs + 2, appendArgs + 6) })
local streamOwner = ARGV[appendArgs + 7]
if streamOwner ~= '' then
  local now = tonumber(ARGV[appendArgs + 8])
  takeStreamLease(KEYS[7], streamOwner, now, now)
end
return { appended, settled }
