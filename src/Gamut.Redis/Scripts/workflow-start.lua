-- Start a workflow (docs/redis-protocol.md section 11), idempotently on its id: a workflow that exists is left as it
-- is and its state returned. Writes the workflow hash (the client's node fields, then s c pol x nn jobs), adds the
-- id to the running index and queues its first jobs (prelude: wf_start).
-- KEYS: 1 workflow hash P:{Q}:wf:W, 2 ready, 3 delayed, 4 stats, 5 running index P:{Q}:wfs
-- ARGV: 1 job key prefix, 2 workflow id, 3 wake channel, 4 queue, 5 policy (stop|continue), 6 watchers ('' none),
--       7 node count, 8 job count, 9 n field/value pairs, then the pairs (k:N, nc:N, c:N:O, u:N, o:N, n:N, p:N, m:N,
--       to:N, rb:N)
-- Returns 'created' or the state of the workflow that already had this id.
expect(KEYS[1], 'hash', KEYS[2], 'list', KEYS[3], 'zset', KEYS[4], 'hash', KEYS[5], 'set')
local w = ARGV[2]
for i = 1, tonumber(ARGV[7]) do expect(ARGV[1] .. w .. '.' .. i, 'hash') end
if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.call('HGET', KEYS[1], 's') or 'unknown'
end
local now = now_ms()
local head = { 's', 'running', 'c', now, 'pol', ARGV[5], 'nn', ARGV[7], 'jobs', ARGV[8] }
if ARGV[6] ~= '' then head[#head + 1] = 'x'; head[#head + 1] = ARGV[6] end
redis.call('HSET', KEYS[1], unpack(head))
-- unpack has a limit on how many values it returns: write the nodes in slices.
local n = tonumber(ARGV[9])
local k = 10
while n > 0 do
  local take = math.min(n, 1000)
  redis.call('HSET', KEYS[1], unpack(ARGV, k, k + 2 * take - 1))
  k = k + 2 * take
  n = n - take
end
redis.call('SADD', KEYS[5], w)
local c = wf_ctx(ARGV[1], ARGV[4], now, 0, 0)
wf_start(c, KEYS[1], w, 1, nil)
if c.pushed > 0 then redis.call('PUBLISH', ARGV[3], '1') end
return 'created'
