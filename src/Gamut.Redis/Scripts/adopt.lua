-- Turn a raw JSON envelope that another client pushed into the ready list (docs/protocol.md) into a job record
-- held by this worker, in place of the raw entry in its in-flight list. Idempotent on the envelope's id: an id
-- that already has a record is dead-lettered as a duplicate.
-- KEYS: 1 active, 2 stats, 3 dead, 4 job key
-- ARGV: 1 raw entry, 2 worker id, 3 id, 4 name, 5 payload, 6 max attempts, 7 timeout ms or '', 8 created ms,
--       9 dead-letter entry for a duplicate id, 10 dead-letter max
-- Returns 'ok' (the job is running with fence 1), 'gone' (the entry was reaped meanwhile) or 'duplicate-id'.
expect(KEYS[1], 'list', KEYS[2], 'hash', KEYS[3], 'list')
if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 0 then return 'gone' end
if redis.call('EXISTS', KEYS[4]) == 1 then
  dead_push(KEYS[3], KEYS[2], ARGV[9], ARGV[10])
  return 'duplicate-id'
end
local now = now_ms()
local fields = { 'n', ARGV[4], 'p', ARGV[5], 'c', ARGV[8], 's', 'running', 'w', ARGV[2], 'st', now, 'a', 1 }
-- The worker's host and pid (wh, wp) from its heartbeat; the job key is P:{Q}:job:ID, so P:{Q}:job: is its start.
place_fields(worker_place(string.sub(KEYS[4], 1, #KEYS[4] - #ARGV[3]), ARGV[2]), fields, {})
redis.call('HSET', KEYS[4], unpack(fields))
if ARGV[6] ~= '1' then redis.call('HSET', KEYS[4], 'm', ARGV[6]) end
if ARGV[7] ~= '' then redis.call('HSET', KEYS[4], 'to', ARGV[7]) end
redis.call('LPUSH', KEYS[1], ARGV[3])
redis.call('HINCRBY', KEYS[2], 'enqueued', 1)
return 'ok'
