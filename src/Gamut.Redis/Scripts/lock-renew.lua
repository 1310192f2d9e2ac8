-- Extend a held lease. KEYS: 1 owner.  ARGV: 1 holder token, 2 lease ms.  Returns 1, or 0 when the lease was lost.
expect(KEYS[1], 'string')
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
