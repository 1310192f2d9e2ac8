-- Release a held lock (only by its holder) and tell waiters. KEYS: 1 owner.  ARGV: 1 holder token, 2 channel.
expect(KEYS[1], 'string')
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('PUBLISH', ARGV[2], 'released')
  return 1
end
return 0
