--[[
  Runs several reads of keys in one slot (a user's hash tag) as one call: what RedisBatch.read folds a batch's
  reads of one slot into. Reads only: a command not listed below is refused, so a caller can never write here.

  KEYS[i]  the key of read i
  ARGV     for each read in turn: its command, how many arguments follow the key, then those arguments

  Returns each read's reply, in order (a missing key's GET/HGET as nil; HGETALL as a flat field/value list); a
  read that fails (WRONGTYPE) is an error in its place, so it fails that read only, as it would alone.
]]
local READS = { get = true, hget = true, hmget = true, hgetall = true, lrange = true, exists = true, zscore = true }

local replies = {}
local at = 1
for index = 1, #KEYS do
  local command = ARGV[at]
  local count = tonumber(ARGV[at + 1])
  if not READS[command] then
    return redis.error_reply('readSlot: ' .. tostring(command) .. ' is not a read')
  end
  replies[index] = redis.pcall(command, KEYS[index], unpack(ARGV, at + 2, at + 1 + count))
  at = at + 2 + count
end
return replies
