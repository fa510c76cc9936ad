--[[
  The mark a channel window's order ZSET holds beside its lines (see appendLines), scored -inf so a read of the
  range below any cutoff returns it first: `~<keys expire at>:<live marker expires at>:<removed ids until>`, each
  Unix ms by the callers' clock; 0 for the first two when not known, and the last empty when not known (0 when
  no removed id is remembered).

  parseMark(member): keysAt, liveAt, removedUntil (nil when not known) of a mark, or 0, 0, nil for none.
  formatMark(keysAt, liveAt, removedUntil): the mark.
  replaceMarks(orderKey, marks, mark): makes `mark` the order's only one, the new one written before the old ones
  go, so the ZSET never empties (and loses its TTL) in between. Only for an order known to exist with its TTL.
]]
local function parseMark(member)
  local keysAt, liveAt, removedUntil = string.match(member or '', '^~(%d+):(%d+):?(%d*)$')
  return tonumber(keysAt) or 0, tonumber(liveAt) or 0, tonumber(removedUntil)
end

local function formatMark(keysAt, liveAt, removedUntil)
  return '~' .. keysAt .. ':' .. liveAt .. ':' .. (removedUntil or '')
end

local function replaceMarks(orderKey, marks, mark)
  if mark ~= marks[1] then
    redis.call('ZADD', orderKey, '-inf', mark)
  end
  for index = 1, #marks do
    if marks[index] ~= mark then
      redis.call('ZREM', orderKey, marks[index])
    end
  end
end
