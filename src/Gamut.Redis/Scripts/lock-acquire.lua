-- Take a lock if it is free: SET NX PX, and hand out the next fencing token.
-- KEYS: 1 owner, 2 fence counter.  ARGV: 1 holder token, 2 lease ms.  Returns the fencing token, or false.
expect(KEYS[1], 'string', KEYS[2], 'string')
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return redis.call('INCR', KEYS[2])
end
return false
