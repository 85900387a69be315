-- ARGV: prefix, now (epoch ms), ttl (ms), then per user: the user key, how many attributes,
-- and for each: name, fingerprint, event time ('-' when the message had none).
-- One hash per user (P .. 'attrs:' .. user): field = attribute, value = 'fingerprint eventTime writtenAt'.
-- An entry is replaced unless the remembered one has a later event time; the key lives ttl
-- past its last write, and recall ignores fields written longer than ttl ago.
local now, ttl = ARGV[2], tonumber(ARGV[3])
local i = 4
while i <= #ARGV do
  local key, n = P .. 'attrs:' .. ARGV[i], tonumber(ARGV[i + 1])
  i = i + 2
  for _ = 1, n do
    local name, fingerprint, event_time = ARGV[i], ARGV[i + 1], ARGV[i + 2]
    i = i + 3
    local keep = false
    if event_time ~= '-' then
      local before = redis.call('HGET', key, name)
      if before then
        local remembered = string.match(before, '^%S+ (%S+)')
        keep = remembered ~= '-' and tonumber(remembered) > tonumber(event_time)
      end
    end
    if not keep then redis.call('HSET', key, name, fingerprint .. ' ' .. event_time .. ' ' .. now) end
  end
  redis.call('PEXPIRE', key, ttl)
end
return 0
