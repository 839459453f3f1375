import type { ProbeStatus } from '../src/probes/types';
import type { Severity } from '../src/runbook/diagnosis';

export const severityEmoji: Record<Severity, string> = {
  critical: ':red_circle:',
  warning: ':large_yellow_circle:',
  ok: ':large_green_circle:',
};

export const probeEmoji: Record<ProbeStatus, string> = {
  ok: ':white_check_mark:',
  degraded: ':warning:',
  down: ':x:',
  unknown: ':grey_question:',
};
