-- The key layout, every key under the prefix P (`sb:{q}:` by default; the braces are the hash tag):
--   P seq            hash: the last object (o), lease (l), message (m), dead letter (d), dry-run
--                    request (dry) and dropped message (dropped) number
--   P n              hash: objects queued, objects leased, messages waiting in the inbox (stats without a scan)
--   P o:<id>         hash: one queued object (m message id, u user, e endpoint, a array, op options,
--                    ob object, p position, k merge key, et event time, co changes-only policy, at attempts,
--                    nb not before, l lease, t enqueued, mr message)
--   P m:<n>          hash: a message's Segment payload (p), kept once for all its objects (n left)
--   P u:<user>       list: the user's object ids in acceptance order
--   P heads          zset: every user with queued objects, by head id (the oldest object)
--   P ready          zset: users whose head may be leased now, by head id (the queue's order)
--   P later          zset: users whose head waits for a retry, by not-before
--   P lease:<id>     hash: o owner, x expires at, i object ids;  P leases  zset: lease ids by expiry
--   P dedup          zset: claimed message ids by claim time (pruned past the window)
--   P dead:<id>      hash: a dead letter;  P dead  zset: dead letter ids
--   P inbox          stream: accepted requests not yet made into work (h header JSON, b body as received);
--                    its consumer group `expand` has one consumer per instance; committed entries are deleted
--   P dry, P dropped stream: the kept dry-run requests and dropped messages, `<n>-0` each (see keep_record)
--   P dropped:codes  hash: the kept dropped messages counted by code
--   P merged         zset: the alias pairs merged, by when (the most recent kept; redis-merge-memory.ts)
--   P wake           pub/sub channel: new work committed
--   P budget:<family> hash: Braze's rate limit of an endpoint family as every instance knows it (l limit,
--                    r remaining: Braze's count less the requests sent since, x window reset, b a 429's block until)
--   P paused         hash: the endpoints Braze refuses the key for: why (r:<endpoint>) and since when
--                    (s:<endpoint>); an endpoint that is not paused has neither field
--   P probe:<endpoint> string: until when one instance holds the probe of a paused endpoint
--   P pause-changed  pub/sub channel: an endpoint paused or resumed
-- Prepended to every script of this folder. KEYS[1] names the prefix's `seq` key, so a
-- cluster routes the call to the prefix's slot; ARGV[1] is the prefix itself (hash-tagged,
-- `sb:{q}:`), from which every other key is built: all of them share that slot.
local P = ARGV[1]
local SEQ, COUNTS, HEADS, READY, LATER, LEASES, DEDUP, DEAD = P .. 'seq', P .. 'n', P .. 'heads', P .. 'ready', P .. 'later', P .. 'leases', P .. 'dedup', P .. 'dead'
local PAUSED = P .. 'paused'
local function probe_key(endpoint) return P .. 'probe:' .. endpoint end
local INBOX, EXPAND = P .. 'inbox', 'expand'
local function object_key(id) return P .. 'o:' .. id end
local function user_key(user) return P .. 'u:' .. user end
local function message_key(n) return P .. 'm:' .. n end
local function lease_key(id) return P .. 'lease:' .. id end
local function dead_key(id) return P .. 'dead:' .. id end
local function budget_key(family) return P .. 'budget:' .. family end

local function split(text)
  local out = {}
  for part in string.gmatch(text, '[^,]+') do out[#out + 1] = part end
  return out
end

-- Where a user stands, from its list's head: queued users are in HEADS (by head id, for the
-- oldest object); a user whose head is leased is in neither READY nor LATER; a head waiting
-- for its retry puts the user in LATER (by not-before); otherwise it is READY (by head id).
local function place(user, now)
  local head = redis.call('LINDEX', user_key(user), 0)
  if not head then
    redis.call('ZREM', HEADS, user)
    redis.call('ZREM', READY, user)
    redis.call('ZREM', LATER, user)
    return
  end
  redis.call('ZADD', HEADS, head, user)
  local f = redis.call('HMGET', object_key(head), 'l', 'nb')
  if f[1] then
    redis.call('ZREM', READY, user)
    redis.call('ZREM', LATER, user)
  elseif tonumber(f[2] or '0') > now then
    redis.call('ZREM', READY, user)
    redis.call('ZADD', LATER, f[2], user)
  else
    redis.call('ZREM', LATER, user)
    redis.call('ZADD', READY, head, user)
  end
end

