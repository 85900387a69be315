-- ARGV: prefix, now, family, until (epoch ms). A 429: no request of the family goes out before `until`.
local family, till = ARGV[3], tonumber(ARGV[4])
local key = budget_key(family)
if till > tonumber(redis.call('HGET', key, 'b') or '0') then redis.call('HSET', key, 'b', till) end
return 0
