-- ARGV: prefix, now, endpoint, body (JSON). Keeps a request a dry-run service built instead of sending it; its record number.
return keep_record('dry', { 'e', ARGV[3], 'b', ARGV[4], 't', ARGV[2] })
