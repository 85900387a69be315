-- ARGV: prefix, now, lease id, owner, ttl. 1 when extended, 0 when the lease is no longer its owner's.
local now, lease, owner, ttl = tonumber(ARGV[2]), ARGV[3], ARGV[4], tonumber(ARGV[5])
if not held(lease, owner, now) then return 0 end
redis.call('HSET', lease_key(lease), 'x', now + ttl)
redis.call('ZADD', LEASES, now + ttl, lease)
return 1
