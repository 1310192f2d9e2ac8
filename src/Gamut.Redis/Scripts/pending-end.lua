-- Forgets jobs whose end an instance acknowledged. An entry not (yet) in the index leaves a tombstone, so the add
-- that may still be on its way does not count the job as pending; tombstones older than ARGV[1] minus an hour go.
-- KEYS: 1 pending SET, 2 ended ZSET (tombstones)
-- ARGV: 1 now (ms), then entries ('queue id')
expect(KEYS[1], 'set', KEYS[2], 'zset')
local now = tonumber(ARGV[1])
local removed = 0
for i = 2, #ARGV do
  if redis.call('SREM', KEYS[1], ARGV[i]) == 1 then
    removed = removed + 1
  else
    redis.call('ZADD', KEYS[2], now, ARGV[i])
  end
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - 3600000)
return removed
