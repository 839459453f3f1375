--[[
  Approve or deny a pending batch. Every approval rule is checked here, in one
  atomic step, so double clicks, two approvers at once, two bot replicas and
  Slack's retried deliveries decide a batch exactly once (invariant 2).
  Every attempt, refused or not, is appended to the audit stream (invariant 7).

  Checks, in this order (the first that fails is the result):
    1. the batch exists                                  else 'not-found'
    2. its state is pending                              else 'not-pending'
    3. it is not a dry run (nothing to approve: its hash covers the flag,
       and a forged click with the right hash still decides nothing)   else 'dry-run'
    4. now < expiresAt        else the state becomes expired, 'expired'
    5. the clicker is not the requester                  else 'self-approval'
    6. the caller found the clicker an allowed approver  else 'not-an-approver'
    7. the presented hash equals the stored hash         else 'hash-mismatch'
       (a changed plan is never approved by an old click: Atlantis #1508)
    8. approve only: the caller found the workflow's preconditions hold now
                                                         else 'precondition-failed'
       (the batch stays pending: the upstream may recover before it expires)
  The same rules apply to deny, with one exception: the requester may deny
  (withdraw) their own batch, which never replays anything. Anyone else
  closing a batch must be an allowed approver, and only the one they were shown.

  Input:
    KEYS[1] batch record (hash)   <prefix>:batch:<id>
    KEYS[2] audit stream          <prefix>:audit
    KEYS[3] unsettled batches (set of ids approved but not finished)  <prefix>:batches:unsettled
            so a bot that dies between approval and the end finds the batch at start

    ARGV[1] batch id (for the audit entry)
    ARGV[2] decision: 'approve' or 'deny'
    ARGV[3] clicker's Slack user id
    ARGV[4] clicker is an allowed approver: '1' or '0'
    ARGV[5] manifest hash the clicked button carried
    ARGV[6] now, epoch ms
    ARGV[7] audit stream MAXLEN (approximate trim)
    ARGV[8] why the preconditions fail now, '' when they hold (approve only)

  Output: { code, state, decidedBy, decidedAt }, '' where there is no value
    { 'approved' | 'denied', <new state>, <clicker>, <now> }   decided
    { 'not-pending', <state>, <decidedBy>, <decidedAt> }       nothing changed
    { 'expired', 'expired', '', '' }                           state became expired
    { <other refusal>, 'pending', '', '' }                     nothing changed
    { 'not-found', '', '', '' }
  Errors: a malformed decision, or a record missing its fields (fail closed).
]]
local batchKey, auditKey, unsettledKey = KEYS[1], KEYS[2], KEYS[3]
local batchId, decision, userId, userAllowed = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local presented, now, maxLen, precondition = ARGV[5], ARGV[6], ARGV[7], ARGV[8] or ''

if decision ~= 'approve' and decision ~= 'deny' then
  return redis.error_reply('ERR stuckjobs decide: decision must be approve or deny')
end

local function audit(result, from, to, detail)
  redis.call('XADD', auditKey, 'MAXLEN', '~', maxLen, '*',
    'at', now, 'batch', batchId, 'action', decision, 'actor', userId,
    'result', result, 'from', from, 'to', to, 'detail', detail or '')
end

local f = redis.call('HMGET', batchKey, 'state', 'requestedBy', 'expiresAt', 'hash', 'decidedBy', 'decidedAt', 'dryRun')
local state = f[1]
if not state then
  if redis.call('EXISTS', batchKey) == 1 then
    return redis.error_reply('ERR stuckjobs decide: batch record ' .. batchKey .. ' has no state')
  end
  audit('not-found', '', '')
  return { 'not-found', '', '', '' }
end

if state ~= 'pending' then
  audit('not-pending', state, state)
  return { 'not-pending', state, f[5] or '', f[6] or '' }
end

if f[7] == '1' then
  audit('dry-run', state, state)
  return { 'dry-run', state, '', '' }
end

local requestedBy, expiresAt, storedHash = f[2], tonumber(f[3]), f[4]
if not requestedBy or not expiresAt or not storedHash then
  return redis.error_reply('ERR stuckjobs decide: batch record ' .. batchKey .. ' is incomplete')
end

if tonumber(now) >= expiresAt then
  redis.call('HSET', batchKey, 'state', 'expired')
  audit('expired', 'pending', 'expired')
  return { 'expired', 'expired', '', '' }
end

local withdrawing = userId == requestedBy and decision == 'deny'
if userId == requestedBy and not withdrawing then
  audit('self-approval', state, state)
  return { 'self-approval', state, '', '' }
end

if userAllowed ~= '1' and not withdrawing then
  audit('not-an-approver', state, state)
  return { 'not-an-approver', state, '', '' }
end

if presented ~= storedHash then
  audit('hash-mismatch', state, state, 'presented ' .. presented)
  return { 'hash-mismatch', state, '', '' }
end

if decision == 'approve' and precondition ~= '' then
  audit('precondition-failed', state, state, precondition)
  return { 'precondition-failed', state, '', '' }
end

local to = 'denied'
if decision == 'approve' then to = 'approved' end
redis.call('HSET', batchKey, 'state', to, 'decision', decision, 'decidedBy', userId, 'decidedAt', now)
if to == 'approved' then redis.call('SADD', unsettledKey, batchId) end
audit(to, 'pending', to)
return { to, to, userId, now }
