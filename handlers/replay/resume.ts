import type { webApi } from '@slack/bolt';
import { noticeMessage } from '../../blocks/notice';
import type { Logger } from '../../src/logger';
import { outcomeSummary } from '../../src/runbook/replay/run-approved-batch';
import type { HandlerServices } from '../../src/services';
import { postChecked } from '../post-message';
import { DEFAULT_LEASE_MS } from '../../src/runbook/replay/executor';
import { runApproved, skippedLines } from './run-batch';

export interface ResumeReport {
  readonly finished: number;
  readonly busy: number;
  readonly failed: number;
  /** Approved just before a crash and run now. */
  readonly approvedRun: number;
  /** Approved long before the restart: closed, the thread told to plan again. */
  readonly lapsed: number;
}

type RecoveryServices = Pick<HandlerServices, 'resumeUnfinished' | 'strandedApprovals' | 'batchMessages'> &
  Parameters<typeof runApproved>[0];

/**
 * Crash safety, the Slack half: after a restart, finish every half-done batch
 * and say so in its thread (issue 4, item 8). Returns how many are still busy
 * (leased by a run that may be alive) so the caller can try again later.
 */
export async function resumeAndReport(
  services: RecoveryServices,
  client: webApi.WebClient,
  logger: Logger,
): Promise<ResumeReport> {
  const results = await services.resumeUnfinished();
  const report = { finished: 0, busy: 0, failed: 0, approvedRun: 0, lapsed: 0 };
  for (const result of results) {
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
    const log = logger.child({ batchId: result.batch.id });
    const line =
      result.status === 'finished'
        ? `Batch ${result.batch.id} was interrupted by a restart and has now finished: ${outcomeSummary(result.outcomes)}. No job was moved twice (journal).`
        : `Batch ${result.batch.id} was interrupted by a restart and could not be finished yet (${result.error.message}); it is retried on the next start.`;
    await postChecked(
      client,
      log,
      { channel: where.channelId, threadTs: where.threadTs },
      noticeMessage({
        tone: result.status === 'finished' ? 'done' : 'refused',
        message: line,
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
  report: { approvedRun: number; lapsed: number },
): Promise<void> {
  const stranded = await services.strandedApprovals();
  for (const record of stranded.toRun) {
    const where = await services.batchMessages.find(record.manifest.id);
    if (!where) {
      logger.error({ batchId: record.manifest.id }, 'approved batch has no thread; run it from a new plan');
      continue;
    }
    report.approvedRun += 1;
    await runApproved(services, {
      client,
      where,
      record,
      approvedBy: record.decidedBy ?? 'unknown',
      approvedAt: record.decidedAt ?? Date.now(),
    });
  }
  for (const record of stranded.lapsed) {
    report.lapsed += 1;
    const where = await services.batchMessages.find(record.manifest.id);
    if (!where) continue;
    await postChecked(
      client,
      logger,
      { channel: where.channelId, threadTs: where.threadTs },
      noticeMessage({
        tone: 'refused',
        mention: record.manifest.requestedBy,
        message: `Batch ${record.manifest.batchNumber} of ${record.manifest.workflow} was approved, but the bot stopped before running it and came back too late to act on that approval: nothing was replayed. Plan it again with \`/stuckjobs replay ${record.manifest.workflow}\`.`,
      }),
    );
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
  void run();
  return {
    done,
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      finish();
    },
  };
}
