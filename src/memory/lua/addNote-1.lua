--[[
  Adds a note to what a personality keeps in mind about a user, within the cap.

  KEYS[1] notes   HASH personality id → JSON array of note texts, oldest first

  ARGV[1] personality id
  ARGV[2] the note
  ARGV[3] most notes per personality

  Returns how many notes the personality now keeps for the user, or -1 when it already keeps the most.
]]
local raw = redis.call('HGET', KEYS[1], ARGV[1])
local notes = {}
if raw then
  notes = cjson.decode(raw)
end
if #notes >= tonumber(ARGV[3]) then
  return -1
end
table.insert(notes, ARGV[2])
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(notes))
return #notes
