--[[
  Releases a summarization claim when it is still the caller's.

  KEYS[1] claim   STRING, the token of the summarization in progress

  ARGV[1] the caller's token

  Returns 1 when released, else 0.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
