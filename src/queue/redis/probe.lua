-- ARGV: prefix, now, period. While paused, one instance per period sends the probe: 1 when
-- this one holds it now, until now + period. The expiry only tidies; the clock decides.
local now, period = tonumber(ARGV[2]), tonumber(ARGV[3])
if tonumber(redis.call('GET', PROBE) or '0') > now then return 0 end
redis.call('SET', PROBE, now + period, 'PX', 2 * period + 60000)
return 1
