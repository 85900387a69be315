-- ARGV: prefix, now, reason. Braze rejected the key: delivery pauses on every instance. 1
-- when this call paused it; a pause already on keeps its start, with the latest reason.
local now, reason = tonumber(ARGV[2]), ARGV[3]
local first = redis.call('HSETNX', PAUSE, 's', now)
redis.call('HSET', PAUSE, 'r', reason)
return first
