import { WORKFLOW_IDS } from '../workflows';

/** `stuckjobs help`: usage, and what the exit status means (src/cli/exit-codes.ts). */
export function helpText(workflowIds: readonly string[] = WORKFLOW_IDS): string {
  return `stuckjobs: the "Replay stuck jobs" runbook from a terminal, read-only.
The same engine and configuration (environment, STUCKJOBS_CONFIG) as the Slack bot.

Usage:
  stuckjobs diagnose [workflow…]
      queues, upstream probes and the key census, one verdict per workflow
  stuckjobs sample <workflow> [n] [--state failed|delayed|waiting] [--tenant ID] [--reason TEXT] [--handler NAME]
      up to 10 jobs (default 3) with their payload, target and handler checks, payloads redacted
  stuckjobs replay <workflow> --dry-run [--tenant ID] [--reason TEXT] [--handler NAME] [--batch N] [--exclude tenant=ID]
      what a replay batch would contain: job ids and the ladder; nothing moves
  stuckjobs audit [n]
      the newest n entries of the audit stream (default 20, at most 50)
  stuckjobs help

Options:
  --json       one JSON document on stdout instead of tables (errors too: {"exitCode":2,"error":…})
  -h, --help   this text

Workflows: ${workflowIds.join(', ')}.
The syntax is the Slack command's: \`stuckjobs sample webhooks 5 --tenant t-1\` here is
\`/stuckjobs sample webhooks 5 --tenant t-1\` there.

Real replays need a second approver, so they happen only in Slack; the CLI never moves,
locks or rewrites a job. Samples and dry runs are recorded like the bot's (replay gate,
dry-run manifest, audit) under the bot's state prefix, in a scope of their own ("cli").

Exit status:
  0  healthy: every verdict is ok, the sample is clean, the dry run was planned, or nothing to do
  1  needs action: a verdict is warning or critical, a sample is blocked, a dry run was refused
  2  error: bad usage (a replay without --dry-run too), bad configuration, Redis unreachable

Colour only on a terminal, and never with NO_COLOR set. The engine's log lines go to stderr
only when LOG_LEVEL is set.
`;
}
