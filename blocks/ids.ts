/**
 * Every Slack id the bot owns. Builders, handlers, tests and manifest.yml use
 * these constants; test/manifest.test.ts checks the manifest agrees.
 */
export const COMMAND = '/stuckjobs' as const;

/** Buttons. Action ids are unique within their block, so one id serves every workflow's button. */
export const ActionId = {
  showSamples: 'show_samples',
  fullPayload: 'sample_full_payload',
  /** On a diagnosis: plan the canary batch of a workflow's given-up jobs. */
  planReplay: 'replay_plan',
  /** DESIGN.md contracts: the approval buttons; handlers and manifest.yml match on these exact strings. */
  replayApprove: 'replay_approve',
  replayDeny: 'replay_deny',
} as const;

export const BlockId = {
  diagnosisHeader: 'diagnosis_header',
  diagnosisSummary: 'diagnosis_summary',
  upstream: 'diagnosis_upstream',
  census: 'diagnosis_census',
  context: 'diagnosis_context',
  /** One per workflow: `diagnosis_workflow_<id>` and `diagnosis_verdict_<id>`. */
  workflowPrefix: 'diagnosis_workflow_',
  verdictPrefix: 'diagnosis_verdict_',
  /** `diagnosis_actions_<id>`: the workflow's Plan replay button. */
  actionsPrefix: 'diagnosis_actions_',
  truncationNote: 'truncation_note',
  samplesHeader: 'samples_header',
  samplesGate: 'samples_gate',
  samplesSummary: 'samples_summary',
  samplesCohorts: 'samples_cohorts',
  samplesFooter: 'samples_footer',
  /** Per job: `sample_job_<id>`, `sample_checks_<id>`, `sample_payload_<id>`. */
  sampleJobPrefix: 'sample_job_',
  sampleChecksPrefix: 'sample_checks_',
  samplePayloadPrefix: 'sample_payload_',
  usage: 'usage',
  usageNote: 'usage_note',
  notice: 'notice',
  error: 'error',
  approvalHeader: 'approval_header',
  approvalDryRun: 'approval_dry_run',
  approvalSummary: 'approval_summary',
  approvalJobs: 'approval_jobs',
  approvalActions: 'approval_actions',
  approvalOutcome: 'approval_outcome',
  auditEntries: 'audit_entries',
  auditNote: 'audit_note',
  verificationHeader: 'verification_header',
  verificationResult: 'verification_result',
  verificationParts: 'verification_parts',
  verificationContext: 'verification_context',
  oplogHeader: 'oplog_header',
  oplogNote: 'oplog_note',
  /** Under the note: the Getting help line, a cut warning, the "check before pasting" reminder. */
  oplogFooter: 'oplog_footer',
  summaryHeader: 'summary_header',
  /** Opened, first failure, ended. */
  summaryOverview: 'summary_overview',
  summaryCounts: 'summary_counts',
  summaryBatches: 'summary_batches',
  summaryTimeline: 'summary_timeline',
  summaryLink: 'summary_link',
} as const;
