import { startRecoverySweep } from '../../handlers/replay/recovery-sweep';
import { resumeAndReport, startRecovery } from '../../handlers/replay/resume';
import { createBatchManifest, manifestHash } from '../../src/approvals/batch-manifest';
import type { ApprovalRecord } from '../../src/approvals/approval-types';
import type { Logger } from '../../src/logger';
import type { ReconcileResult } from '../../src/runbook/replay/reconcile';
import type { RunApprovedResult } from '../../src/runbook/replay/run-approved-batch';
import type { StrandedApprovals } from '../../src/runbook/replay/stranded-approvals';
import type { Verification } from '../../src/runbook/verify/types';
import { manifestInput } from '../approvals/fixtures';
import { capturingLogger } from '../helpers/capturing-logger';
import { eventually } from '../helpers/eventually';
import { idleServices, type SweepClient, type SweepServices } from './sweep-stubs';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Posted {
  readonly method: 'postMessage' | 'update';
  readonly text: string;
}

/** chat.postMessage and chat.update, answered at once and recorded. */
function recordingClient(): { client: SweepClient; posted: Posted[] } {
  const posted: Posted[] = [];
  let ts = 100;
  const client = {
    chat: {
      postMessage: (args: { text?: string }) => {
        posted.push({ method: 'postMessage', text: args.text ?? '' });
        return Promise.resolve({ ok: true, ts: `${(ts += 1)}.000` });
      },
      update: (args: { text?: string }) => {
        posted.push({ method: 'update', text: args.text ?? '' });
        return Promise.resolve({ ok: true });
      },
    },
  };
  return { client: client as unknown as SweepClient, posted };
}

function approvedRecord(): ApprovalRecord {
  const manifest = createBatchManifest(manifestInput());
  return {
    manifest,
    manifestHash: manifestHash(manifest),
    state: 'approved',
    decision: 'approve',
    decidedBy: 'U-APP',
    decidedAt: Date.now(),
  };
}

interface World {
  readonly services: SweepServices;
  /** Resolves the verification the run started; until then it is "watching". */
  readonly finishVerification: (outcome: Verification | undefined | Error) => void;
  readonly verificationStarted: () => boolean;
}

/**
 * What a recovery pass touches when it runs one stranded approved batch: no
 * journal to resume, one approval to run, the run's result given, and a
 * verification that watches until the test ends it.
 */
function strandedWorld(record: ApprovalRecord, result: RunApprovedResult, logger: Logger): World {
  let started = false;
  let finish: (outcome: Verification | undefined | Error) => void = () => undefined;
  const verified = new Promise<Verification | undefined>((resolve, reject) => {
    finish = (outcome) => (outcome instanceof Error ? reject(outcome) : resolve(outcome));
  });
  const stranded: StrandedApprovals = { toRun: [record], closed: [], busy: 0 };
  const partial = {
    logger,
    resumeUnfinished: () => Promise.resolve([]),
    strandedApprovals: () => Promise.resolve(stranded),
    batchMessages: {
      find: () => Promise.resolve({ channelId: 'C1', messageTs: '50.000', threadTs: '10.000' }),
    },
    runApprovedBatch: () => Promise.resolve(result),
    verifyBatch: () => {
      started = true;
      return verified;
    },
    audit: () => Promise.resolve(),
  };
  return {
    services: partial as unknown as SweepServices,
    finishVerification: (outcome) => finish(outcome),
    verificationStarted: () => started,
  };
}

