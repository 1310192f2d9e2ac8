-- A live worker gives back entries of its own in-flight list that it does not hold in memory: e.g. after Redis
-- restarted from an AOF that lost its last writes (appendfsync everysec), an outcome the worker recorded may be
-- gone and the job back in its list. Each entry goes back to the ready list if the job still names this worker.
-- KEYS: 1 active, 2 ready, 3 stats
-- ARGV: 1 job key prefix, 2 worker id, 3 wake channel, then the entries
-- Returns the number of entries returned to the ready list. Each job returned records its attempt as lost (prelude:
-- attempt_end).
expect(KEYS[1], 'list', KEYS[2], 'list', KEYS[3], 'hash', ck_key(ARGV[1]), 'hash')
local n = 0
for i = 4, #ARGV do
  local e = ARGV[i]
  if redis.call('LREM', KEYS[1], 1, e) > 0 then
    if is_id(e) then
      local key = ARGV[1] .. e
      if key_type(key) == 'hash' then
        local f = redis.call('HMGET', key, 's', 'w', 'a')
        if f[1] == 'running' and f[2] == ARGV[2] then
          ck_release(ARGV[1], key)
          attempt_end(key, f[3], 'lost', { type = 'Gamut.Redis.WorkerLost', message = 'its worker ' .. ARGV[2] .. ' no longer held it (reclaimed); the job went back to the queue' }, now_ms())
          redis.call('HSET', key, 's', 'queued')
          redis.call('HINCRBY', key, 'l', 1)
          redis.call('RPUSH', KEYS[2], e)
          n = n + 1
        end
      end
    else
      redis.call('RPUSH', KEYS[2], e)
      n = n + 1
    end
  end
end
if n > 0 then
  redis.call('HINCRBY', KEYS[3], 'reclaimed', n)
  redis.call('PUBLISH', ARGV[3], '1')
end
return n
