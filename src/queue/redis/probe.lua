-- ARGV: prefix, now, endpoint, period. While the endpoint is paused, one instance per period
-- sends its probe: 1 when this one holds it now, until now + period. The expiry only tidies;
-- the clock decides.
local now, endpoint, period = tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])
local key = probe_key(endpoint)
if tonumber(redis.call('GET', key) or '0') > now then return 0 end
redis.call('SET', key, now + period, 'PX', 2 * period + 60000)
return 1
