-- ARGV: prefix, now, limit, per-user cap (at most limit), one request per user ('1'/'0'), ttl, owner.
-- Returns {lease id, expires at, {id, message id, user, endpoint, array, options, object, position, attempts, merge key, event time, changes only}...}.
local now, limit, cap, one_request, ttl, owner = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5] == '1', tonumber(ARGV[6]), ARGV[7]
-- Expired leases' objects go back first: a dead owner's work is taken over without waiting for a sweep.
sweep(now, 100)
for _, user in ipairs(redis.call('ZRANGEBYSCORE', LATER, '-inf', now, 'LIMIT', 0, 1000)) do place(user, now) end

-- Each ready user's run (its eligible prefix) offers candidates; the lease takes the `limit`
-- smallest ids among them, as a scan of the whole queue in id order would. `chosen` holds the
-- smallest so far, sorted; users come by head id and a run's ids only grow, so reading stops
-- at the first id above the `limit`-th chosen one.
local chosen = {}
local function full() return #chosen >= limit end
local function above_cut(id) return full() and id >= chosen[limit][1] end
local function admit(entry)
  local i = #chosen
  while i >= 1 and chosen[i][1] > entry[1] do i = i - 1 end
  table.insert(chosen, i + 1, entry)
  if #chosen > limit then table.remove(chosen) end
end
local offset, done = 0, false
while not done do
  local page = redis.call('ZRANGE', READY, offset, offset + 99, 'WITHSCORES')
  if #page == 0 then break end
  for i = 1, #page, 2 do
    local user = page[i]
    if above_cut(tonumber(page[i + 1])) then done = true; break end
    local first
    for _, id in ipairs(redis.call('LRANGE', user_key(user), 0, cap - 1)) do
      if above_cut(tonumber(id)) then break end
      local f = redis.call('HMGET', object_key(id), 'l', 'nb', 'e', 'op')
      if f[1] or tonumber(f[2] or '0') > now then break end
      if one_request then
        local request = f[3] .. ' ' .. (f[4] or '')
        first = first or request
        if request ~= first then break end
      end
      -- The id as stored, besides its number: a Lua number would print as 1e+15 past 14 digits.
      admit({ tonumber(id), user, id })
    end
  end
  offset = offset + 100
end
if #chosen == 0 then return { '', 0 } end

local lease = tostring(redis.call('HINCRBY', SEQ, 'l', 1))
local expires = now + ttl
local out, ids = { lease, expires }, {}
for i = 1, #chosen do
  local user, id = chosen[i][2], chosen[i][3]
  local key = object_key(id)
  redis.call('HSET', key, 'l', lease)
  redis.call('ZREM', READY, user)
  ids[#ids + 1] = id
  local f = redis.call('HMGET', key, 'm', 'u', 'e', 'a', 'op', 'ob', 'p', 'at', 'k', 'et', 'co')
  out[#out + 1] = { id, f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10], f[11] }
end
redis.call('HSET', lease_key(lease), 'o', owner, 'x', expires, 'i', table.concat(ids, ','))
redis.call('ZADD', LEASES, expires, lease)
redis.call('HINCRBY', COUNTS, 'leased', #ids)
return out
