-- ARGV: prefix, now, sent at. A request sent at `sent at` succeeded: 1 when delivery resumes,
-- 0 when it was not paused or the pause began after the request went out (its success
-- says nothing of the key now).
local sent = tonumber(ARGV[3])
local since = redis.call('HGET', PAUSE, 's')
if not since or sent < tonumber(since) then return 0 end
redis.call('DEL', PAUSE, PROBE)
return 1
