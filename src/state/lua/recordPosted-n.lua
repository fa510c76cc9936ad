--[[
  Writes the posted-message entries of one reply's messages (message -> the personality that posted it), all
  in one channel's slot, so the worker's post-answer batch folds this call with the reply's own lines.

  KEYS[1..n]  posted-message entries   STRING, one per message, all under {c:<channelId>}

  ARGV[1]  the entry (JSON), the same for every message of the reply
  ARGV[2]  TTL (ms)

  Returns the number of entries written.
]]
for index = 1, #KEYS do
  redis.call('SET', KEYS[index], ARGV[1], 'PX', ARGV[2])
end
return #KEYS
