-- ARGV: prefix, now, dedup window (ms), inbox position ('' for none), batch (JSON:
-- {m = {{id, g = generated, u, p = payload or false, o = objects, d = drop code}}, r = refusals}).
-- Nothing can fail after the first write: the batch was serialized and checked by the caller.
local now, window, position = tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local batch = cjson.decode(ARGV[5])
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
if position ~= '' then redis.call('SET', P .. 'inbox', position) end
return { accepted, duplicates, created, dropped }
