-- Stores a ring topology in one instance if it supersedes the stored one (a higher version, or the same version
-- and a greater fingerprint), so every instance settles on the same topology whatever order the writes arrive in.
-- KEYS: 1 ring
-- ARGV: 1 version, 2 fingerprint, 3 topology JSON, 4 this instance's state in it: member, draining or gone
-- Returns { 1 } when stored (or the same one was there), { 0, json } when a topology that supersedes it is there.
-- The enqueue script of a ring member reads 'state': an instance that is not a member takes no new job.
expect(KEYS[1], 'hash')
local cur = redis.call('HMGET', KEYS[1], 'v', 'fp', 'json')
local v, fp = tonumber(ARGV[1]), ARGV[2]
if cur[1] then
  local cv = tonumber(cur[1])
  if cv == v and cur[2] == fp then return { 1 } end
  if cv > v or (cv == v and cur[2] > fp) then return { 0, cur[3] } end
end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'fp', fp, 'json', ARGV[3], 'state', ARGV[4])
return { 1 }
