-- ARGV: prefix, now, replays (JSON: {{d = dead letter id, o = objects, or false for the object as stored}}).
-- Each goes back at its user's end; one another replay or purge took meanwhile is left alone. How many were replayed.
local now = tonumber(ARGV[2])
local replayed, put = 0, 0
for _, r in ipairs(cjson.decode(ARGV[3])) do
  local key = dead_key(r.d)
  local f = redis.call('HMGET', key, 'm', 'u', 'e', 'a', 'op', 'ob', 'p', 'k', 'pl')
  if f[1] then
    local objects = r.o or { { f[3], f[4], f[5] or '', f[6], f[7], f[8] or '' } }
    -- A message with no object left would never be let go of.
    local mr = f[9] and #objects > 0 and put_message(f[9], #objects) or nil
    for _, o in ipairs(objects) do put_object(f[1], f[2], o, mr, now) end
    put = put + #objects
    redis.call('DEL', key)
    redis.call('ZREM', DEAD, r.d)
    replayed = replayed + 1
  end
end
count_objects(put)
return replayed
