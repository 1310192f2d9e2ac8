-- Record the outcomes of jobs a worker ran. Each is applied only if the worker still holds the job: its state is
-- running, its holder is this worker and its delivery counter equals the fence the worker got at take. Otherwise
-- the job was handed to someone else (this worker was presumed dead) or already finished: the outcome is
-- rejected and counted as a duplicate, and only this worker's own in-flight entry is removed.
-- KEYS: 1 active, 2 ready, 3 delayed, 4 stats, 5 dead, 6 dups
-- ARGV: 1 job key prefix, 2 worker id, 3 count, 4 result ttl ms, 5 failed ttl ms, 6 dead-letter max, 7 queue,
--       8 wake channel, then per job: id, fence, kind, body, arg
--   kinds: ok (body = result), retry (body = error JSON, arg = delay ms), fail (body = error JSON, arg = dead-letter
--   entry), dead (same), cancel, back (hand back to the queue, at shutdown)
-- Returns, per job: 'ok', 'duplicate', 'already' (this very outcome was recorded before) or 'missing'.
-- A job of a workflow (field wf) that ends here moves its workflow on in this same call (prelude: wf_member_ended).
-- An outcome after which the job goes on (retry, back) records its attempt as field h:FENCE in this same call
-- (prelude: attempt_end); an outcome that ends the job leaves the record itself as its last attempt.
-- Optional trailing arguments, after the outcomes: per outcome, in their order, the W3C traceparent of the worker's
-- span of that delivery ('' when none). A retry or a hand-back stores it as 'FENCE traceparent' in field ls, so the
-- next delivery's span links to this one (take returns it).
expect(KEYS[1], 'list', KEYS[2], 'list', KEYS[3], 'zset', KEYS[4], 'hash', KEYS[5], 'list', KEYS[6], 'list', ck_key(ARGV[1]), 'hash')
do
  local i = 9
  for _ = 1, tonumber(ARGV[3]) do
    wf_expect(ARGV[1], ARGV[1] .. ARGV[i])
    i = i + 5
  end
end
local now = now_ms()
local wfc = wf_ctx(ARGV[1], ARGV[7], now, ARGV[4], ARGV[5])
local out = {}
local i = 9
local wake = false
local succeeded = 0
local q = ARGV[7]
local spans = 8 + 5 * tonumber(ARGV[3])
for j = 1, tonumber(ARGV[3]) do
  local id, fence, kind, body, arg = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  i = i + 5
  local key = ARGV[1] .. id
  redis.call('LREM', KEYS[1], 1, id)
  local f = redis.pcall('HMGET', key, 's', 'a', 'w', 'x')
  if f.err or not f[1] then
    out[j] = 'missing'
  else
    if f[1] ~= 'running' or tostring(f[2]) ~= fence or f[3] ~= ARGV[2] then
      if tostring(f[2]) == fence and f[3] == ARGV[2] and f[1] ~= 'queued' and f[1] ~= 'delayed' then
        out[j] = 'already'
      else
        -- A late worker resends its outcome when a reply was lost; the one stale execution is counted once, so
        -- the counter says how many executions were refused, not how many calls carried them.
        if redis.call('HSETNX', key, 'd:' .. fence .. ':' .. ARGV[2], now) == 1 then
          redis.call('HINCRBY', KEYS[4], 'duplicates', 1)
          redis.call('LPUSH', KEYS[6], id .. ' ' .. fence .. ' ' .. ARGV[2] .. ' ' .. now)
          redis.call('LTRIM', KEYS[6], 0, 999)
        end
        out[j] = 'duplicate'
      end
    else
      -- Every kind ends this delivery: its per-key slot (if it holds one) is free.
      if ck_release(ARGV[1], key) then wake = true end
      if kind == 'ok' then
        redis.call('HSET', key, 's', 'succeeded', 'r', body, 'fin', now)
        redis.call('HDEL', key, 'p')
        redis.call('PEXPIRE', key, ARGV[4])
        succeeded = succeeded + 1
        if #body <= 65536 then
          notify(f[4], 'succeeded ' .. q .. ' ' .. id .. '\n' .. body)
        else
          notify(f[4], 'done ' .. q .. ' ' .. id .. '\n')
        end
        wf_member_ended(wfc, key, true, body)
      elseif kind == 'retry' then
        attempt_end(key, fence, 'retry', attempt_error(body), now)
        redis.call('HINCRBY', key, 'fl', 1)
        local d = tonumber(arg)
        if d > 0 then
          redis.call('HSET', key, 's', 'delayed', 'e', body)
          redis.call('ZADD', KEYS[3], now + d, id)
        else
          redis.call('HSET', key, 's', 'queued', 'e', body)
          redis.call('LPUSH', KEYS[2], id)
          wake = true
        end
        redis.call('HINCRBY', KEYS[4], 'retried', 1)
        local span = ARGV[spans + j]
        if span and span ~= '' then redis.call('HSET', key, 'ls', fence .. ' ' .. span) end
      elseif kind == 'fail' or kind == 'dead' then
        local s = kind == 'fail' and 'failed' or 'dead'
        if kind == 'fail' then redis.call('HINCRBY', key, 'fl', 1) end
        redis.call('HSET', key, 's', s, 'e', body, 'fin', now)
        redis.call('PEXPIRE', key, ARGV[5])
        if kind == 'fail' then redis.call('HINCRBY', KEYS[4], 'failed', 1) end
        dead_push(KEYS[5], KEYS[4], arg, ARGV[6])
        notify(f[4], s .. ' ' .. q .. ' ' .. id .. '\n' .. body)
        wf_member_ended(wfc, key, false, body)
      elseif kind == 'cancel' then
        redis.call('HSET', key, 's', 'cancelled', 'fin', now)
        redis.call('PEXPIRE', key, ARGV[4])
        redis.call('HINCRBY', KEYS[4], 'cancelled', 1)
        notify(f[4], 'cancelled ' .. q .. ' ' .. id .. '\n')
        wf_member_ended(wfc, key, false, '{"code":"cancelled","type":"cancelled","message":"job ' .. id .. ' was cancelled"}')
      elseif kind == 'back' then
        -- The delivery counter is not rolled back: it is the fencing token, and must only grow.
        attempt_end(key, fence, 'back', nil, now)
        redis.call('HSET', key, 's', 'queued')
        redis.call('RPUSH', KEYS[2], id)
        redis.call('HINCRBY', KEYS[4], 'handedBack', 1)
        local span = ARGV[spans + j]
        if span and span ~= '' then redis.call('HSET', key, 'ls', fence .. ' ' .. span) end
        wake = true
      end
      out[j] = 'ok'
    end
  end
end
if succeeded > 0 then redis.call('HINCRBY', KEYS[4], 'succeeded', succeeded) end
if wake or wfc.pushed > 0 then redis.call('PUBLISH', ARGV[8], '1') end
return out
