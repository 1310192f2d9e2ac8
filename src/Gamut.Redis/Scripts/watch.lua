-- Subscribe a channel to a job's completion: returns { state } while it is pending (the channel is added to the
-- job's watchers), or { state, result, error } when it has ended, or { 'missing' }.
-- KEYS: 1 job
-- ARGV: 1 channel
if key_type(KEYS[1]) ~= 'hash' then return { 'missing' } end
local f = redis.call('HMGET', KEYS[1], 's', 'r', 'e', 'x')
local s = f[1] or 'unknown'
if s == 'queued' or s == 'delayed' or s == 'running' then
  local x = f[4] or ''
  if not string.find(' ' .. x .. ' ', ' ' .. ARGV[1] .. ' ', 1, true) then
    if x == '' then x = ARGV[1] else x = x .. ' ' .. ARGV[1] end
    redis.call('HSET', KEYS[1], 'x', x)
  end
  return { s }
end
return { s, f[2] or '', f[3] or '' }
