--[[
  Adds posted messages to the index of replies to one user, and with ARGV[4] sets a field of the reply's
  delivery record (see includes/indexUserPosted; the post-answer script of replies runs the same step).

  KEYS[1] posted index   ZSET <channelId>:<messageId> -> posted time (Unix ms)
  KEYS[2] record         HASH, in the same slot (without ARGV[4]: unused)

  ARGV[1] now (Unix ms)
  ARGV[2] TTL of posted-message entries (ms), also this key's
  ARGV[3] most entries kept
  ARGV[4] field of KEYS[2] to set ('' = none)
  ARGV[5] its value
  ARGV[6..] index members (<channelId>:<messageId>) of the messages just posted

  Returns the members dropped from the index (usually none).
]]
--- @include "includes/indexUserPosted"

return indexUserPosted(KEYS, ARGV)
