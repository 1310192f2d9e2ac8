-- Return a dead worker's in-flight jobs to the ready list (they run next), or dead-letter those whose workers
-- died too often. Does nothing if the worker's heartbeat is back.
-- KEYS: 1 active, 2 ready, 3 heartbeat, 4 stats, 5 dead, 6 workers set, 7 cancels set, 8 raw counts
-- ARGV: 1 job key prefix, 2 worker id, 3 max lost deliveries, 4 failed ttl ms, 5 dead-letter max, 6 queue,
--       7 wake channel, 8 result ttl ms
-- Returns { requeued, dead-lettered, dropped } or { -1 } when the worker is alive.
-- Each running job of the dead worker that goes back to the queue records its attempt as lost (prelude: attempt_end).
expect(KEYS[1], 'list', KEYS[2], 'list', KEYS[4], 'hash', KEYS[5], 'list', KEYS[6], 'set', KEYS[8], 'hash', ck_key(ARGV[1]), 'hash')
if redis.call('EXISTS', KEYS[3]) == 1 then return { -1 } end
local entries = redis.call('LRANGE', KEYS[1], 0, -1)
for _, e in ipairs(entries) do
  if is_id(e) then wf_expect(ARGV[1], ARGV[1] .. e) end
end
-- First, a write that cannot grow memory, so reaping works when Redis is at maxmemory (see take.lua).
redis.call('SREM', KEYS[6], ARGV[2])
local now = now_ms()
local maxl = tonumber(ARGV[3])
local requeued, dead, dropped = 0, 0, 0
local q = ARGV[6]
local wfc = wf_ctx(ARGV[1], q, now, ARGV[8], ARGV[4])
local ckwake = false
-- Newest first; RPUSH each to the taking end, so the oldest ends up taken first.
for _, e in ipairs(entries) do
  if is_id(e) then
    local key = ARGV[1] .. e
    if key_type(key) ~= 'hash' then
      dropped = dropped + 1
    else
      local f = redis.call('HMGET', key, 's', 'w', 'cx', 'x', 'n', 'a')
      if f[1] == 'running' and f[2] == ARGV[2] then
        -- The dead worker's delivery ends here whatever comes next: its per-key slot is free.
        if ck_release(ARGV[1], key) then ckwake = true end
        if f[3] then
          redis.call('HSET', key, 's', 'cancelled', 'fin', now)
          redis.call('PEXPIRE', key, ARGV[8])
          redis.call('HINCRBY', KEYS[4], 'cancelled', 1)
          notify(f[4], 'cancelled ' .. q .. ' ' .. e .. '\n')
          wf_member_ended(wfc, key, false, '{"code":"cancelled","type":"cancelled","message":"job ' .. e .. ' was cancelled"}')
        else
          local l = redis.call('HINCRBY', key, 'l', 1)
          if l > maxl then
            local msg = 'its worker died ' .. l .. ' times while running it (last: ' .. ARGV[2] .. ')'
            local err = cjson.encode({ type = 'Gamut.Redis.DeadLetter', reason = 'worker-died', message = msg })
            redis.call('HSET', key, 's', 'dead', 'e', err, 'fin', now)
            redis.call('PEXPIRE', key, ARGV[4])
            dead_push(KEYS[5], KEYS[4], cjson.encode({ id = e, queue = q, name = f[5], reason = 'worker-died', detail = msg, at = now }), ARGV[5])
            notify(f[4], 'dead ' .. q .. ' ' .. e .. '\n' .. err)
            wf_member_ended(wfc, key, false, err)
            dead = dead + 1
          else
            attempt_end(key, f[6], 'lost', { type = 'Gamut.Redis.WorkerLost', message = 'its worker ' .. ARGV[2] .. ' stopped beating while running it (reaped); the job went back to the queue' }, now)
            redis.call('HSET', key, 's', 'queued')
            redis.call('RPUSH', KEYS[2], e)
            requeued = requeued + 1
          end
        end
      else
        dropped = dropped + 1
      end
    end
  else
    local h = redis.sha1hex(e)
    local c = redis.call('HINCRBY', KEYS[8], h, 1)
    redis.call('PEXPIRE', KEYS[8], 86400000)
    if c > maxl then
      redis.call('HDEL', KEYS[8], h)
      dead_push(KEYS[5], KEYS[4], cjson.encode({ queue = q, reason = 'worker-died', detail = 'a worker died ' .. c .. ' times while reading this raw entry', at = now, entry = printable(e, 200) }), ARGV[5])
      dead = dead + 1
    else
      redis.call('RPUSH', KEYS[2], e)
      requeued = requeued + 1
    end
  end
end
redis.call('DEL', KEYS[1], KEYS[7])
if requeued > 0 then redis.call('HINCRBY', KEYS[4], 'reaped', requeued) end
if requeued > 0 or wfc.pushed > 0 or ckwake then redis.call('PUBLISH', ARGV[7], '1') end
return { requeued, dead, dropped }
