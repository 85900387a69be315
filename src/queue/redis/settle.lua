-- ARGV: prefix, now, lease id, owner, settlement (JSON: {a = {id}, r = {{id, not before}}, h = {{id, not before}},
-- d = {{id, reason, status or ''}}}; h: held back, deferred without an attempt counted).
-- 1 when settled; 0 (nothing applied) when the lease is no longer its owner's.
local now, lease, owner = tonumber(ARGV[2]), ARGV[3], ARGV[4]
if not held(lease, owner, now) then return 0 end
local s = cjson.decode(ARGV[5])
local users = {}
-- The object's fields while this lease holds it; nil for an id the lease does not hold.
local function mine(id)
  local f = redis.call('HMGET', object_key(id), 'l', 'u', 'mr')
  if f[1] ~= lease then return nil end
  users[f[2]] = true
  return f
end
for _, id in ipairs(s.a) do
  local f = mine(id)
  if f then remove_object(id, f[2], f[3] or nil) end
end
for _, r in ipairs(s.r) do
  local f = mine(r[1])
  if f then
    local key = object_key(r[1])
    redis.call('HINCRBY', key, 'at', 1)
    redis.call('HSET', key, 'nb', r[2])
    redis.call('HDEL', key, 'l')
    redis.call('HINCRBY', COUNTS, 'leased', -1)
  end
end
for _, h in ipairs(s.h or {}) do
  if mine(h[1]) then
    local key = object_key(h[1])
    redis.call('HSET', key, 'nb', h[2])
    redis.call('HDEL', key, 'l')
    redis.call('HINCRBY', COUNTS, 'leased', -1)
  end
end
for _, d in ipairs(s.d) do
  local f = mine(d[1])
  if f then
    local o = redis.call('HMGET', object_key(d[1]), 'm', 'u', 'e', 'a', 'op', 'ob', 'p', 'k', 'at')
    o[9] = tonumber(o[9] or '0') + 1
    bury(o, payload_of(f[3] or nil), d[2], d[3], now)
    remove_object(d[1], f[2], f[3] or nil)
  end
end
end_lease(lease, now)
for user in pairs(users) do place(user, now) end
return 1
