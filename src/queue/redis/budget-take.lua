-- ARGV: prefix, now, family, low water (a fraction of the limit), longest wait. The wait
-- before one request of the family, whose share of the window's budget is taken at once:
-- every instance's requests count down one `remaining` between Braze's answers.
local now, family, low, cap = tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local key = budget_key(family)
local f = redis.call('HMGET', key, 'l', 'r', 'x', 'b')
local limit, remaining, reset, blocked = tonumber(f[1]), tonumber(f[2]), tonumber(f[3]), tonumber(f[4] or '0')
if blocked > now then return math.min(blocked - now, cap) end
-- No window known, or it is over: nothing to pace by until an answer tells.
if not (limit and remaining and reset) or reset <= now then return 0 end
if remaining <= 0 then return math.min(reset - now, cap) end
redis.call('HSET', key, 'r', remaining - 1)
if remaining > limit * low then return 0 end
-- The last of the budget, spread over what is left of the window.
return math.min(math.ceil((reset - now) / remaining), cap)
