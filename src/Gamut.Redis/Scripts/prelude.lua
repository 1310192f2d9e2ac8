-- Shared by every Gamut script (prepended). Keys are built inside scripts only from a prefix that carries the
-- queue's hash tag, so every key a script touches is in one Redis Cluster slot.
local function key_type(key)
  local t = redis.call('TYPE', key)
  if type(t) == 'table' then return t.ok end
  return t
end
-- Redis does not roll a script back: a WRONGTYPE error at its third write leaves the first two done. So a script
-- names the keys it will write with their types (pairs: key, type) before its first write, and stops here with an
-- error naming the key when one holds another type. A key that does not exist passes.
local function expect(...)
  local a = { ... }
  for i = 1, #a, 2 do
    local t = key_type(a[i])
    if t ~= 'none' and t ~= a[i + 1] then
      error({ err = 'WRONGTYPE Gamut: the key ' .. a[i] .. ' is a ' .. t .. ', expected a ' .. a[i + 1] })
    end
  end
end
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function is_id(s)
  return #s <= 200 and string.find(s, '^[%w%._%-]+$') ~= nil
end
local function notify(watchers, msg)
  if watchers then
    for ch in string.gmatch(watchers, '%S+') do redis.call('PUBLISH', ch, msg) end
  end
end
local function dead_push(dead, stats, entry, max)
  redis.call('LPUSH', dead, entry)
  redis.call('HINCRBY', stats, 'dead', 1)
  if redis.call('LLEN', dead) > tonumber(max) then
    redis.call('RPOP', dead)
    redis.call('HINCRBY', stats, 'deadTrimmed', 1)
  end
end
local function printable(s, n)
  return (string.gsub(string.sub(s, 1, n), '[^%w%p ]', '?'))
end
