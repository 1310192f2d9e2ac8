-- Pause or resume a schedule. Ticks while it is paused are not run: resuming moves its last tick to now.
-- KEYS: 1 the schedule P:{Q}:schedule:NAME
-- ARGV: 1 '1' to pause, '0' to resume
-- Returns 'ok', 'unchanged' (already in that state) or 'missing'.
expect(KEYS[1], 'hash')
if redis.call('EXISTS', KEYS[1]) == 0 then return 'missing' end
local paused = redis.call('HGET', KEYS[1], 'ps') == '1'
if ARGV[1] == '1' then
  if paused then return 'unchanged' end
  redis.call('HSET', KEYS[1], 'ps', '1')
else
  if not paused then return 'unchanged' end
  redis.call('HDEL', KEYS[1], 'ps')
  redis.call('HSET', KEYS[1], 'lt', now_ms())
end
redis.call('HINCRBY', KEYS[1], 'v', 1)
return 'ok'
