/**
 * Every Slack id the bot owns. Builders, handlers, tests and manifest.yml use
 * these constants; test/manifest.test.ts checks the manifest agrees.
 */
export const COMMAND = '/stuckjobs' as const;

export const BlockId = {
  diagnosisHeader: 'diagnosis_header',
  diagnosisSummary: 'diagnosis_summary',
  upstream: 'diagnosis_upstream',
  census: 'diagnosis_census',
  context: 'diagnosis_context',
  /** One per workflow: `diagnosis_workflow_<id>` and `diagnosis_verdict_<id>`. */
  workflowPrefix: 'diagnosis_workflow_',
  verdictPrefix: 'diagnosis_verdict_',
  truncationNote: 'truncation_note',
  usage: 'usage',
  usageNote: 'usage_note',
  error: 'error',
} as const;
