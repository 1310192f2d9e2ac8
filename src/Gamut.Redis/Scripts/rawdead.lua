-- Dead-letter a raw entry a worker could not read (not JSON, wrong shape, unsupported version, bad id...).
-- KEYS: 1 active, 2 dead, 3 stats
-- ARGV: 1 raw entry, 2 dead-letter entry (JSON), 3 dead-letter max
-- Returns 1, or 0 when the entry was no longer in the in-flight list (reaped meanwhile).
expect(KEYS[1], 'list', KEYS[2], 'list', KEYS[3], 'hash')
if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 0 then return 0 end
dead_push(KEYS[2], KEYS[3], ARGV[2], ARGV[3])
return 1
