-- A worker's heartbeat on one queue; hands it the cancel requests for its running jobs.
-- KEYS: 1 heartbeat, 2 workers set, 3 cancels set
-- ARGV: 1 worker id, 2 ttl ms, 3 info
-- A first write that cannot grow memory lets the beat through when Redis is at maxmemory (see take.lua): a full
-- Redis must not make every worker look dead.
expect(KEYS[2], 'set', KEYS[3], 'set')
redis.call('SREM', KEYS[3], '')
redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[2])
redis.call('SADD', KEYS[2], ARGV[1])
local c = redis.call('SMEMBERS', KEYS[3])
if #c > 0 then redis.call('DEL', KEYS[3]) end
return c
