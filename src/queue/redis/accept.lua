-- ARGV: prefix, header (JSON), body, messages. Appends an accepted request to the inbox and
-- counts its messages as waiting, in one step. Never trimmed by length: an entry leaves the
-- stream only when the work made of it commits (commit.lua).
redis.call('HINCRBY', COUNTS, 'inbox', tonumber(ARGV[4]))
return redis.call('XADD', INBOX, '*', 'h', ARGV[2], 'b', ARGV[3])
