-- Take the oldest item. KEYS: 1 items, 2 closed flag.  ARGV: 1 channel.
-- Returns { 1, item }, { 0 } when empty, or { -1 } when closed and empty.
expect(KEYS[1], 'list')
local v = redis.call('RPOP', KEYS[1])
if v then
  redis.call('PUBLISH', ARGV[1], 'taken')
  return { 1, v }
end
if redis.call('EXISTS', KEYS[2]) == 1 then return { -1 } end
return { 0 }
