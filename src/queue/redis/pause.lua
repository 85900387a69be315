-- ARGV: prefix, now, endpoint, reason. Braze refused the key for the endpoint: it pauses on
-- every instance. 1 when this call paused it; a pause already on keeps its start, with the
-- latest reason.
local now, endpoint, reason = tonumber(ARGV[2]), ARGV[3], ARGV[4]
local first = redis.call('HSETNX', PAUSED, 's:' .. endpoint, now)
redis.call('HSET', PAUSED, 'r:' .. endpoint, reason)
return first
