-- Cancel a job: a queued or delayed one at once; a running one by telling its worker (a control message, and a
-- cancels set the worker reads with its next heartbeat, in case the message is lost).
-- KEYS: 1 job, 2 ready, 3 delayed, 4 stats
-- ARGV: 1 id, 2 result ttl ms, 3 cancels key prefix, 4 control channel prefix, 5 queue
-- Returns 'cancelled', 'cancelling', 'missing', or the state of a job that already ended.
expect(KEYS[2], 'list', KEYS[3], 'zset', KEYS[4], 'hash')
if key_type(KEYS[1]) ~= 'hash' then return 'missing' end
-- A job of a workflow: the workflow moves on (or stops) in this call. Its keys share the job's prefix.
local jp = string.sub(ARGV[3], 1, #ARGV[3] - 8) .. 'job:'
wf_expect(jp, KEYS[1])
local f = redis.call('HMGET', KEYS[1], 's', 'w', 'x')
local s = f[1]
if s == 'queued' or s == 'delayed' then
  redis.call('LREM', KEYS[2], 0, ARGV[1])
  redis.call('ZREM', KEYS[3], ARGV[1])
  redis.call('HSET', KEYS[1], 's', 'cancelled', 'fin', now_ms())
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  redis.call('HINCRBY', KEYS[4], 'cancelled', 1)
  notify(f[3], 'cancelled ' .. ARGV[5] .. ' ' .. ARGV[1] .. '\n')
  local c = wf_ctx(jp, ARGV[5], now_ms(), ARGV[2], ARGV[2])
  wf_member_ended(c, KEYS[1], false, '{"code":"cancelled","type":"cancelled","message":"job ' .. ARGV[1] .. ' was cancelled"}')
  if c.pushed > 0 then redis.call('PUBLISH', string.sub(ARGV[4], 1, #ARGV[4] - 4) .. 'wake:' .. ARGV[5], '1') end
  return 'cancelled'
elseif s == 'running' then
  expect(ARGV[3] .. f[2], 'set')
  redis.call('HSET', KEYS[1], 'cx', '1')
  redis.call('SADD', ARGV[3] .. f[2], ARGV[1])
  redis.call('PUBLISH', ARGV[4] .. f[2], 'cancel ' .. ARGV[5] .. ' ' .. ARGV[1])
  return 'cancelling'
end
return s or 'unknown'
