-- ARGV: prefix, dead letter ids (comma-separated), or '*' for all. How many were purged.
local ids = ARGV[2] == '*' and redis.call('ZRANGE', DEAD, 0, -1) or split(ARGV[2])
local purged = 0
for _, id in ipairs(ids) do
  if redis.call('ZREM', DEAD, id) == 1 then
    redis.call('DEL', dead_key(id))
    purged = purged + 1
  end
end
return purged
