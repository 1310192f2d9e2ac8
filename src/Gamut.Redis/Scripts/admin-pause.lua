-- Pause or resume a queue (the dashboard, RedisAdmin.PauseAsync/ResumeAsync). While KEYS[1] exists the take
-- script hands out nothing; resuming wakes idle workers.
-- KEYS: 1 paused
-- ARGV: 1 '1' to pause, '0' to resume, 2 wake channel
-- Returns 1 when the state changed, 0 when it already was so.
expect(KEYS[1], 'string')
if ARGV[1] == '1' then
  return redis.call('SET', KEYS[1], '1', 'NX') and 1 or 0
end
local n = redis.call('DEL', KEYS[1])
redis.call('PUBLISH', ARGV[2], '1')
return n
