--[[
  Everything a posted reply leaves in its user's slot, in one call: the conversation's append (with the delivery
  record's history claim and the user's usage counters, see state's includes/appendTurns) and the job's settle
  (see queue's includes/settleJob). Settled here, the job frees its user's pending slot and its conversation's
  gate as soon as its history is written; a later failure of the steps in other slots retries a settled job,
  which finds its reply posted and its history appended, and settles again (idempotent).

  KEYS[1..9]    appendConversationTurns-9's keys
  KEYS[10..16]  settleReply-7's keys

  ARGV[1]       how many arguments the append takes (n)
  ARGV[2..n+1]  appendConversationTurns-9's arguments
  ARGV[n+2..]   settleReply-7's arguments

  Returns { the append's reply, the settle's reply }.
]]
--- @include "state:includes/appendTurns"
--- @include "queue:includes/settleJob"

local appendArgs = tonumber(ARGV[1])
local appended = appendTurns({ unpack(KEYS, 1, 9) }, { unpack(ARGV, 2, appendArgs + 1) })
local settled = settleJob({ unpack(KEYS, 10, 16) }, { unpack(ARGV, appendArgs + 2, #ARGV) })
return { appended, settled }
