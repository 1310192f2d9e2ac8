-- Enqueue one or more jobs, idempotently on each job's id: an id that already has a record is left as it is
-- (its state is returned), so a producer can retry an enqueue whose reply it never saw.
-- KEYS: 1 ready, 2 delayed, 3 stats, and on a ring member 4 the ring hash (its 'state' says whether this instance
--       still takes new jobs: one that was removed from the ring refuses them, so no job is left on it)
-- ARGV: 1 job key prefix, 2 job count, 3 wake channel,
--       then per job: id, name, payload, delay ms (0 = now), n extra fields, then n field/value pairs
-- Returns, per job: 'created', the existing job's state, or '~ring' (not created: not a member; route it again).
-- Unique jobs: extra fields uq (a key) and uw (a window, ms) make the job unique on the key: while P:{Q}:uniq:KEY
-- names a job that still has a record, nothing is created and '=' .. that job's id is returned; a job created with
-- them sets P:{Q}:uniq:KEY to its id for the window.
expect(KEYS[1], 'list', KEYS[2], 'zset', KEYS[3], 'hash')
if KEYS[4] ~= nil then expect(KEYS[4], 'hash') end
-- A job key of another type would stop the script at its HGET, after the jobs before it were written.
local function unique_of(i, nx)
  local uq, uw
  for k = 0, nx - 1 do
    local f = ARGV[i + 5 + 2 * k]
    if f == 'uq' then uq = ARGV[i + 6 + 2 * k] elseif f == 'uw' then uw = ARGV[i + 6 + 2 * k] end
  end
  if uq then return string.sub(ARGV[1], 1, #ARGV[1] - 4) .. 'uniq:' .. uq, uw end
end
do
  local i = 4
  for _ = 1, tonumber(ARGV[2]) do
    expect(ARGV[1] .. ARGV[i], 'hash')
    local ukey = unique_of(i, tonumber(ARGV[i + 4]))
    if ukey then expect(ukey, 'string') end
    i = i + 5 + 2 * tonumber(ARGV[i + 4])
  end
end
local now = now_ms()
local refuse = KEYS[4] ~= nil and redis.call('HGET', KEYS[4], 'state') ~= 'member'
local out = {}
local i = 4
local created, pushed, delayed = 0, 0, 0
for j = 1, tonumber(ARGV[2]) do
  local id, name, payload, delay, nx = ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3]), tonumber(ARGV[i + 4])
  local key = ARGV[1] .. id
  local ukey, uw = unique_of(i, nx)
  local held = ukey and redis.call('GET', ukey)
  if held and redis.call('EXISTS', ARGV[1] .. held) == 1 then
    out[j] = '=' .. held
  elseif redis.call('EXISTS', key) == 1 then
    local s = redis.call('HGET', key, 's')
    out[j] = s or 'unknown'
  elseif refuse then
    out[j] = '~ring'
  else
    local fields = { 'n', name, 'p', payload, 'c', now }
    for k = 0, nx - 1 do
      fields[#fields + 1] = ARGV[i + 5 + 2 * k]
      fields[#fields + 1] = ARGV[i + 6 + 2 * k]
    end
    if delay > 0 then
      fields[#fields + 1] = 's'; fields[#fields + 1] = 'delayed'
      redis.call('HSET', key, unpack(fields))
      redis.call('ZADD', KEYS[2], now + delay, id)
      delayed = delayed + 1
    else
      fields[#fields + 1] = 's'; fields[#fields + 1] = 'queued'
      redis.call('HSET', key, unpack(fields))
      redis.call('LPUSH', KEYS[1], id)
      pushed = pushed + 1
    end
    created = created + 1
    if ukey then redis.call('SET', ukey, id, 'PX', uw) end
    out[j] = 'created'
  end
  i = i + 5 + 2 * nx
end
if created > 0 then redis.call('HINCRBY', KEYS[3], 'enqueued', created) end
-- Wake idle workers only when the list went from empty to non-empty: busy workers look again by themselves.
-- A delayed job wakes them too, so an idle worker learns when it is due.
if (pushed > 0 and redis.call('LLEN', KEYS[1]) == pushed) or delayed > 0 then redis.call('PUBLISH', ARGV[3], '1') end
return out