describe('a recovery pass that runs a stranded approved batch', () => {
  it('ends once the replay is reported, leaving its verification running outside the pass', async () => {
    const record = approvedRecord();
    const { logger } = capturingLogger();
    const world = strandedWorld(
      record,
      { kind: 'executed', record, outcomes: [{ jobId: '101', status: 'replayed' }] },
      logger,
    );
    const { client, posted } = recordingClient();

    const pass = resumeAndReport(world.services, client, logger);
    await eventually(() => Promise.resolve(world.verificationStarted() || undefined));
    const first = await Promise.race([pass.then(() => 'pass ended'), sleep(2_000).then(() => 'pass waits')]);

    expect(first).toBe('pass ended');
    expect((await pass).approvedRun).toBe(1);
    expect(posted.filter((p) => p.text.includes('Batch 1 of webhooks ran: 1 of 1 replayed'))).toHaveLength(1);
    world.finishVerification(undefined);
  });

  it('logs a verification that fails after the pass, instead of leaving its rejection unhandled', async () => {
    const record = approvedRecord();
    const { logger, lines } = capturingLogger();
    const world = strandedWorld(
      record,
      { kind: 'executed', record, outcomes: [{ jobId: '101', status: 'replayed' }] },
      logger,
    );
    const { client } = recordingClient();

    await resumeAndReport(world.services, client, logger);
    await eventually(() => Promise.resolve(world.verificationStarted() || undefined));
    world.finishVerification(new Error('queue Redis went away'));

    const failed = await eventually(() =>
      Promise.resolve(lines.find((l) => l.msg === 'verification after a recovered run failed')),
    );
    expect(failed).toMatchObject({ batchId: record.manifest.id });
  });

  it('tells the thread what a run did when a recovery pass had closed its batch as failed meanwhile', async () => {
    const record = approvedRecord();
    const { logger } = capturingLogger();
    const world = strandedWorld(
      record,
      {
        kind: 'ran-after-close',
        closedAs: 'failed',
        run: { kind: 'executed', record, outcomes: [{ jobId: '101', status: 'replayed' }] },
      },
      logger,
    );
    const { client, posted } = recordingClient();

    await resumeAndReport(world.services, client, logger);

    const notes = posted.filter((p) => p.method === 'postMessage' && p.text.includes('ran after all'));
    expect(notes.map((n) => n.text)).toEqual([
      expect.stringContaining('1 of 1 replayed. A recovery pass had closed it as failed'),
    ]);
    await eventually(() => Promise.resolve(world.verificationStarted() || undefined));
    world.finishVerification(undefined);
  });

  it('stays quiet in the thread when another closed the batch as done, and says nothing ran when it was closed first', async () => {
    const record = approvedRecord();
    const { logger } = capturingLogger();
    const run = { kind: 'executed', record, outcomes: [{ jobId: '101', status: 'replayed' }] } as const;
    const closedDone = strandedWorld(
      record,
      { kind: 'closed-elsewhere', run, finish: { code: 'not-executing', state: 'done' } },
      logger,
    );
    const closedFirst = strandedWorld(
      record,
      { kind: 'closed-before-run', record, closedAs: 'failed' },
      logger,
    );
    const done = recordingClient();
    const first = recordingClient();

    await resumeAndReport(closedDone.services, done.client, logger);
    await resumeAndReport(closedFirst.services, first.client, logger);

    expect(done.posted.filter((p) => p.method === 'postMessage' && p.text.includes('Batch 1'))).toEqual([]);
    expect(first.posted.filter((p) => p.method === 'postMessage')).toEqual([]);
    expect(first.posted.map((p) => p.text)).toEqual([expect.stringContaining('nothing was replayed')]);
    expect(closedFirst.verificationStarted()).toBe(false);
    closedDone.finishVerification(undefined);
  });
});

describe('stopping the recovery sweep', () => {
  it('gives up on a pass that never ends once its deadline passes, and logs it', async () => {
    const { logger, lines } = capturingLogger();
    // A pass stuck on an upstream that never answers.
    const sweep = startRecoverySweep(
      idleServices(() => new Promise<ReconcileResult[]>(() => undefined)),
      {} as SweepClient,
      logger,
      { everyMs: 1_000, jitterMs: 0, stopWithinMs: 50 },
    );

    const stopped = await sweep.stop();

    expect(stopped).toBe('deadline');
    expect(lines.filter((l) => l.msg.startsWith('recovery pass still running at shutdown'))).toEqual([
      expect.objectContaining({ waitedMs: 50 }),
    ]);
  });

  it('says it settled, and logs nothing, when the pass in flight ends before the deadline', async () => {
    const { logger, lines } = capturingLogger();
    const sweep = startRecoverySweep(
      idleServices(async () => {
        await sleep(30);
        return [];
      }),
      {} as SweepClient,
      logger,
      { everyMs: 1_000, jitterMs: 0, stopWithinMs: 5_000 },
    );

    expect(await sweep.stop()).toBe('settled');
    expect(lines.filter((l) => l.msg.startsWith('recovery pass still running'))).toEqual([]);
  });
});

describe('a batch finished elsewhere since the list was read', () => {
  it('is neither counted busy nor retried', async () => {
    const record = approvedRecord();
    let calls = 0;
    const services = idleServices(() => {
      calls += 1;
      const batch = { id: record.manifest.id, queuePrefix: 'bull', queue: 'webhook-delivery', jobs: [] };
      return Promise.resolve([{ batch, status: 'settled' }]);
    });

    const report = await resumeAndReport(services, {} as SweepClient, capturingLogger().logger);
    await startRecovery(services, {} as SweepClient, capturingLogger().logger, 5).done;

    expect(report).toEqual({ finished: 0, busy: 0, failed: 0, approvedRun: 0, closed: 0 });
    // One pass each: a busy batch would have been retried up to ten times.
    expect(calls).toBe(2);
  });
});
