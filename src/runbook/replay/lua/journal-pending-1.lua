--[[
  Marks jobs `pending` in a batch journal, keeping every entry already there
  (HSETNX each): creating a journal twice (a retried start, recovery) loses no
  status. One call per slice of a batch, so none holds Redis long.

  Input:
    KEYS[1] journal entries hash  <statePrefix>:journal:<batchId>

    ARGV[1] the pending entry (JSON)
    ARGV[2..] job ids

  Output: how many entries were created
]]
local created = 0
for i = 2, #ARGV do
  created = created + redis.call("HSETNX", KEYS[1], ARGV[i], ARGV[1])
end
return created
