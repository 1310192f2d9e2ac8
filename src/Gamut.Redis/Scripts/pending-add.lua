-- Records jobs an instance acknowledged, in its witness's pending index. A job whose end was recorded first (its
-- worker was faster than this call) has a tombstone instead: it is consumed, and the job is not added.
-- KEYS: 1 pending SET, 2 ended ZSET (tombstones)
-- ARGV: entries ('queue id')
expect(KEYS[1], 'set', KEYS[2], 'zset')
local added = 0
for i = 1, #ARGV do
  if redis.call('ZREM', KEYS[2], ARGV[i]) == 0 then
    added = added + redis.call('SADD', KEYS[1], ARGV[i])
  end
end
return added
