-- Remove a schedule: its jobs already enqueued stay as they are; no new tick is enqueued.
-- KEYS: 1 the schedule P:{Q}:schedule:NAME, 2 the queue's schedule index P:{Q}:schedules
-- ARGV: 1 name
-- Returns 1 when it existed, 0 when not.
expect(KEYS[1], 'hash', KEYS[2], 'set')
local existed = redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
return existed
