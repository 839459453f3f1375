--[[
  Replays one chunk of an approved batch's given-up jobs, atomically: checks
  each job, moves the ones still as approved exactly as BullMQ 6.7's
  `Job.retry('failed', { resetAttemptsMade: false, resetAttemptsStarted: false })`
  does (reprocessJob-9.lua), and records every verdict in the batch's move
  ledger in the same script, so the ledger says exactly what moved: a crash
  before the script moved nothing of the chunk, a crash after it finds the
  ledger written.

  Input:
    KEYS[1] failed key          <prefix>:<queue>:failed
    KEYS[2] events stream       <prefix>:<queue>:events
    KEYS[3] wait key            <prefix>:<queue>:wait
    KEYS[4] meta key            <prefix>:<queue>:meta
    KEYS[5] active key          <prefix>:<queue>:active
    KEYS[6] marker key          <prefix>:<queue>:marker
    KEYS[7] prioritized key     <prefix>:<queue>:prioritized
    KEYS[8] priority counter    <prefix>:<queue>:pc
    KEYS[9] move ledger         <statePrefix>:journal:<batchId>:moves (hash: job id -> verdict)

    ARGV[1] job key prefix      <prefix>:<queue>:  (job keys are built from it, as
                                BullMQ's own moveJobsToWait-8.lua does)
    ARGV[2] ledger TTL in seconds
    then 6 values per job, in batch order:
      id
      verdict the caller reached from its read ('' when none): recorded
        instead of a move once the job passes the checks below (so a job
        that is gone or no longer failed is reported as such first), and
        the job is not touched
      expected finishedOn       the frozen plan-time value (or the caller's read)
      expected SHA-1 of `data`  of the bytes the caller hashed against the
                                manifest; '-' when the job has no `data`
      expected atm              '' when the job has none
      push command              'LPUSH' or 'RPUSH' (opts.lifo), as Job.retry passes it

  Output: one verdict per job, in order:
    'moved' | 'gone' | 'not-failed' | 'failed-again' | the caller's verdict | 'payload-changed',
    or 'was:' .. verdict when the ledger already held one (an earlier run of the
    batch settled the job: it is never moved twice, whatever its state now).
]]
local rcall = redis.call

-- From BullMQ 6.7's includes (isQueuePausedOrMaxed, getOrSetMaxEvents,
-- moveChildBackToParentDependencies), unchanged.
local function isQueuePausedOrMaxed(queueMetaKey, activeKey)
  local queueAttributes = rcall("HMGET", queueMetaKey, "paused", "concurrency")
  if queueAttributes[1] then
    return true
  else
    if queueAttributes[2] then
      local activeCount = rcall("LLEN", activeKey)
      return activeCount >= tonumber(queueAttributes[2])
    end
  end
  return false
end

local function getOrSetMaxEvents(metaKey)
  local maxEvents = rcall("HGET", metaKey, "opts.maxLenEvents")
  if not maxEvents then
    maxEvents = 10000
    rcall("HSET", metaKey, "opts.maxLenEvents", maxEvents)
  end
  return maxEvents
end

local function moveChildBackToParentDependencies(jobKey, parentKey, prevState)
  if parentKey and rcall("EXISTS", parentKey) == 1 then
    if prevState == "failed" then
      if rcall("ZREM", parentKey .. ":unsuccessful", jobKey) == 1 or
        rcall("HDEL", parentKey .. ":failed", jobKey) == 1 then
        rcall("SADD", parentKey .. ":dependencies", jobKey)
      end
    else
      if rcall("HDEL", parentKey .. ":processed", jobKey) == 1 then
        rcall("SADD", parentKey .. ":dependencies", jobKey)
      end
    end
  end
end

local failedKey, eventsKey, waitKey, metaKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local markerKey, prioritizedKey, pcKey, ledgerKey = KEYS[6], KEYS[7], KEYS[8], KEYS[9]
local jobPrefix = ARGV[1]
local PER_JOB = 6
local count = math.floor((#ARGV - 2) / PER_JOB)

local ids = {}
for i = 1, count do ids[i] = ARGV[2 + (i - 1) * PER_JOB + 1] end
local settled = count > 0 and rcall("HMGET", ledgerKey, unpack(ids)) or {}

-- Nothing else runs inside the script: the queue's pause state and events cap
-- are the same for every job of the chunk, so they are read once.
local isPausedOrMaxed = isQueuePausedOrMaxed(metaKey, KEYS[5])
local maxEvents = nil
local anyMoved = false
local verdicts = {}
local ledger = {}

for i = 1, count do
  local base = 2 + (i - 1) * PER_JOB
  local jobId = ARGV[base + 1]
  local callerVerdict = ARGV[base + 2]
  local verdict
  if settled[i] then
    verdicts[i] = "was:" .. settled[i]
  else
    local jobKey = jobPrefix .. jobId
    local f = rcall("HMGET", jobKey, "finishedOn", "data", "atm", "priority", "parentKey")
    if not f[1] and not f[2] and rcall("EXISTS", jobKey) == 0 then
      verdict = "gone"
    elseif not rcall("ZSCORE", failedKey, jobId) then
      verdict = "not-failed"
    elseif (f[1] or "") ~= ARGV[base + 3] or (f[3] or "") ~= ARGV[base + 5] then
      verdict = "failed-again"
    elseif callerVerdict ~= "" then
      verdict = callerVerdict
    elseif (f[2] and redis.sha1hex(f[2]) or "-") ~= ARGV[base + 4] then
      verdict = "payload-changed"
    else
      -- reprocessJob-9.lua with ARGV[5] = ARGV[6] = "0": atm and ats are kept.
      rcall("ZREM", failedKey, jobId)
      rcall("HDEL", jobKey, "finishedOn", "processedOn", "failedReason")
      local priority = tonumber(f[4]) or 0
      if priority == 0 then
        rcall(ARGV[base + 6] == "RPUSH" and "RPUSH" or "LPUSH", waitKey, jobId)
      else
        local prioCounter = rcall("INCR", pcKey)
        rcall("ZADD", prioritizedKey, priority * 0x100000000 + prioCounter % 0x100000000, jobId)
      end
      moveChildBackToParentDependencies(jobKey, f[5], "failed")
      maxEvents = maxEvents or getOrSetMaxEvents(metaKey)
      rcall("XADD", eventsKey, "MAXLEN", "~", maxEvents, "*", "event", "waiting",
        "jobId", jobId, "prev", "failed")
      anyMoved = true
      verdict = "moved"
    end
    verdicts[i] = verdict
    ledger[#ledger + 1] = jobId
    ledger[#ledger + 1] = verdict
  end
end

-- reprocessJob adds the same marker (ZADD marker 0 "0") once per job: idempotent.
if anyMoved and not isPausedOrMaxed then
  rcall("ZADD", markerKey, 0, "0")
end
if #ledger > 0 then
  rcall("HSET", ledgerKey, unpack(ledger))
end
rcall("EXPIRE", ledgerKey, ARGV[2])
return verdicts
