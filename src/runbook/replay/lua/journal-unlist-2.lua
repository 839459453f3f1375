--[[
  Takes a batch off the unfinished index when its journal is done or gone
  (left there by a begin that raced a finish before begin was one script, or
  a meta that expired). A meta without `batch` counts as gone: begin writes
  `batch` and `state` together, so such a meta is a stray field (an older
  claim wrote `owner` onto an expired meta) that no sweep can run. Checked and
  removed in one step: a begin listing the batch again in between cannot be
  undone by a stale read.

  Input:
    KEYS[1] journal meta hash      <statePrefix>:journal:<batchId>:meta
    KEYS[2] unfinished index set   <statePrefix>:journals:unfinished

    ARGV[1] batch id

  Output: 1 when removed, else 0
]]
if redis.call("HEXISTS", KEYS[1], "batch") == 1 and redis.call("HGET", KEYS[1], "state") ~= "done" then
  return 0
end
return redis.call("SREM", KEYS[2], ARGV[1])
