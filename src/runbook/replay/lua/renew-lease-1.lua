--[[
  Extends a batch's execution lease, only for the owner that holds it.

  Input:
    KEYS[1] lease key (<statePrefix>:journal:<batchId>:lease)

    ARGV[1] owner token
    ARGV[2] lease length in ms

  Output:
    1 the lease was extended
    0 someone else holds it, or nobody does (it expired): the caller must stop
]]
if redis.call("GET", KEYS[1]) == ARGV[1] then
  redis.call("PEXPIRE", KEYS[1], ARGV[2])
  return 1
end
return 0
