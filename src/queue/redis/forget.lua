-- ARGV: prefix, kind of kept record (dry or dropped), record numbers (comma-separated) or '*' for all. How many were purged.
local kind, which = ARGV[2], ARGV[3]
if kind ~= 'dry' and kind ~= 'dropped' then return redis.error_reply('no kept records of kind ' .. kind) end
local key = P .. kind
if which == '*' then
  local n = redis.call('XLEN', key)
  redis.call('DEL', key, codes_key(kind))
  return n
end
local purged = 0
for _, n in ipairs(split(which)) do
  for _, entry in ipairs(redis.call('XRANGE', key, n .. '-0', n .. '-0')) do purged = purged + forget_record(kind, entry) end
end
return purged
