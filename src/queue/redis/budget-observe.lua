-- ARGV: prefix, now, family, limit, remaining, reset (epoch ms). What one answer's
-- X-RateLimit-* headers said. A later reset opens a new window: Braze's word stands. In the
-- same window Braze's count only lowers ours, since ours also holds the requests sent
-- since (in flight, not yet counted by Braze); an earlier window's answer is stale.
local family, limit, remaining, reset = ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local key = budget_key(family)
local f = redis.call('HMGET', key, 'r', 'x')
local ours, window = tonumber(f[1]), tonumber(f[2])
if not window or reset > window then
  redis.call('HSET', key, 'l', limit, 'r', remaining, 'x', reset)
elseif reset == window then
  redis.call('HSET', key, 'l', limit)
  if not ours or remaining < ours then redis.call('HSET', key, 'r', remaining) end
end
return 0
