--[[
  Removes a user's id from a channel's activation, keeping the activation itself (it is the server's): sets
  `activatedBy` to null only if the record still names that user, so an activation made by someone else
  since is left alone.

  KEYS[1] activation   STRING activation JSON

  ARGV[1] user id

  Returns 1 when the record was rewritten, 0 otherwise.
]]
local raw = redis.call('GET', KEYS[1])
if not raw then
  return 0
end
local record = cjson.decode(raw)
if record.activatedBy ~= ARGV[1] then
  return 0
end
record.activatedBy = cjson.null
redis.call('SET', KEYS[1], cjson.encode(record))
return 1
