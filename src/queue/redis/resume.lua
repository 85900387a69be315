-- ARGV: prefix, now, endpoint, sent at. A request to the endpoint sent at `sent at` succeeded:
-- 1 when the endpoint resumes, 0 when it was not paused or the pause began after the request
-- went out (its success says nothing of the key now).
local endpoint, sent = ARGV[3], tonumber(ARGV[4])
local since = redis.call('HGET', PAUSED, 's:' .. endpoint)
if not since or sent < tonumber(since) then return 0 end
redis.call('HDEL', PAUSED, 's:' .. endpoint, 'r:' .. endpoint)
redis.call('DEL', probe_key(endpoint))
return 1
