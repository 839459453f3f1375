--[[
  Close an executing batch as done or failed, with a short summary for the
  thread ("5 of 5 replayed"). Audited either way, with the claiming worker as
  the actor.

  Input:
    KEYS[1] batch record (hash)   <prefix>:batch:<id>
    KEYS[2] audit stream          <prefix>:audit
    KEYS[3] unsettled batches (set of ids approved but not finished)  <prefix>:batches:unsettled

    ARGV[1] batch id (for the audit entry)
    ARGV[2] outcome: 'done' or 'failed'
    ARGV[3] summary text
    ARGV[4] now, epoch ms
    ARGV[5] audit stream MAXLEN (approximate trim)

  Output: { code, state }, '' where there is no value
    { 'finished', <outcome> }
    { 'not-executing', <state> }    nothing changed
    { 'not-found', '' }
  Errors: a malformed outcome, or a record without a state.
]]
local batchKey, auditKey, unsettledKey = KEYS[1], KEYS[2], KEYS[3]
local batchId, outcome, summary, now, maxLen = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]

if outcome ~= 'done' and outcome ~= 'failed' then
  return redis.error_reply('ERR stuckjobs finish: outcome must be done or failed')
end

local f = redis.call('HMGET', batchKey, 'state', 'claimedBy')
local state, actor = f[1], f[2] or ''

local function audit(result, from, to, detail)
  redis.call('XADD', auditKey, 'MAXLEN', '~', maxLen, '*',
    'at', now, 'batch', batchId, 'action', 'finish', 'actor', actor,
    'result', result, 'from', from, 'to', to, 'detail', detail)
end

if not state then
  if redis.call('EXISTS', batchKey) == 1 then
    return redis.error_reply('ERR stuckjobs finish: batch record ' .. batchKey .. ' has no state')
  end
  audit('not-found', '', '', outcome)
  return { 'not-found', '' }
end

if state ~= 'executing' then
  audit('not-executing', state, state, outcome)
  return { 'not-executing', state }
end

redis.call('HSET', batchKey, 'state', outcome, 'finishedAt', now, 'summary', summary)
redis.call('SREM', unsettledKey, batchId)
audit('finished', 'executing', outcome, summary)
return { 'finished', outcome }
