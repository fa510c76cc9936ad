--[[
  Deletes a channel's activation only if one of its fields still has the expected value (so removing a
  guild or a personality never deletes an activation that has since been replaced).

  KEYS[1] activation   STRING activation JSON

  ARGV[1] field name (`guildId` or `personalityId`)
  ARGV[2] expected value

  Returns 1 when deleted, 0 otherwise.
]]
local raw = redis.call('GET', KEYS[1])
if not raw then
  return 0
end
if cjson.decode(raw)[ARGV[1]] ~= ARGV[2] then
  return 0
end
return redis.call('DEL', KEYS[1])
