--[[
  Records that a channel's window holds lines of a user, in the user's index, so /forget-me finds every such
  window without SCAN. Bounded by age (the caller's: longer than any line written since the entry lives, see
  ChannelWindowRepository.indexUser) and by count (see shared/boundIndex):
  what it drops is returned, for the caller to remove the user's lines from those windows (other slots).

  KEYS[1] user windows   ZSET channel id -> last write of the user's lines there (Unix ms)

  ARGV[1] now (Unix ms)
  ARGV[2] how long an entry is kept (ms), also the key's TTL
  ARGV[3] most entries kept
  ARGV[4] channel id

  Returns the channel ids dropped from the index (usually none).
]]
--- @include "shared/boundIndex"

return boundIndex(KEYS[1], ARGV[4], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]))
