/**
 * What the CLI's exit status says, for scripts and for `&&` at a terminal.
 *
 * - 0 healthy: every verdict is ok, the sample is clean, the dry run was planned, or nothing to do.
 * - 1 needs action: a verdict is warning or critical, a sample is blocked, a dry run was refused.
 * - 2 error: bad usage (including a replay without `--dry-run`), bad configuration, Redis unreachable.
 */
export const ExitCode = {
  Healthy: 0,
  NeedsAction: 1,
  Error: 2,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
