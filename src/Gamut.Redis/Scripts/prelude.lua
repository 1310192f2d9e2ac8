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
-- Per-key concurrency (docs/redis-protocol.md section 13): P:{Q}:ck is a hash; field 'max' is the most jobs of one
-- key that may run at once (absent: no limit), field 'k:KEY' how many deliveries of that key hold a slot now. Take
-- counts every job that has a ck field (limit or not, so a limit set later sees what runs) and marks the delivery
-- with cs on its record; the scripts that end a running delivery (complete, reap, reclaim) call ck_release, which
-- does nothing unless cs is there, so a refused outcome, a resend or a second path never frees a slot twice.
local function ck_key(jp)
  return string.sub(jp, 1, #jp - 4) .. 'ck'
end
-- Frees the slot the job's current delivery holds. Returns true when that key went from full to not full, so the
-- caller wakes idle workers (a take that found the key full waits for that).
local function ck_release(jp, key)
  local f = redis.call('HMGET', key, 'ck', 'cs')
  if not f[2] then return false end
  redis.call('HDEL', key, 'cs')
  if not f[1] then return false end
  local h = ck_key(jp)
  local n = redis.call('HINCRBY', h, 'k:' .. f[1], -1)
  if n <= 0 then redis.call('HDEL', h, 'k:' .. f[1]) end
  local max = tonumber(redis.call('HGET', h, 'max'))
  return max ~= nil and n == max - 1
end
-- Attempt history (docs/redis-protocol.md section 4.3). An attempt after which the job goes on (retry, back, lost)
-- is kept as field h:F of the record (F = its fence), one small JSON object, written by the script that ended it;
-- the attempt that ended the job is the record itself (s, w, wh, wp, st, fin, e), so a job that succeeds at once
-- costs no entry (an entry over 64 bytes would turn a small record's listpack into a hashtable, six times its size).
-- Writing h:F drops h:(F-20), so a record keeps at most 20; they expire, persist and are deleted with it. Each text
-- is cut to 4,096 bytes on a UTF-8 boundary. Nothing here raises an error, so an attempt is never half-written.
local ATTEMPTS_KEPT = 20
local ATTEMPT_TEXT_MAX = 4096
local function cut_text(s, n)
  if #s <= n then return s end
  local k = n
  -- Back up while the first byte left out continues a UTF-8 sequence, so the kept text stays valid UTF-8.
  while k > 0 do
    local b = string.byte(s, k + 1)
    if b < 128 or b >= 192 then break end
    k = k - 1
  end
  return string.sub(s, 1, k)
end
-- An attempt's error from an error JSON text (section 4.2): code, type, reason, message and stack, each cut. A body
-- that is not a JSON object (a foreign worker's mistake) is kept as the message.
local function attempt_error(body)
  if body == nil or body == '' then return nil end
  local ok, e = pcall(cjson.decode, body)
  if not ok or type(e) ~= 'table' then return { message = cut_text(body, ATTEMPT_TEXT_MAX) } end
  local r = {}
  for _, k in ipairs({ 'code', 'type', 'reason', 'message', 'stack' }) do
    if type(e[k]) == 'string' then r[k] = cut_text(e[k], ATTEMPT_TEXT_MAX) end
  end
  return r
end
-- Where worker w runs, from its heartbeat on this queue (section 3.3): { host, pid }, either nil when unknown.
-- take and adopt copy it into the record (wh, wp), so an attempt names its host even after its worker died.
local function worker_place(jp, w)
  local v = redis.pcall('GET', string.sub(jp, 1, #jp - 4) .. 'hb:' .. w)
  if type(v) ~= 'string' then return {} end
  local ok, i = pcall(cjson.decode, v)
  if not ok or type(i) ~= 'table' then return {} end
  local p = {}
  if type(i.host) == 'string' and i.host ~= '' then p.host = cut_text(i.host, 200) end
  if type(i.pid) == 'number' and i.pid >= 0 and i.pid == math.floor(i.pid) and i.pid < 1e12 then p.pid = string.format('%d', i.pid) end
  return p
end
-- Field/value pairs for HSET, and field names for HDEL, that set a record's wh/wp to a worker's place.
local function place_fields(p, set, del)
  if p.host then set[#set + 1] = 'wh'; set[#set + 1] = p.host else del[#del + 1] = 'wh' end
  if p.pid then set[#set + 1] = 'wp'; set[#set + 1] = p.pid else del[#del + 1] = 'wp' end
end
-- Records the end of delivery `fence` of the job at key: outcome o (retry lost back; failed dead cancelled ok when
-- admin-retry keeps a job's last attempt before it runs again), the error table (attempt_error) or nil, the end
-- time. Reads the holder (w), start (st) and place (wh, wp) from the record.
local function attempt_end(key, fence, o, err, now)
  local n = tonumber(fence)
  if not n then return end
  local f = redis.call('HMGET', key, 'w', 'st', 'wh', 'wp')
  local h = { a = n, o = o, fin = now }
  if f[1] then h.w = f[1] end
  if tonumber(f[2]) then h.st = tonumber(f[2]) end
  if f[3] then h.host = f[3] end
  if tonumber(f[4]) then h.pid = tonumber(f[4]) end
  if err then h.e = err end
  redis.call('HSET', key, 'h:' .. string.format('%d', n), cjson.encode(h))
  if n > ATTEMPTS_KEPT then redis.call('HDEL', key, 'h:' .. string.format('%d', n - ATTEMPTS_KEPT)) end
end
local function printable(s, n)
  return (string.gsub(string.sub(s, 1, n), '[^%w%p ]', '?'))
end
-- Workflows (docs/redis-protocol.md section 11): a workflow W of queue Q is the hash P:{Q}:wf:W holding a tree of
-- nodes (job, chain, group) and the state of the groups; its jobs are P:{Q}:job:W.N (N = the node). The scripts
-- that end a job call wf_member_ended, so the step after a member (the next job of a chain, a chord's callback)
-- is enqueued by the very script that records the member's outcome: a crash cannot lose or double it.
-- c: { jp = 'P:{Q}:job:', t = 'P:{Q}:', q = queue name, now = ms, okTtl, failTtl, pushed = count }
local function wf_ctx(jp, q, now, okTtl, failTtl)
  return { jp = jp, t = string.sub(jp, 1, #jp - 4), q = q, now = now, okTtl = okTtl, failTtl = failTtl, pushed = 0 }
end
-- Starts node i with an input (a JSON text; nil for the root): a job is created and queued with the node's own
-- payload or, when it has none, the input; a chain starts its first node; a group all of its nodes.
local function wf_start(c, wk, w, i, input)
  local f = redis.call('HMGET', wk, 'k:' .. i, 'nc:' .. i, 'n:' .. i, 'p:' .. i, 'm:' .. i, 'to:' .. i, 'rb:' .. i)
  if f[1] == 'j' then
    local id = w .. '.' .. i
    local key = c.jp .. id
    if redis.call('EXISTS', key) == 0 then
      local fields = { 'n', f[3], 'p', f[4] or input or 'null', 'c', c.now, 's', 'queued', 'wf', w, 'wn', i }
      if f[5] then fields[#fields + 1] = 'm'; fields[#fields + 1] = f[5] end
      if f[6] then fields[#fields + 1] = 'to'; fields[#fields + 1] = f[6] end
      if f[7] then fields[#fields + 1] = 'rb'; fields[#fields + 1] = f[7] end
      redis.call('HSET', key, unpack(fields))
      redis.call('LPUSH', c.t .. 'queue', id)
      redis.call('HINCRBY', c.t .. 'stats', 'enqueued', 1)
      c.pushed = c.pushed + 1
    end
    -- The job holds its own copy of the payload now.
    if f[4] then redis.call('HDEL', wk, 'p:' .. i) end
  elseif f[1] == 'c' then
    wf_start(c, wk, w, tonumber(redis.call('HGET', wk, 'c:' .. i .. ':1')), input)
  elseif f[1] == 'g' then
    local n = tonumber(f[2])
    redis.call('HSET', wk, 'left:' .. i, n)
    for o = 1, n do
      wf_start(c, wk, w, tonumber(redis.call('HGET', wk, 'c:' .. i .. ':' .. o)), input)
    end
  end
end
-- Cancels every job of the workflow that has not started (queued or delayed): their ids stay in the ready list and
-- are dropped (counted as stale) when taken. Running ones are asked to stop, as the cancel script does (cx, the
-- worker's cancels set, a control message on P:ctl:W); their outcome no longer moves the workflow.
local function wf_stop(c, wk, w)
  local nn = tonumber(redis.call('HGET', wk, 'nn')) or 0
  -- c.t is P:{Q}: — the application prefix P is what comes before ':{Q}:'.
  local ctl = string.sub(c.t, 1, #c.t - #c.q - 4) .. ':ctl:'
  for i = 1, nn do
    local id = w .. '.' .. i
    local key = c.jp .. id
    local f = redis.pcall('HMGET', key, 's', 'w')
    local s = not f.err and f[1]
    if s == 'queued' or s == 'delayed' then
      redis.call('ZREM', c.t .. 'delayed', id)
      redis.call('HSET', key, 's', 'cancelled', 'fin', c.now)
      redis.call('PEXPIRE', key, c.okTtl)
      redis.call('HINCRBY', c.t .. 'stats', 'cancelled', 1)
    elseif s == 'running' and f[2] then
      local set = c.t .. 'cancels:' .. f[2]
      local t = key_type(set)
      if t == 'none' or t == 'set' then
        redis.call('HSET', key, 'cx', '1')
        redis.call('SADD', set, id)
        redis.call('PUBLISH', ctl .. f[2], 'cancel ' .. c.q .. ' ' .. id)
      end
    end
  end
end
-- The workflow ended: its state, result or error, expiry, the running index, and its watchers told (like a job's).
local function wf_end(c, wk, w, state, body)
  local x = redis.call('HGET', wk, 'x')
  redis.call('SREM', c.t .. 'wfs', w)
  if state == 'succeeded' then
    redis.call('HSET', wk, 's', state, 'r', body, 'fin', c.now)
    redis.call('PEXPIRE', wk, c.okTtl)
    if #body <= 65536 then
      notify(x, 'succeeded ' .. c.q .. ' ' .. w .. '\n' .. body)
    else
      notify(x, 'done ' .. c.q .. ' ' .. w .. '\n')
    end
  elseif state == 'failed' then
    redis.call('HSET', wk, 's', state, 'e', body, 'fin', c.now)
    redis.call('PEXPIRE', wk, c.failTtl)
    notify(x, 'failed ' .. c.q .. ' ' .. w .. '\n' .. body)
  else
    redis.call('HSET', wk, 's', state, 'fin', c.now)
    redis.call('PEXPIRE', wk, c.okTtl)
    notify(x, state .. ' ' .. c.q .. ' ' .. w .. '\n')
  end
end
-- Node i ended (ok: body is its result; else its error): climb the tree. A chain starts its next node with the
-- result, or ends with this outcome; a group stores it in its slot and, at the last one, ends with the array of
-- results in order ('continue': each slot is {"result":…} or {"error":…}); the root ends the workflow.
local function wf_node_done(c, wk, w, i, ok, body, pol)
  while true do
    local f = redis.call('HMGET', wk, 'u:' .. i, 'o:' .. i)
    if not f[1] then
      wf_end(c, wk, w, ok and 'succeeded' or 'failed', body)
      return
    end
    local u, o = tonumber(f[1]), tonumber(f[2])
    local g = redis.call('HMGET', wk, 'k:' .. u, 'nc:' .. u)
    local n = tonumber(g[2])
    if g[1] == 'c' then
      if ok and o < n then
        wf_start(c, wk, w, tonumber(redis.call('HGET', wk, 'c:' .. u .. ':' .. (o + 1))), body)
        return
      end
    else
      local slot = body
      if pol == 'continue' then
        slot = ok and ('{"result":' .. body .. '}') or ('{"error":' .. body .. '}')
      end
      -- A slot is filled once: a member run again by hand (admin retry) does not count twice.
      if redis.call('HSETNX', wk, 'r:' .. u .. ':' .. o, slot) == 0 then return end
      if redis.call('HINCRBY', wk, 'left:' .. u, -1) > 0 then return end
      local parts, names = {}, {}
      for k = 1, n do
        parts[k] = redis.call('HGET', wk, 'r:' .. u .. ':' .. k) or 'null'
        names[#names + 1] = 'r:' .. u .. ':' .. k
        if #names == 1000 or k == n then
          redis.call('HDEL', wk, unpack(names))
          names = {}
        end
      end
      redis.call('HDEL', wk, 'left:' .. u)
      body = '[' .. table.concat(parts, ',') .. ']'
      ok = true
    end
    i = u
  end
end
-- A job ended (ok: succeeded with body as its result; else failed, dead or cancelled with body as its error). Does
-- nothing unless the job belongs to a running workflow. Call it only for an outcome that was applied.
local function wf_member_ended(c, key, ok, body)
  local f = redis.call('HMGET', key, 'wf', 'wn')
  if not f[1] then return end
  local w = f[1]
  local wk = c.t .. 'wf:' .. w
  local g = redis.pcall('HMGET', wk, 's', 'pol')
  if g.err or g[1] ~= 'running' then return end
  if body == nil or body == '' then body = ok and 'null' or '{}' end
  redis.call('HINCRBY', wk, ok and 'ok' or 'ko', 1)
  if not ok and g[2] ~= 'continue' then
    wf_stop(c, wk, w)
    wf_end(c, wk, w, 'failed', body)
    return
  end
  wf_node_done(c, wk, w, tonumber(f[2]), ok, body, g[2])
end
-- The workflow keys a job's end may write, checked before a script's first write (see expect).
local function wf_expect(jp, key)
  local w = redis.pcall('HGET', key, 'wf')
  if type(w) == 'string' then
    local t = string.sub(jp, 1, #jp - 4)
    expect(t .. 'wf:' .. w, 'hash', t .. 'wfs', 'set')
  end
end
