--[[
  Writes a new rolling summary and removes from the pending list exactly the turns it folded, then releases the
  claim; only while the caller still holds the claim. Turns appended meanwhile stay (they are compared by id, not
  position: the pending list's cap may have dropped some of the oldest in between).

  KEYS[1] summary   STRING
  KEYS[2] pending   LIST of `<chars>:<turn JSON>`, oldest first
  KEYS[3] claim     STRING, the token of the summarization in progress

  ARGV[1] claim token
  ARGV[2] the new summary
  ARGV[3] TTL (ms) of the summary and the pending list
  ARGV[4 ..] ids of the folded turns, each `<role>:<messageId>:<at>`

  Returns { how many pending turns were removed, how many remain } or -1 when the claim is not the caller's
  (nothing is written).
]]
if redis.call('GET', KEYS[3]) ~= ARGV[1] then
  return -1
end

local folded = {}
for index = 4, #ARGV do
  folded[ARGV[index]] = true
end

local function turnId(entry)
  local ok, turn = pcall(cjson.decode, string.sub(entry, #string.match(entry, '^%d+:') + 1))
  if not ok or type(turn) ~= 'table' then
    return ''
  end
  return tostring(turn.role) .. ':' .. tostring(turn.messageId) .. ':' .. string.format('%.0f', tonumber(turn.at) or 0)
end

local removed = 0
local entries = redis.call('LRANGE', KEYS[2], 0, -1)
for _, entry in ipairs(entries) do
  if folded[turnId(entry)] then
    redis.call('LREM', KEYS[2], 1, entry)
    removed = removed + 1
  end
end

redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
local remaining = redis.call('LLEN', KEYS[2])
if remaining > 0 then
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
end
redis.call('DEL', KEYS[3])
return { removed, remaining }
