-- ARGV: prefix, now, dedup window (ms), inbox position ('' for none; JSON {c = consumer,
-- ids = its entry ids in stream order, n = their messages, claim = ms}), then the batch as
-- flat arguments (nothing to decode: payloads arrive as Lua strings): messages M, refusals R,
-- objects in all; M times id, generated ('1' or ''), user, payload ('' for none), drop code,
-- its objects' count n, then n times an object's eight fields (put_object); R times id, user,
-- index, payload ('' for none), reason.
-- Nothing can fail after the first write: the batch was serialized and checked by the caller,
-- and whether it is the batch's turn is decided before anything is written.
local now, window, position = tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]

local inbox = position ~= '' and cjson.decode(position) or nil
if inbox then
  local why = turn_of(inbox)
  if why then return { why } end
end
local at = 5
local function next_arg()
  at = at + 1
  return ARGV[at - 1]
end
local function optional(v) return v ~= '' and v or false end
local accepted, duplicates, created, dropped = 0, 0, 0, {}
local messages, refusals, objects_in = tonumber(next_arg()), tonumber(next_arg()), tonumber(next_arg())
local object_number, message_number = numbers('o', objects_in), numbers('m', messages)
for _ = 1, messages do
  local m = { id = next_arg(), g = next_arg() == '1', u = next_arg(), p = optional(next_arg()), d = next_arg() }
  local n = tonumber(next_arg())
  local objects = {}
  for k = 1, n do objects[k] = { next_arg(), next_arg(), next_arg(), next_arg(), next_arg(), next_arg(), next_arg(), next_arg() } end
  local new = true
  if not m.g then
    local seen = redis.call('ZSCORE', DEDUP, m.id)
    if seen and tonumber(seen) >= now - window then new = false else redis.call('ZADD', DEDUP, now, m.id) end
  end
  if not new then
    duplicates = duplicates + 1
  else
    accepted = accepted + 1
    if n == 0 then
      dropped[#dropped + 1] = m.d
      keep_dropped(m, now)
    else
      local mr = m.p and put_message(m.p, n, message_number()) or nil
      for _, o in ipairs(objects) do put_object(m.id, m.u, o, mr, now, object_number()) end
      created = created + n
    end
  end
end
count_objects(created)
for _ = 1, refusals do
  local id, user, index, payload, reason = next_arg(), next_arg(), next_arg(), optional(next_arg()), next_arg()
  bury({ id, user, 'unmapped', '-', '', '{}', index, '', 0 }, payload, reason, '', now)
end
if inbox and #inbox.ids > 0 then
  call_with({ 'XACK', INBOX, EXPAND }, inbox.ids)
  call_with({ 'XDEL', INBOX }, inbox.ids)
  redis.call('HINCRBY', COUNTS, 'inbox', -inbox.n)
end
return { accepted, duplicates, created, dropped }
