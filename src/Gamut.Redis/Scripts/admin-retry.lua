-- Retry a failed or dead-lettered job by hand (the dashboard, RedisAdmin.RetryAsync): it goes back to the ready
-- list with its attempts renewed, keeps its delivery counter (the fencing token only ever grows), loses its expiry,
-- and its entries among the newest 1,000 dead letters are removed. Its last attempt goes into its history (h:a).
-- KEYS: 1 job, 2 ready, 3 stats, 4 dead
-- ARGV: 1 id, 2 wake channel
-- Returns 'queued', 'missing', or the state of a job that is not failed or dead.
expect(KEYS[2], 'list', KEYS[3], 'hash', KEYS[4], 'list')
if key_type(KEYS[1]) ~= 'hash' then return 'missing' end
local s = redis.call('HGET', KEYS[1], 's')
if s ~= 'failed' and s ~= 'dead' then return s or 'unknown' end
-- The attempt that ended the job is the record itself (docs/redis-protocol.md section 4.3): keep it as h:a in the
-- history before its fields are reset for the next run (unless h:a is there: a job dead-lettered by take).
local f = redis.call('HMGET', KEYS[1], 'a', 'fin', 'e')
local a = tonumber(f[1])
if a and a >= 1 and redis.call('HEXISTS', KEYS[1], 'h:' .. string.format('%d', a)) == 0 then
  attempt_end(KEYS[1], a, s, f[3] and attempt_error(f[3]) or nil, tonumber(f[2]) or now_ms())
end
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
