import type { webApi } from '@slack/bolt';
import { noticeMessage } from '../../blocks/notice';
import type { Logger } from '../../src/logger';
import { outcomeSummary } from '../../src/runbook/replay/run-approved-batch';
import type { HandlerServices } from '../../src/services';
import { postChecked } from '../post-message';
import { DEFAULT_LEASE_MS } from '../../src/runbook/replay/executor';
import { skippedLines } from './run-batch';

export interface ResumeReport {
  readonly finished: number;
  readonly busy: number;
  readonly failed: number;
}

/**
 * Crash safety, the Slack half: after a restart, finish every half-done batch
 * and say so in its thread (issue 4, item 8). Returns how many are still busy
 * (leased by a run that may be alive) so the caller can try again later.
 */
export async function resumeAndReport(
  services: Pick<HandlerServices, 'resumeUnfinished' | 'batchMessages'>,
  client: webApi.WebClient,
  logger: Logger,
): Promise<ResumeReport> {
  const results = await services.resumeUnfinished();
  const report = { finished: 0, busy: 0, failed: 0 };
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
  return report;
}

/** Busy batches are retried this many times, one lease apart, then left to the next start. */
const BUSY_RETRIES = 10;

/**
 * Runs recovery now, and again one lease later while some batch is still
 * leased (a run killed a moment ago holds its lease until it expires).
 * Never throws: a failed recovery is logged and retried on the next start.
 */
export function startRecovery(
  services: Pick<HandlerServices, 'resumeUnfinished' | 'batchMessages'>,
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
      if (report.finished + report.failed + report.busy > 0) logger.info(report, 'replay recovery ran');
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
