-- Retry a failed or dead-lettered job by hand (the dashboard, RedisAdmin.RetryAsync): it goes back to the ready
-- list with its attempts renewed, keeps its delivery counter (the fencing token only ever grows), loses its expiry,
-- and its entries among the newest 1,000 dead letters are removed.
-- KEYS: 1 job, 2 ready, 3 stats, 4 dead
-- ARGV: 1 id, 2 wake channel
-- Returns 'queued', 'missing', or the state of a job that is not failed or dead.
expect(KEYS[2], 'list', KEYS[3], 'hash', KEYS[4], 'list')
if key_type(KEYS[1]) ~= 'hash' then return 'missing' end
local s = redis.call('HGET', KEYS[1], 's')
if s ~= 'failed' and s ~= 'dead' then return s or 'unknown' end
redis.call('PERSIST', KEYS[1])
redis.call('HSET', KEYS[1], 's', 'queued', 'fl', 0, 'l', 0)
redis.call('HDEL', KEYS[1], 'fin', 'cx', 'st')
local needle = '"id":"' .. ARGV[1] .. '"'
for _, e in ipairs(redis.call('LRANGE', KEYS[4], 0, 999)) do
  if string.find(e, needle, 1, true) then redis.call('LREM', KEYS[4], 1, e) end
end
if redis.call('LPUSH', KEYS[2], ARGV[1]) == 1 then redis.call('PUBLISH', ARGV[2], '1') end
redis.call('HINCRBY', KEYS[3], 'retriedByHand', 1)
return 'queued'
