-- ARGV: prefix, now. Gives expired leases' objects back in place; how many objects.
local now = tonumber(ARGV[2])
local back, total = 0, 0
repeat
  back = sweep(now, 1000)
  total = total + back
until redis.call('ZCOUNT', LEASES, '-inf', now) == 0
return total