-- Numbers `kind` (SEQ's counter) for a script that puts many: one HINCRBY for `count` of them.
local function numbers(kind, count)
  local next = redis.call('HINCRBY', SEQ, kind, count) - count
  return function()
    next = next + 1
    return next
  end
end

-- The payload once per message, counted down as its objects leave the queue; `n` its number
-- (numbers('m', …)), or a new one.
local function put_message(payload, objects, n)
  n = n or redis.call('HINCRBY', SEQ, 'm', 1)
  redis.call('HSET', message_key(n), 'p', payload, 'n', objects)
  return n
end

local function payload_of(n)
  if not n then return false end
  return redis.call('HGET', message_key(n), 'p')
end

local function let_go_of_message(n)
  if n and redis.call('HINCRBY', message_key(n), 'n', -1) <= 0 then redis.call('DEL', message_key(n)) end
end

-- o = {endpoint, array, options json or '', object json, position, merge key or '', event time or '',
-- changes-only policy json or ''} (the last two absent in a dead letter replayed as stored); appended to
-- its user's list; `id` its number (numbers('o', …)), or a new one. The caller counts the
-- objects it put (one HINCRBY of COUNTS per script).
local function put_object(message_id, user, o, mr, now, id)
  id = id or redis.call('HINCRBY', SEQ, 'o', 1)
  local fields = { 'HSET', object_key(id), 'm', message_id, 'u', user, 'e', o[1], 'a', o[2], 'ob', o[4], 'p', o[5], 't', now }
  local n = #fields
  if o[3] ~= '' then fields[n + 1], fields[n + 2], n = 'op', o[3], n + 2 end
  if o[6] ~= '' then fields[n + 1], fields[n + 2], n = 'k', o[6], n + 2 end
  if o[7] and o[7] ~= '' then fields[n + 1], fields[n + 2], n = 'et', o[7], n + 2 end
  if o[8] and o[8] ~= '' then fields[n + 1], fields[n + 2], n = 'co', o[8], n + 2 end
  if mr then fields[n + 1], fields[n + 2] = 'mr', mr end
  redis.call(unpack(fields))
  -- The user's first object is its head, neither leased nor waiting: ready at once. A user
  -- with no objects is in no zset (place removes it when its list empties).
  if redis.call('RPUSH', user_key(user), id) == 1 then
    redis.call('ZADD', HEADS, id, user)
    redis.call('ZADD', READY, id, user)
  end
  return id
end

local function count_objects(n)
  if n ~= 0 then redis.call('HINCRBY', COUNTS, 'objects', n) end
end

-- A dead letter: d = {message id, user, endpoint, array, options, object, position, merge key, attempts}.
local function bury(d, payload, reason, status, now)
  local id = redis.call('HINCRBY', SEQ, 'd', 1)
  local key = dead_key(id)
  redis.call('HSET', key, 'm', d[1], 'u', d[2], 'e', d[3], 'a', d[4], 'ob', d[6], 'p', d[7], 'at', d[9], 'r', reason, 'f', now)
  if d[5] and d[5] ~= '' then redis.call('HSET', key, 'op', d[5]) end
  if d[8] and d[8] ~= '' then redis.call('HSET', key, 'k', d[8]) end
  if status and status ~= '' then redis.call('HSET', key, 's', status) end
  if payload then redis.call('HSET', key, 'pl', payload) end
  redis.call('ZADD', DEAD, id, id)
end

-- Removes a leased object from the queue (acked or dead-lettered); its user is placed by the caller.
local function remove_object(id, user, mr)
  redis.call('LREM', user_key(user), 1, id)
  redis.call('DEL', object_key(id))
  let_go_of_message(mr)
  redis.call('HINCRBY', COUNTS, 'objects', -1)
  redis.call('HINCRBY', COUNTS, 'leased', -1)
end

-- Gives back, in place, what the lease still holds, and forgets the lease; how many objects.
local function end_lease(lease, now)
  local items = redis.call('HGET', lease_key(lease), 'i')
  local back, users = 0, {}
  for _, id in ipairs(split(items or '')) do
    local f = redis.call('HMGET', object_key(id), 'l', 'u')
    if f[1] == lease then
      redis.call('HDEL', object_key(id), 'l')
      back = back + 1
    end
    if f[2] then users[f[2]] = true end
  end
  if back > 0 then redis.call('HINCRBY', COUNTS, 'leased', -back) end
  redis.call('DEL', lease_key(lease))
  redis.call('ZREM', LEASES, lease)
  for user in pairs(users) do place(user, now) end
  return back
end

local function sweep(now, max)
  local back = 0
  for _, lease in ipairs(redis.call('ZRANGEBYSCORE', LEASES, '-inf', now, 'LIMIT', 0, max)) do back = back + end_lease(lease, now) end
  return back
end

-- The lease while it is its owner's: not expired (swept or not), settled or unknown.
local function held(lease, owner, now)
  local f = redis.call('HMGET', lease_key(lease), 'o', 'x')
  return f[1] == owner and tonumber(f[2]) > now
end

-- Kept records, the most recent KEPT of each kind (`dry` dry-run requests, `dropped` dropped
-- messages): an entry `<n>-0` of the stream P <kind> per record, n its record number (SEQ's
-- <kind> counter); P <kind>:codes counts the kept records by their `c` field, for listings.
local KEPT = 10000
local function codes_key(kind) return P .. kind .. ':codes' end

local function field_of(fields, name)
  for i = 1, #fields, 2 do
    if fields[i] == name then return fields[i + 1] end
  end
end

-- Forgets one record, an entry as XRANGE returns it; 1 when it was there.
local function forget_record(kind, entry)
  local code = field_of(entry[2], 'c')
  if code and redis.call('HINCRBY', codes_key(kind), code, -1) <= 0 then redis.call('HDEL', codes_key(kind), code) end
  return redis.call('XDEL', P .. kind, entry[1])
end

-- Keeps a record (fields: name, value, ...) and forgets what falls past KEPT; its record number.
local function keep_record(kind, fields)
  local key = P .. kind
  local n = redis.call('HINCRBY', SEQ, kind, 1)
  redis.call('XADD', key, n .. '-0', unpack(fields))
  local code = field_of(fields, 'c')
  if code then redis.call('HINCRBY', codes_key(kind), code, 1) end
  local excess = redis.call('XLEN', key) - KEPT
  if excess > 0 then
    for _, entry in ipairs(redis.call('XRANGE', key, '-', '+', 'COUNT', excess)) do forget_record(kind, entry) end
  end
  return n
end

-- A message the mapping made nothing of (m: as commit.lua reads it), kept with why.
local function keep_dropped(m, now)
  local fields = { 'm', m.id, 'u', m.u, 'c', m.d, 't', now }
  if m.p then
    fields[#fields + 1] = 'pl'
    fields[#fields + 1] = m.p
  end
  keep_record('dropped', fields)
end

local function call_with(head, ids, tail)
  local args = {}
  for _, a in ipairs(head) do args[#args + 1] = a end
  for _, id in ipairs(ids) do args[#args + 1] = id end
  if tail then args[#args + 1] = tail end
  return redis.call(unpack(args))
end

-- Nil when the consumer's entries may be committed now, else why not (see Uncommitted in
-- work-queue.port.ts). The work queue appends each user's objects in commit order, so the
-- entries must commit in stream (acceptance) order: a batch waits while an older entry is
-- pending to another consumer. That holder commits it next unless it is dead; then the entry
-- ages past the claim time (a live reader's entries never do: reading and every `behind`
-- answer reset their idle time) and whoever is behind claims it and reads again. The oldest
-- pending entry's holder is never behind, so some batch always commits: no deadlock; and an
-- entry is only claimed from a reader that has not touched it for the claim time, so live
-- readers never take entries from each other back and forth: no livelock.
local function turn_of(pos)
  local ids = pos.ids
  if #ids == 0 then return nil end
  local mine = redis.call('XPENDING', INBOX, EXPAND, ids[1], ids[#ids], #ids + 1, pos.c)
  if #mine ~= #ids then return 'reread' end
  for i, e in ipairs(mine) do
    if e[1] ~= ids[i] then return 'reread' end
  end
  local older = redis.call('XPENDING', INBOX, EXPAND, '-', '(' .. ids[1], 100)
  if #older == 0 then return nil end
  local stale = {}
  for _, e in ipairs(older) do
    -- Its own older entry outside the batch: the batch is not what it should have read.
    if e[2] == pos.c then return 'reread' end
    if e[3] >= pos.claim then stale[#stale + 1] = e[1] end
  end
  if #stale > 0 then
    call_with({ 'XCLAIM', INBOX, EXPAND, pos.c, pos.claim }, stale, 'JUSTID')
    return 'reread'
  end
  call_with({ 'XCLAIM', INBOX, EXPAND, pos.c, 0 }, ids, 'JUSTID')
  return 'behind'
end
