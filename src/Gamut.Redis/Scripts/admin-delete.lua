-- Delete a job that is not running (the dashboard, RedisAdmin.DeleteAsync): its record, its entry in the ready list
-- or the delayed set, and its entries among the newest 1,000 dead letters.
-- KEYS: 1 job, 2 ready, 3 delayed, 4 dead
-- ARGV: 1 id
-- Returns 'deleted', 'running' (nothing changed: cancel it first), or 'missing'.
expect(KEYS[2], 'list', KEYS[3], 'zset', KEYS[4], 'list')
local s = nil
if key_type(KEYS[1]) == 'hash' then s = redis.call('HGET', KEYS[1], 's') end
if s == 'running' then return 'running' end
local removed = redis.call('LREM', KEYS[2], 0, ARGV[1]) + redis.call('ZREM', KEYS[3], ARGV[1])
local needle = '"id":"' .. ARGV[1] .. '"'
for _, e in ipairs(redis.call('LRANGE', KEYS[4], 0, 999)) do
  if string.find(e, needle, 1, true) then removed = removed + redis.call('LREM', KEYS[4], 1, e) end
end
removed = removed + redis.call('DEL', KEYS[1])
if removed > 0 then return 'deleted' end
return 'missing'
