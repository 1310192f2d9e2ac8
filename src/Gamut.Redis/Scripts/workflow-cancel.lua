-- Cancel a running workflow: every job of it that has not started is cancelled and running ones are asked to stop
-- (prelude: wf_stop); the workflow ends as cancelled and its watchers are told. Nothing after it starts.
-- KEYS: 1 workflow hash P:{Q}:wf:W, 2 delayed, 3 stats, 4 running index P:{Q}:wfs
-- ARGV: 1 job key prefix, 2 workflow id, 3 queue, 4 result ttl ms
-- Returns 'cancelled', 'missing', or the state of a workflow that already ended.
expect(KEYS[2], 'zset', KEYS[3], 'hash', KEYS[4], 'set')
if key_type(KEYS[1]) ~= 'hash' then return 'missing' end
local s = redis.call('HGET', KEYS[1], 's')
if s ~= 'running' then return s or 'unknown' end
local w = ARGV[2]
local nn = tonumber(redis.call('HGET', KEYS[1], 'nn')) or 0
for i = 1, nn do expect(ARGV[1] .. w .. '.' .. i, 'hash') end
local c = wf_ctx(ARGV[1], ARGV[3], now_ms(), ARGV[4], ARGV[4])
wf_stop(c, KEYS[1], w)
wf_end(c, KEYS[1], w, 'cancelled', '')
return 'cancelled'
