import type { webApi } from '@slack/bolt';
import type { Logger } from '../../src/logger';
import { DEFAULT_LEASE_MS } from '../../src/runbook/replay/executor';
import { recoveryPassesSettled, resumeAndReport, type RecoveryServices, type ResumeReport } from './resume';

export interface SweepOptions {
  /** From the end of one pass to the start of the next. */
  readonly everyMs: number;
  /** Up to this much more at random (default a tenth of `everyMs`), so replicas drift apart. */
  readonly jitterMs?: number;
  /** Told after every pass (tests, and a log line when there was something to do). */
  readonly onPass?: (report: ResumeReport | 'failed') => void;
  /**
   * How long `stop` waits for a pass in flight (default one lease, 30 s). A
   * pass can hang on an upstream that never answers; shutdown must not. Cut
   * off mid-batch is safe: the journal lease lapses and another pass
   * (another replica's, or the next start's) finishes the batch.
   */
  readonly stopWithinMs?: number;
}

/** A pass still running at shutdown is waited for this long: about one journal lease. */
export const SWEEP_STOP_WITHIN_MS = DEFAULT_LEASE_MS;

export interface RecoverySweep {
  /**
   * Stops the next passes, and resolves once the pass in flight (this sweep's,
   * or a click's it would queue behind) has ended, or once `stopWithinMs` has
   * passed (logged): close Redis only after it. Says which came first.
   */
  stop(): Promise<'settled' | 'deadline'>;
  /** Passes completed so far. */
  readonly passes: number;
}

/**
 * Recovery in every running bot, not only at start: with two replicas on one
 * Redis, the survivor of a crash was already running when the other died, so
 * only a periodic look finds the dead run's batch once its lease lapses
 * (issue 8, two replicas). The first pass runs now (a restart's own recovery).
 * Passes never overlap in one process: the sweep waits for its own pass before
 * scheduling the next, and resumeAndReport queues a click's recovery (after a
 * failed run) behind a sweep's and the other way round. Across replicas the
 * journal lease and the approval claim decide who runs what, so sweeping
 * everywhere runs each batch once. An idle pass is three reads of two small
 * sets (test/replicas/idle-sweep.test.ts); a batch running elsewhere adds one
 * look at its lease (test/replicas/busy-sweep-cost.test.ts). Never throws.
 */
export function startRecoverySweep(
  services: RecoveryServices,
  client: webApi.WebClient,
  logger: Logger,
  options: SweepOptions,
): RecoverySweep {
  const jitterMs = options.jitterMs ?? Math.floor(options.everyMs / 10);
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let passes = 0;
  let current: Promise<void> | undefined;
  const start = (): void => {
    current = pass();
  };
  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(start, options.everyMs + Math.floor(Math.random() * (jitterMs + 1)));
    // A pending pass alone must not keep a stopping process alive.
    timer.unref();
  };
  const pass = async (): Promise<void> => {
    let outcome: ResumeReport | 'failed';
    try {
      outcome = await resumeAndReport(services, client, logger);
      // A batch running on the other replica shows as busy on every pass: worth a line only at debug.
      const { busy, ...acted } = outcome;
      if (Object.values(acted).some((n) => n > 0)) logger.info(outcome, 'replay recovery pass');
      else if (busy > 0) logger.debug(outcome, 'replay recovery pass: batches running elsewhere');
    } catch (err) {
      outcome = 'failed';
      logger.error({ err }, 'replay recovery pass failed; the next pass tries again');
    }
    passes += 1;
    try {
      options.onPass?.(outcome);
    } catch (err) {
      logger.warn({ err }, 'recovery pass listener failed');
    }
    schedule();
  };
  start();
  const stopWithinMs = options.stopWithinMs ?? SWEEP_STOP_WITHIN_MS;
  return {
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      const settled = (async () => {
        await current;
        await recoveryPassesSettled(services);
        return 'settled' as const;
      })();
      let deadline: NodeJS.Timeout | undefined;
      const cutOff = new Promise<'deadline'>((resolve) => {
        deadline = setTimeout(() => resolve('deadline'), stopWithinMs);
        deadline.unref();
      });
      const first = await Promise.race([settled, cutOff]);
      clearTimeout(deadline);
      if (first === 'deadline') {
        logger.warn(
          { waitedMs: stopWithinMs },
          'recovery pass still running at shutdown; stopping without it: its batch lease lapses and the next pass finishes it',
        );
      }
      return first;
    },
    get passes() {
      return passes;
    },
  };
}
