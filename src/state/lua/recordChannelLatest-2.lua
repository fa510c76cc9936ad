--[[
  Records a message as its channel's newest unless a newer one is already recorded (see shared/recordNewestId);
  a person's message is recorded as the channel's newest human message too, under the same rule. One round trip
  instead of a read and a write. A message the channel window keeps is recorded with its line instead (context
  appendLines, same slot); this script records the others (our own replies, DMs, quiet channels' bots).

  KEYS[1] channel latest         STRING newest message id
  KEYS[2] channel latest human   STRING newest message id a person wrote

  ARGV[1] message id (decimal snowflake, no leading zeros)
  ARGV[2] TTL in seconds
  ARGV[3] '1' when a person wrote the message, '0' otherwise

  Returns 1 when recorded as the channel's newest, 0 when a newer (or the same) id was already there.
]]
--- @include "shared/recordNewestId"

return recordNewestIds(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3] == '1')
