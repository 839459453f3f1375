--[[
  Store a new batch manifest as `pending`, unless a batch with that id exists.
  Audited either way (invariant 7).

  Input:
    KEYS[1] batch record (hash)   <prefix>:batch:<id>
    KEYS[2] audit stream          <prefix>:audit

    ARGV[1]  batch id
    ARGV[2]  manifest JSON (validated by the caller; stored as is, never parsed here)
    ARGV[3]  manifest hash (lowercase SHA-256 hex): what an approval must present
    ARGV[4]  requester's Slack user id
    ARGV[5]  createdAt, epoch ms
    ARGV[6]  expiresAt, epoch ms
    ARGV[7]  dry run: '1' or '0'
    ARGV[8]  now, epoch ms (audit time)
    ARGV[9]  retention of the record, ms (PEXPIRE)
    ARGV[10] audit stream MAXLEN (approximate trim)
    ARGV[11] audit detail text
    ARGV[12] incident session id: ties the batch's audit trail to its incident

  Output:
    { 'created' }  stored, state pending
    { 'exists' }   a batch with this id exists; nothing changed
]]
local batchKey, auditKey = KEYS[1], KEYS[2]

local function audit(result, from, to)
  redis.call('XADD', auditKey, 'MAXLEN', '~', ARGV[10], '*',
    'at', ARGV[8], 'batch', ARGV[1], 'action', 'create', 'actor', ARGV[4],
    'result', result, 'from', from, 'to', to, 'detail', ARGV[11], 'session', ARGV[12] or '')
end

if redis.call('EXISTS', batchKey) == 1 then
  local state = redis.call('HGET', batchKey, 'state') or ''
  audit('exists', state, state)
  return { 'exists' }
end

redis.call('HSET', batchKey,
  'manifest', ARGV[2], 'hash', ARGV[3], 'state', 'pending', 'requestedBy', ARGV[4],
  'createdAt', ARGV[5], 'expiresAt', ARGV[6], 'dryRun', ARGV[7])
redis.call('PEXPIRE', batchKey, ARGV[9])
audit('created', '', 'pending')
return { 'created' }
