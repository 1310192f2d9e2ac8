-- Which workers serving this queue have no heartbeat now.
-- KEYS: 1 workers set
-- ARGV: 1 heartbeat key prefix
expect(KEYS[1], 'set')
local silent = {}
for _, w in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', ARGV[1] .. w) == 0 then silent[#silent + 1] = w end
end
return silent
