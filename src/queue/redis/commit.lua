-- ARGV: prefix, now, dedup window (ms), inbox position ('' for none; JSON {c = consumer,
-- ids = its entry ids in stream order, n = their messages, claim = ms}), batch (JSON:
-- {m = {{id, g = generated, u, p = payload or false, o = objects, d = drop code}}, r = refusals}).
-- Nothing can fail after the first write: the batch was serialized and checked by the caller,
-- and whether it is the batch's turn is decided before anything is written.
local now, window, position = tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local batch = cjson.decode(ARGV[5])

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

local inbox = position ~= '' and cjson.decode(position) or nil
if inbox then
  local why = turn_of(inbox)
  if why then return { why } end
end
local accepted, duplicates, created, dropped = 0, 0, 0, {}
for _, m in ipairs(batch.m) do
  local new = true
  if not m.g then
    local seen = redis.call('ZSCORE', DEDUP, m.id)
    if seen and tonumber(seen) >= now - window then new = false else redis.call('ZADD', DEDUP, now, m.id) end
  end
  if not new then
    duplicates = duplicates + 1
  else
    accepted = accepted + 1
    if #m.o == 0 then
      dropped[#dropped + 1] = m.d
      keep_dropped(m, now)
    else
      local mr = m.p and put_message(m.p, #m.o) or nil
      for _, o in ipairs(m.o) do put_object(m.id, m.u, o, mr, now) end
      created = created + #m.o
    end
  end
end
for _, r in ipairs(batch.r) do
  bury({ r.id, r.u, 'unmapped', '-', '', '{}', r.i, '', 0 }, r.p, r.reason, '', now)
end
if inbox and #inbox.ids > 0 then
  call_with({ 'XACK', INBOX, EXPAND }, inbox.ids)
  call_with({ 'XDEL', INBOX }, inbox.ids)
  redis.call('HINCRBY', COUNTS, 'inbox', -inbox.n)
end
return { accepted, duplicates, created, dropped }
