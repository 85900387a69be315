-- ARGV: prefix, inbox position (JSON, as commit.lua reads it). Whether a batch answered
-- `behind` may commit now, without sending the batch again: nil (its turn), or why not, as
-- commit.lua answers it (turn_of also keeps a waiting reader's entries its own).
local why = turn_of(cjson.decode(ARGV[2]))
return why or 'turn'
