--[[
  Deletes a channel's activation only if one of its fields still has the expected value (so removing a
  guild or a personality never deletes an activation that has since been replaced).

  KEYS[1] activation   STRING activation JSON

  ARGV[1] field name (`guildId` or `personalityId`)
  ARGV[2] expected value

  Returns the deleted record (for the caller to clean the indexes it was in), or nil when nothing was deleted.
]]
local raw = redis.call('GET', KEYS[1])
if not raw then
  return false
end
if cjson.decode(raw)[ARGV[1]] ~= ARGV[2] then
  return false
end
redis.call('DEL', KEYS[1])
return raw
