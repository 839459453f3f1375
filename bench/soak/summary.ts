import { FAULT_KINDS, type FaultKind } from './incident-spec';
import type { IncidentResult } from './run-incident';

/** Every incident's result folded into the run's figures, and the verdict on them. */

export interface FaultTally {
  readonly injected: number;
  /** Refusals this fault owed (a double click owes three). */
  readonly refusalsExpected: number;
  readonly refusalsHappened: number;
}

export interface SoakSummary {
  readonly incidentsRun: number;
  /** Incidents whose every step completed. */
  readonly incidentsCompleted: number;
  /** Incidents a step of which never got its answer (first few listed in `problems`). */
  readonly incidentsStalled: number;
  readonly batchesCreated: number;
  readonly batchesApproved: number;
  readonly jobsReplayed: number;
  /** `waiting` (prev `failed`) events: equals jobsReplayed when nothing is lost or doubled. */
  readonly jobsMoved: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly movedUnapproved: number;
  readonly neverReplayDisturbed: number;
  readonly undelivered: number;
  readonly refusalsExpected: number;
  readonly refusalsHappened: number;
  readonly faults: Readonly<Record<FaultKind, FaultTally>>;
  readonly faultsInjected: number;
  readonly secondBatches: { readonly drawn: number; readonly run: number; readonly skipped: number };
  readonly givenUpSeeded: number;
  readonly neverReplaySeeded: number;
  readonly incidentMs: { readonly p50: number; readonly p95: number; readonly max: number };
  /** Total wall time per kind of step over the run, ms. */
  readonly stepMs: Readonly<Record<string, number>>;
  /** Up to 20 lines: missed refusals, stalls, lost or duplicated jobs, with the incident. */
  readonly problems: readonly string[];
  /** Nothing lost, nothing duplicated or moved unapproved, every refusal happened, no stall. */
  readonly ok: boolean;
}

const percentile = (sorted: readonly number[], p: number): number =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

function totals(maps: readonly Readonly<Record<string, number>>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const map of maps) for (const [k, v] of Object.entries(map)) out[k] = (out[k] ?? 0) + v;
  return out;
}

export function summarise(results: readonly IncidentResult[]): SoakSummary {
  const faults = Object.fromEntries(
    FAULT_KINDS.map((kind) => [kind, { injected: 0, refusalsExpected: 0, refusalsHappened: 0 }]),
  ) as Record<FaultKind, { injected: number; refusalsExpected: number; refusalsHappened: number }>;
  const problems: string[] = [];
  const note = (line: string): void => {
    if (problems.length < 20) problems.push(line);
  };
  let lost = 0;
  let duplicated = 0;
  let movedUnapproved = 0;
  let neverReplayDisturbed = 0;
  for (const r of results) {
    const at = `incident ${r.spec.index} (${r.spec.workflow}, faults ${r.spec.faults.join('+') || 'none'})`;
    for (const kind of r.faultsInjected) faults[kind].injected++;
    for (const refusal of r.refusals) {
      faults[refusal.fault].refusalsExpected++;
      if (refusal.happened) faults[refusal.fault].refusalsHappened++;
      else note(`${at}: ${refusal.fault} not refused as ${refusal.code} (${refusal.instead ?? '?'})`);
    }
    if (r.error !== undefined) note(`${at}: stalled: ${r.error}`);
    const t = r.truth;
    lost += t.lost.length;
    duplicated += t.duplicated.length;
    movedUnapproved += t.movedUnapproved.length;
    neverReplayDisturbed += t.neverReplayDisturbed.length;
    if (t.lost.length > 0) note(`${at}: lost ${t.lost.slice(0, 5).join(', ')}`);
    if (t.duplicated.length > 0) note(`${at}: duplicated ${t.duplicated.slice(0, 5).join(', ')}`);
    if (t.movedUnapproved.length > 0)
      note(`${at}: moved unapproved ${t.movedUnapproved.slice(0, 5).join(', ')}`);
    if (t.neverReplayDisturbed.length > 0)
      note(`${at}: never-replay jobs disturbed ${t.neverReplayDisturbed.slice(0, 5).join(', ')}`);
  }
  const sum = (f: (r: IncidentResult) => number): number => results.reduce((a, r) => a + f(r), 0);
  const refusalsExpected = sum((r) => r.refusals.length);
  const refusalsHappened = sum((r) => r.refusals.filter((x) => x.happened).length);
  const stalled = results.filter((r) => r.error !== undefined).length;
  const sortedMs = results.map((r) => r.ms).sort((a, b) => a - b);
  const drawn = results.filter((r) => r.spec.second !== undefined).length;
  const skipped = results.filter((r) => r.secondSkipped !== undefined).length;
  return {
    incidentsRun: results.length,
    incidentsCompleted: results.length - stalled,
    incidentsStalled: stalled,
    batchesCreated: sum((r) => r.batchesCreated),
    batchesApproved: sum((r) => r.batchesApproved),
    jobsReplayed: sum((r) => r.truth.replayed),
    jobsMoved: sum((r) => r.truth.moves),
    lost,
    duplicated,
    movedUnapproved,
    neverReplayDisturbed,
    undelivered: sum((r) => r.truth.undelivered),
    refusalsExpected,
    refusalsHappened,
    faults,
    faultsInjected: sum((r) => r.faultsInjected.length),
    secondBatches: {
      drawn,
      run: sum((r) => (r.truth.batches.filter((b) => b.state === 'done').length > 1 ? 1 : 0)),
      skipped,
    },
    givenUpSeeded: sum((r) => r.spec.givenUp),
    neverReplaySeeded: sum((r) => r.spec.failedEarly + r.spec.retrying + r.spec.stripe4xx),
    incidentMs: {
      p50: percentile(sortedMs, 50),
      p95: percentile(sortedMs, 95),
      max: sortedMs[sortedMs.length - 1] ?? 0,
    },
    stepMs: totals(results.map((r) => r.stepMs)),
    problems,
    ok:
      lost === 0 &&
      duplicated === 0 &&
      movedUnapproved === 0 &&
      neverReplayDisturbed === 0 &&
      refusalsHappened === refusalsExpected &&
      stalled === 0,
  };
}
