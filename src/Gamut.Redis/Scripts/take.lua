-- Take up to N jobs for a worker: promote due delayed jobs, then move ids from the ready list into the worker's
-- in-flight list (so a job is never only in a worker's memory), bump each job's delivery counter (the fencing
-- token) and mark it running. Entries that cannot run are dead-lettered here with the reason.
-- KEYS: 1 ready, 2 delayed, 3 active (this worker's in-flight list), 4 stats, 5 dead, 6 paused (optional: while it
--   exists the queue is paused and nothing is taken; resuming publishes on the wake channel), 7 rate (optional: the
--   queue's rate limit, a hash n = jobs, ms = period), 8 rate log (a zset of the takes within the last period)
-- ARGV: 1 job key prefix, 2 worker id, 3 max jobs, 4 max payload bytes, 5 dead-letter max, 6 failed ttl ms, 7 queue
-- Returns { jobs, next delayed due ms or '', ms until the rate limit lets the next job start or '' }; a job is
--   { 'j', id, fence, name, payload, max attempts, timeout ms, backoff, failures, traceparent, tracestate, the previous
--   delivery's span (traceparent) } or { 'r', raw entry }.
-- At maxmemory (noeviction) Redis refuses a script's first write if that write may grow memory, and never a later
-- one (a script is not left half-done). Taking frees memory or keeps it level, and workers must drain a full Redis,
-- so the first write is one that cannot grow it (deleting a field that never exists).
-- The per-key concurrency hash P:{Q}:ck (prelude: ck_key) is named from the job prefix, so every caller obeys it.
local ckh = ck_key(ARGV[1])
expect(KEYS[1], 'list', KEYS[2], 'zset', KEYS[3], 'list', KEYS[4], 'hash', KEYS[5], 'list', ckh, 'hash')
-- Rate limit (docs/redis-protocol.md, "Rate limits"): a sliding log of the takes' times, so no window of one
-- period, however placed, holds more than n starts.
local rn, rms
if KEYS[8] then
  expect(KEYS[7], 'hash', KEYS[8], 'zset')
  local r = redis.call('HMGET', KEYS[7], 'n', 'ms')
  rn, rms = tonumber(r[1]), tonumber(r[2])
end
redis.call('HDEL', KEYS[4], '')
if KEYS[6] and redis.call('EXISTS', KEYS[6]) == 1 then return { {}, '' } end
local now = now_ms()
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 1000)
for _, id in ipairs(due) do
  redis.call('ZREM', KEYS[2], id)
  local key = ARGV[1] .. id
  if key_type(key) == 'hash' and redis.call('HGET', key, 's') == 'delayed' then
    redis.call('HSET', key, 's', 'queued')
    redis.call('LPUSH', KEYS[1], id)
  end
end
local out = {}
local stale = 0
-- The taking worker's host and pid (its heartbeat), stored with each job it takes for its attempt history.
local place = worker_place(ARGV[1], ARGV[2])
-- Per-key concurrency: a job whose key already runs 'max' deliveries is set aside (parked) and put back where it
-- was; at most CKWINDOW are set aside per take, so a long run of full keys costs a bounded take, not a scan.
local ckmax = tonumber(redis.call('HGET', ckh, 'max'))
local CKWINDOW = 50
local cknow = {}
local parked = {}
local max, maxp = tonumber(ARGV[3]), tonumber(ARGV[4])
local rateWait = ''
if rn and rms then
  redis.call('ZREMRANGEBYSCORE', KEYS[8], '-inf', now - rms)
  local left = rn - redis.call('ZCARD', KEYS[8])
  if left < max then max = left end
  if max <= 0 then
    -- The oldest take leaves the window at its time + ms: the next start is due then, not before.
    local z = redis.call('ZRANGE', KEYS[8], 0, 0, 'WITHSCORES')
    rateWait = z[2] and math.max(1, tonumber(z[2]) + rms - now) or math.max(1, rms)
    max = 0
  end
end
local function dead_here(e, key, reason, detail)
  redis.call('LREM', KEYS[3], 1, e)
  local entry = { queue = ARGV[7], reason = reason, detail = detail, at = now }
  if key then
    entry.id = e
    if key_type(key) == 'hash' then
      redis.call('HSET', key, 's', 'dead', 'e', cjson.encode({ type = 'Gamut.Redis.DeadLetter', reason = reason, message = detail }), 'fin', now)
      redis.call('PEXPIRE', key, ARGV[6])
      notify(redis.call('HGET', key, 'x'), 'dead ' .. ARGV[7] .. ' ' .. e .. '\n' .. cjson.encode({ type = 'Gamut.Redis.DeadLetter', reason = reason, message = detail }))
    end
  else
    entry.entry = printable(e, 200)
  end
  dead_push(KEYS[5], KEYS[4], cjson.encode(entry), ARGV[5])
end
while #out < max do
  local e = redis.call('LMOVE', KEYS[1], KEYS[3], 'RIGHT', 'LEFT')
  if not e then break end
  if is_id(e) then
    local key = ARGV[1] .. e
    -- One read for everything: a record of the wrong type makes HMGET fail, which pcall turns into a value.
    local f = redis.pcall('HMGET', key, 's', 'n', 'p', 'm', 'to', 'rb', 'fl', 'tp', 'ts', 'ck', 'wh', 'wp', 'ls')
    local ckn = nil
    if not f.err and f[1] == 'queued' and f[10] then
      ckn = cknow[f[10]] or tonumber(redis.call('HGET', ckh, 'k:' .. f[10])) or 0
    end
    if f.err then
      dead_here(e, nil, 'bad-record', 'the job record of ' .. e .. ' is a ' .. key_type(key) .. ', not a hash')
    elseif not f[1] then
      dead_here(e, nil, 'missing-record', 'the queue held the id ' .. e .. ' but no job record exists')
    elseif f[1] ~= 'queued' then
      -- Stale: cancelled, finished, or queued twice. Never run it.
      redis.call('LREM', KEYS[3], 1, e)
      stale = stale + 1
    elseif ckn and ckmax and ckn >= ckmax then
      redis.call('LREM', KEYS[3], 1, e)
      parked[#parked + 1] = e
      if #parked >= CKWINDOW then break end
    elseif f[3] and #f[3] > maxp then
      dead_here(e, key, 'too-large', 'the payload is ' .. #f[3] .. ' bytes (limit ' .. maxp .. ')')
    else
      local a = redis.pcall('HINCRBY', key, 'a', 1)
      if type(a) == 'table' or a < 1 then
        dead_here(e, key, 'bad-record', 'the attempt counter a is not a non-negative integer')
      else
        local set, del = { 's', 'running', 'w', ARGV[2], 'st', now }, {}
        place_fields(place, set, del)
        redis.call('HSET', key, unpack(set))
        -- A place left from an earlier delivery by another worker must not be taken for this one's.
        local gone = {}
        for _, d in ipairs(del) do
          if (d == 'wh' and f[11]) or (d == 'wp' and f[12]) then gone[#gone + 1] = d end
        end
        if #gone > 0 then redis.call('HDEL', key, unpack(gone)) end
        if ckn then
          -- This delivery holds a slot of its key until it ends (prelude: ck_release).
          cknow[f[10]] = redis.call('HINCRBY', ckh, 'k:' .. f[10], 1)
          redis.call('HSET', key, 'cs', a)
        end
        -- The span of the delivery just before this one (field ls, 'FENCE traceparent'), for a span link; '' when
        -- that delivery left none (it crashed, or its worker did not trace).
        local ls = ''
        if f[13] then
          local lf, lt = string.match(f[13], '^(%d+) (%S+)$')
          if lf and tonumber(lf) == a - 1 then ls = lt end
        end
        out[#out + 1] = { 'j', e, a, f[2] or '', f[3] or '', f[4] or '', f[5] or '', f[6] or '', f[7] or '', f[8] or '', f[9] or '', ls }
      end
    end
  elseif #e > maxp then
    dead_here(e, nil, 'too-large', 'a raw entry of ' .. #e .. ' bytes (limit ' .. maxp .. ')')
  else
    out[#out + 1] = { 'r', e }
  end
end
-- The parked jobs go back to the taking end in their order, so they keep their turn.
for k = #parked, 1, -1 do redis.call('RPUSH', KEYS[1], parked[k]) end
if #out == 0 and #parked > 0 and rateWait == '' then
  -- Every job seen waits for a slot of its key. The end of a delivery that frees one wakes idle workers (wake
  -- channel); this wait is only the fallback.
  rateWait = 1000
end
if stale > 0 then redis.call('HINCRBY', KEYS[4], 'stale', stale) end
if rn and rms and #out > 0 then
  -- Each start in the log once: a job by its id and attempt (unique), a raw entry by the worker, time and place.
  local t = redis.call('TIME')
  local log = {}
  for i, o in ipairs(out) do
    log[#log + 1] = now
    log[#log + 1] = o[1] == 'j' and (o[2] .. '#' .. o[3]) or ('r#' .. ARGV[2] .. '#' .. t[1] .. t[2] .. '#' .. i)
  end
  redis.call('ZADD', KEYS[8], unpack(log))
  redis.call('PEXPIRE', KEYS[8], rms)
end
local nextDue = ''
if #out == 0 then
  local z = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  if z[2] then nextDue = z[2] end
end
return { out, nextDue, rateWait }
