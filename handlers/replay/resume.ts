import type { webApi } from '@slack/bolt';
import type { Logger } from '../../src/logger';
import { outcomeSummary } from '../../src/runbook/replay/run-approved-batch';
import type { HandlerServices } from '../../src/services';
import { tellThread } from '../tell';
import { DEFAULT_LEASE_MS } from '../../src/runbook/replay/executor';
import { runApproved, skippedLines } from './run-batch';

export interface ResumeReport {
  readonly finished: number;
  readonly busy: number;
  readonly failed: number;
  /** Approved just before a crash and run now. */
  readonly approvedRun: number;
  /** Approved but left unsettled by a crash, and closed now (the thread is told why). */
  readonly closed: number;
}

/** What a recovery pass reads and runs (the sweep's too, see recovery-sweep.ts). */
export type RecoveryServices = Pick<
  HandlerServices,
  'resumeUnfinished' | 'strandedApprovals' | 'batchMessages'
> &
  Parameters<typeof runApproved>[0];

/**
 * One recovery pass at a time per bot: the sweep's and a click's (after a
 * failed run) queue behind each other instead of racing for the same batches
 * in one process. Keyed by the services' own recovery function, which a
 * handler's view of the services (a spread with overrides) shares; two
 * services in one process (tests standing in for two replicas) stay apart.
 */
const passTails = new WeakMap<RecoveryServices['resumeUnfinished'], Promise<void>>();

/** Resolves once every recovery pass of these services started so far has ended. */
export function recoveryPassesSettled(services: Pick<RecoveryServices, 'resumeUnfinished'>): Promise<void> {
  return passTails.get(services.resumeUnfinished) ?? Promise.resolve();
}

/**
 * Crash safety, the Slack half: after a restart, finish every half-done batch
 * and say so in its thread (issue 4, item 8). Returns how many are still busy
 * (leased by a run that may be alive) so the caller can try again later.
 * Starts after any pass of the same services still running (see passTails).
 */
export function resumeAndReport(
  services: RecoveryServices,
  client: webApi.WebClient,
  logger: Logger,
): Promise<ResumeReport> {
  const key = services.resumeUnfinished;
  const pass = recoveryPassesSettled(services).then(() => recoverAndReport(services, client, logger));
  const tail = pass.then(
    () => undefined,
    () => undefined,
  );
  passTails.set(key, tail);
  void tail.then(() => {
    if (passTails.get(key) === tail) passTails.delete(key);
  });
  return pass;
}

async function recoverAndReport(
  services: RecoveryServices,
  client: webApi.WebClient,
  logger: Logger,
): Promise<ResumeReport> {
  const results = await services.resumeUnfinished();
  const report = { finished: 0, busy: 0, failed: 0, approvedRun: 0, closed: 0 };
  for (const result of results) {
    // Finished elsewhere since the list was read: the run that finished it reports it.
    if (result.status === 'settled') continue;
    report[result.status] += 1;
    if (result.status === 'busy') continue;
    const where = await services.batchMessages.find(result.batch.id);
    if (!where) {
      logger.warn(
        { batchId: result.batch.id, status: result.status },
        'resumed batch has no thread to report in',
      );
      continue;
    }
    await settle(logger, result.batch.id, () =>
      tellThread(client, logger.child({ batchId: result.batch.id }), where, {
        tone: result.status === 'finished' ? 'done' : 'refused',
        message:
          result.status === 'finished'
            ? `Batch ${result.batch.id} was interrupted by a restart and has now finished: ${outcomeSummary(result.outcomes)}. No job was moved twice (journal). It is not verified yet: \`/stuckjobs verify <workflow>\` checks it before a larger batch.`
            : `Batch ${result.batch.id} was interrupted by a restart and could not be finished yet (${result.error.message}); the bot tries again on its next recovery pass.`,
        details: result.status === 'finished' ? skippedLines(result.outcomes) : [],
      }),
    );
  }
  await resumeStrandedApprovals(services, client, logger, report);
  return report;
}

async function resumeStrandedApprovals(
  services: RecoveryServices,
  client: webApi.WebClient,
  logger: Logger,
  report: { approvedRun: number; closed: number; busy: number },
): Promise<void> {
  const stranded = await services.strandedApprovals();
  report.busy += stranded.busy;
  for (const record of stranded.toRun) {
    const where = await services.batchMessages.find(record.manifest.id);
    if (!where) {
      logger.error({ batchId: record.manifest.id }, 'approved batch has no thread; run it from a new plan');
      continue;
    }
    report.approvedRun += 1;
    await settle(logger, record.manifest.id, () =>
      runApproved(services, {
        client,
        where,
        record,
        approvedBy: record.decidedBy ?? 'unknown',
        approvedAt: record.decidedAt ?? Date.now(),
        // Its verification watches for minutes: outside this pass, which holds the single-flight lock.
        verifyInBackground: true,
      }),
    );
  }
  for (const { record, line } of stranded.closed) {
    report.closed += 1;
    const where = await services.batchMessages.find(record.manifest.id);
    if (!where) continue;
    await settle(logger, record.manifest.id, () =>
      tellThread(client, logger, where, {
        tone: 'refused',
        mention: record.manifest.requestedBy,
        message: `Batch ${record.manifest.batchNumber} of ${record.manifest.workflow} ${line}`,
      }),
    );
  }
}

/** One batch's report failing (a Slack error) must not keep the others unreported. */
async function settle(logger: Logger, batchId: string, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (err) {
    logger.error({ err, batchId }, 'could not report a recovered batch in its thread');
  }
}

/** Busy batches are retried this many times, one lease apart, then left to the next start. */
const BUSY_RETRIES = 10;

/**
 * Runs recovery now, and again one lease later while some batch is still
 * leased (a run killed a moment ago holds its lease until it expires).
 * Never throws: a failed recovery is logged and retried on the next start.
 */
export function startRecovery(
  services: RecoveryServices,
  client: webApi.WebClient,
  logger: Logger,
  retryMs: number = DEFAULT_LEASE_MS + 1_000,
  firstRunInMs = 0,
): { stop(): void; readonly done: Promise<void> } {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let attempt = 0;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const run = async (): Promise<void> => {
    let busy = 0;
    try {
      const report = await resumeAndReport(services, client, logger);
      busy = report.busy;
      if (Object.values(report).some((n) => n > 0)) logger.info(report, 'replay recovery ran');
    } catch (err) {
      logger.error({ err }, 'replay recovery failed; it runs again on the next start');
    }
    attempt += 1;
    if (busy > 0 && !stopped && attempt <= BUSY_RETRIES) {
      timer = setTimeout(() => void run(), retryMs);
      timer.unref();
      return;
    }
    finish();
  };
  if (firstRunInMs > 0) {
    timer = setTimeout(() => void run(), firstRunInMs);
    timer.unref();
  } else void run();
  return {
    done,
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      finish();
    },
  };
}
