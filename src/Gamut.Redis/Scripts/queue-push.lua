-- Add an item to a bounded queue. KEYS: 1 items, 2 closed flag.  ARGV: 1 item, 2 capacity, 3 channel.
-- Returns 1 (added), 0 (full) or -1 (closed).
expect(KEYS[1], 'list')
if redis.call('EXISTS', KEYS[2]) == 1 then return -1 end
if redis.call('LLEN', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('LPUSH', KEYS[1], ARGV[1])
redis.call('PUBLISH', ARGV[3], 'added')
return 1
