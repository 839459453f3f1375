--[[
  Reads what the replay check needs of a chunk's jobs, in one call; writes
  nothing. The caller hashes each payload with SHA-256 (which Redis's Lua
  lacks) against the manifest, and passes its SHA-1 to the chunk script
  (replay-chunk-9.lua), which compares it with the bytes it is about to move:
  the payload check holds atomically with the move.

  Input:
    KEYS[1] failed key     <prefix>:<queue>:failed (names the queue; not read)

    ARGV[1] job key prefix <prefix>:<queue>:
    ARGV[2..] job ids

  Output: per job, 5 values in a row (nil when absent):
    data, opts, finishedOn, atm, attemptsMade
]]
local rcall = redis.call
local out = {}
for i = 2, #ARGV do
  local f = rcall("HMGET", ARGV[1] .. ARGV[i], "data", "opts", "finishedOn", "atm", "attemptsMade")
  local n = #out
  for k = 1, 5 do out[n + k] = f[k] end
end
return out
