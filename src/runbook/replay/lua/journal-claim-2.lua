--[[
  Takes a batch's execution lease and, in the same step, records its owner on
  the journal's meta, but only when the meta exists: a claim on a journal
  whose meta expired (or was never written) must not create a meta holding
  only `owner`, which no sweep could parse and journal-unlist-2.lua would
  never take off the unfinished index.

  Input:
    KEYS[1] lease key           <statePrefix>:journal:<batchId>:lease
    KEYS[2] journal meta hash   <statePrefix>:journal:<batchId>:meta

    ARGV[1] owner token
    ARGV[2] lease length in ms

  Output:
    1 the lease was taken (owner recorded when the meta exists)
    0 someone holds the lease (nothing changed)
]]
if not redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2], "NX") then
  return 0
end
if redis.call("EXISTS", KEYS[2]) == 1 then
  redis.call("HSET", KEYS[2], "owner", ARGV[1])
end
return 1
