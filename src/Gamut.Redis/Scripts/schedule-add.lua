-- Add a recurring job (a schedule), or replace one of the same name on the queue.
-- KEYS: 1 the schedule P:{Q}:schedule:NAME (HASH), 2 the queue's schedule index P:{Q}:schedules (SET)
-- ARGV: 1 name, 2 cron expression, 3 time zone (IANA id), 4 job name, 5 payload, 6 misfire policy (once|skip|each),
--       7 start (Unix ms after which ticks run; "" = now), 8 replace (1 = replace an existing one, 0 = refuse)
-- Returns {'created', lastTick}, {'replaced', lastTick} or {'exists', lastTick} (nothing changed).
-- lt (the last tick handled) starts at the start instant; a replacement keeps its lt (no tick runs twice) unless a
-- start is given, keeps its paused state and creation time, and bumps v so a scheduler's plan made from the old
-- definition is refused by schedule-fire.
expect(KEYS[1], 'hash', KEYS[2], 'set')
local now = now_ms()
local exists = redis.call('EXISTS', KEYS[1]) == 1
if exists and ARGV[8] ~= '1' then
  return { 'exists', redis.call('HGET', KEYS[1], 'lt') or '' }
end
local lt = ARGV[7]
if lt == '' then
  lt = exists and redis.call('HGET', KEYS[1], 'lt') or tostring(now)
end
redis.call('HSET', KEYS[1], 'cron', ARGV[2], 'tz', ARGV[3], 'n', ARGV[4], 'p', ARGV[5], 'mf', ARGV[6], 'lt', lt, 'u', now)
if not exists then redis.call('HSET', KEYS[1], 'c', now) end
redis.call('HINCRBY', KEYS[1], 'v', 1)
redis.call('SADD', KEYS[2], ARGV[1])
return { exists and 'replaced' or 'created', lt }
