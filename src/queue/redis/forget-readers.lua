-- ARGV: prefix, silence (ms). Forgets the inbox's readers (consumers of the group `expand`)
-- that hold no entry and have been silent for `silence`: instances gone for good, each an
-- entry of the group forever otherwise. In one script, so that none of them reads between
-- the look and the forgetting (a reader forgotten with entries would strand them); a live
-- reader forgotten all the same is made again by its next read. How many were forgotten.
local silence = tonumber(ARGV[2])
local consumers = redis.pcall('XINFO', 'CONSUMERS', INBOX, EXPAND)
if consumers.err then return 0 end
local forgotten = 0
for _, c in ipairs(consumers) do
  local f = {}
  for i = 1, #c, 2 do f[c[i]] = c[i + 1] end
  if f.pending == 0 and f.idle >= silence then
    redis.call('XGROUP', 'DELCONSUMER', INBOX, EXPAND, f.name)
    forgotten = forgotten + 1
  end
end
return forgotten
