-- Enqueue the jobs of a schedule's due ticks and advance its last tick, in one step: a scheduler killed before this
-- script enqueued nothing and moved nothing (the next one does both); one killed after it did both.
-- KEYS: 1 the schedule P:{Q}:schedule:NAME, 2 ready, 3 stats
-- ARGV: 1 job key prefix, 2 wake channel, 3 the last tick the plan started from (lt), 4 the definition version
--       the plan was made from (v), 5 the new last tick (Unix ms), 6 the schedule name, then the job ids, one per
--       tick to enqueue (sched.NAME.yyyyMMddTHHmmssZ; none when the misfire policy dropped every due tick)
-- Returns {'ok', created, existing}; {'moved', lt, v} when another scheduler advanced the schedule (or it was
-- replaced) since the plan was read: nothing changed, plan again; {'early', nowMs} when the new last tick is still
-- in the future by Redis' clock (the scheduler's clock runs ahead); {'paused'}; {'missing'}.
-- A job id that already has a record is left as it is (the idempotent enqueue): a tick never runs twice, even if
-- two schedulers got past the check on lt with the same plan, or a record outlived a restore of lt.
expect(KEYS[1], 'hash', KEYS[2], 'list', KEYS[3], 'hash')
for i = 7, #ARGV do expect(ARGV[1] .. ARGV[i], 'hash') end
if redis.call('EXISTS', KEYS[1]) == 0 then return { 'missing' } end
local s = redis.call('HMGET', KEYS[1], 'lt', 'v', 'ps', 'n', 'p')
if s[3] == '1' then return { 'paused' } end
if s[1] ~= ARGV[3] or (s[2] or '') ~= ARGV[4] then return { 'moved', s[1] or '', s[2] or '' } end
local now = now_ms()
if tonumber(ARGV[5]) > now then return { 'early', now } end
local created, existing = 0, 0
for i = 7, #ARGV do
  local key = ARGV[1] .. ARGV[i]
  if redis.call('EXISTS', key) == 1 then
    existing = existing + 1
  else
    redis.call('HSET', key, 'n', s[4], 'p', s[5], 'c', now, 'sch', ARGV[6], 's', 'queued')
    redis.call('LPUSH', KEYS[2], ARGV[i])
    redis.call('HSET', KEYS[1], 'lj', ARGV[i])
    created = created + 1
  end
end
redis.call('HSET', KEYS[1], 'lt', ARGV[5])
if created > 0 then
  redis.call('HINCRBY', KEYS[3], 'enqueued', created)
  redis.call('HINCRBY', KEYS[1], 'f', created)
  -- Wake idle workers only when the ready list went from empty to non-empty, as enqueue does.
  if redis.call('LLEN', KEYS[2]) == created then redis.call('PUBLISH', ARGV[2], '1') end
end
return { 'ok', created, existing }
