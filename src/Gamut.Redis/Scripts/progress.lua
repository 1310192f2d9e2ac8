-- A running job's progress: kept in the record and published to its watchers, if the worker still holds it.
-- KEYS: 1 job
-- ARGV: 1 fence, 2 worker id, 3 progress JSON, 4 queue, 5 id
expect(KEYS[1], 'hash')
local f = redis.call('HMGET', KEYS[1], 's', 'a', 'w', 'x')
if f[1] ~= 'running' or tostring(f[2]) ~= ARGV[1] or f[3] ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'g', ARGV[3])
notify(f[4], 'progress ' .. ARGV[4] .. ' ' .. ARGV[5] .. '\n' .. ARGV[3])
return 1
