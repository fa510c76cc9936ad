--[[
  Writes a server's settings if they are still at the version the change was based on (compare-and-set), so
  two admins changing settings at once never overwrite each other silently.

  KEYS[1] settings   STRING GuildSettings JSON (absent = defaults, version 0)

  ARGV[1] the version the change was based on
  ARGV[2] the new JSON (its version is ARGV[1] + 1)

  Returns
    { 1 }                 written
    { -4, currentJson }   the settings changed since they were read ('' when absent)
]]
local current = redis.call('GET', KEYS[1])
local version = 0
if current then
  version = tonumber(cjson.decode(current).version) or 0
end
if version ~= tonumber(ARGV[1]) then
  return { -4, current or '' }
end
redis.call('SET', KEYS[1], ARGV[2])
return { 1 }
