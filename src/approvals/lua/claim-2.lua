--[[
  Move an approved batch to `executing` for one worker, exactly once: the
  second claim (a double click, a second replica, a retried delivery) gets
  'already-claimed' and must not replay anything. Audited either way.

  Input:
    KEYS[1] batch record (hash)   <prefix>:batch:<id>
    KEYS[2] audit stream          <prefix>:audit

    ARGV[1] batch id (for the audit entry)
    ARGV[2] worker id (who executes: bot instance / process)
    ARGV[3] now, epoch ms
    ARGV[4] audit stream MAXLEN (approximate trim)

  Output: { code, state, claimedBy }, '' where there is no value
    { 'claimed', 'executing', <worker> }              the caller executes the batch
    { 'already-claimed', <state>, <holder> }          executing, done or failed
    { 'not-approved', <state>, '' }                   pending, denied or expired
    { 'dry-run', 'approved', '' }                     a dry run never executes
    { 'not-found', '', '' }
]]
local batchKey, auditKey = KEYS[1], KEYS[2]
local batchId, workerId, now, maxLen = ARGV[1], ARGV[2], ARGV[3], ARGV[4]

local function audit(result, from, to)
  redis.call('XADD', auditKey, 'MAXLEN', '~', maxLen, '*',
    'at', now, 'batch', batchId, 'action', 'claim', 'actor', workerId,
    'result', result, 'from', from, 'to', to, 'detail', '')
end

local f = redis.call('HMGET', batchKey, 'state', 'dryRun', 'claimedBy')
local state = f[1]
if not state then
  if redis.call('EXISTS', batchKey) == 1 then
    return redis.error_reply('ERR stuckjobs claim: batch record ' .. batchKey .. ' has no state')
  end
  audit('not-found', '', '')
  return { 'not-found', '', '' }
end

if state == 'executing' or state == 'done' or state == 'failed' then
  audit('already-claimed', state, state)
  return { 'already-claimed', state, f[3] or '' }
end

if state ~= 'approved' then
  audit('not-approved', state, state)
  return { 'not-approved', state, '' }
end

-- Fail closed: only an explicit '0' is a real run.
if f[2] ~= '0' then
  audit('dry-run', state, state)
  return { 'dry-run', state, '' }
end

redis.call('HSET', batchKey, 'state', 'executing', 'claimedBy', workerId, 'claimedAt', now)
audit('claimed', 'approved', 'executing')
return { 'claimed', 'executing', workerId }
