--[[
  Lists a batch journal as running, in one atomic step: the meta fields
  (HSETNX each, so a second begin keeps what the first wrote) and the
  unfinished index. Gated on the state read in the same step: a finish that
  landed since the caller's own read (another replica's run) keeps the
  journal done and off the index, where a separate read and write would put
  a finished batch back on the index for every sweep to find.

  Input:
    KEYS[1] journal meta hash      <statePrefix>:journal:<batchId>:meta
    KEYS[2] unfinished index set   <statePrefix>:journals:unfinished

    ARGV[1] the batch (canonical JSON)
    ARGV[2] createdAt (epoch ms)
    ARGV[3] batch id

  Output:
    1   this call created the meta
    0   it existed (running, or done: then nothing is written)
    -1  the meta holds another batch under this id (nothing written)
]]
local existing = redis.call("HGET", KEYS[1], "batch")
if existing and existing ~= ARGV[1] then
  return -1
end
if redis.call("HGET", KEYS[1], "state") == "done" then
  return 0
end
redis.call("HSETNX", KEYS[1], "batch", ARGV[1])
local created = redis.call("HSETNX", KEYS[1], "state", "running")
redis.call("HSETNX", KEYS[1], "createdAt", ARGV[2])
redis.call("SADD", KEYS[2], ARGV[3])
return created
