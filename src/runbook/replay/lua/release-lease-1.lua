--[[
  Gives up a lease, only for the owner that holds it: a run whose lease
  expired must not delete the lease of the run that took over. Used for a
  batch's execution lease and for the planning lease of a replay series.

  Input:
    KEYS[1] lease key (<statePrefix>:journal:<batchId>:lease, <statePrefix>:series:…:planning)

    ARGV[1] owner token

  Output:
    1 released
    0 not held by this owner (nothing changed)
]]
if redis.call("GET", KEYS[1]) == ARGV[1] then
  redis.call("DEL", KEYS[1])
  return 1
end
return 0
