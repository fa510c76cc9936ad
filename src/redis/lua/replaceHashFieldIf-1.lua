--[[
  Replaces a hash field's value only if it still holds the value the caller read, so a rewrite (a credential
  sealed again under a new key) never overwrites a newer write or brings back a deleted field.

  KEYS[1]  the hash
  ARGV[1]  field
  ARGV[2]  the value the caller read
  ARGV[3]  the new value
  Returns  1 when replaced, 0 when the field held something else or nothing
]]
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1
