-- A worker leaves a queue cleanly: only when its in-flight list is empty (else the reaper handles it).
-- KEYS: 1 heartbeat, 2 workers set, 3 active, 4 cancels set
-- ARGV: 1 worker id
expect(KEYS[3], 'list', KEYS[2], 'set')
if redis.call('LLEN', KEYS[3]) > 0 then return 0 end
redis.call('DEL', KEYS[1], KEYS[3], KEYS[4])
redis.call('SREM', KEYS[2], ARGV[1])
return 1
