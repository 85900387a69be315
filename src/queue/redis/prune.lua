-- ARGV: prefix, oldest claim kept (ms). How many deduplication claims were forgotten.
return redis.call('ZREMRANGEBYSCORE', DEDUP, '-inf', '(' .. ARGV[2])
