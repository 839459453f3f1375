import { DEFAULT_LEASE_MS } from '../../src/runbook/replay/executor';
import { eventually } from '../helpers/eventually';
import { ReplicaWorld } from './replica-world';

const SWEEP_MS = 1_000;
/** The first batch of a replay is at most 10 jobs (invariant 3); the hook below makes it slow. */
const JOBS = 10;
/** Replica A moves one job per chunk and waits this long before each journal copy. */
const STEP_DELAY_MS = 700;
/** A is killed once this many jobs have a verdict in the move ledger: mid-batch. */
const KILL_AFTER = 3;

/**
 * Issue 8, two replicas: SIGKILL the replica running a batch, mid-batch. The
 * other replica, which was already running and is not restarted, finds the
 * batch on its periodic recovery sweep once the dead run's lease lapses,
 * finishes the journal (every job moved exactly once, none lost), and reports
 * in the thread, once.
 */
describe('two replicas on one Redis: one dies mid-batch, the other finishes it', () => {
  let world: ReplicaWorld;

  beforeAll(async () => {
    world = await ReplicaWorld.start({ sweepMs: SWEEP_MS });
  }, 30_000);

  afterAll(async () => {
    await world?.close();
  }, 60_000);

  it('takes over the killed replica batch within the lease plus a sweep, moving each job exactly once', async () => {
    const [a, b] = await Promise.all([
      world.startReplica('A', { REPLICA_CHUNK_SIZE: '1', REPLICA_STEP_DELAY_MS: String(STEP_DELAY_MS) }),
      world.startReplica('B'),
    ]);
    const thread = await world.newIncident(a);
    const { tenantId, ids } = await world.givenUp(JOBS);
    const { ts, batchId } = await world.plan(a, tenantId);
    expect((await world.manifestJobs(batchId)).sort()).toEqual([...ids].sort());

    await world.approve(ts, a.eventsUrl);
    // A holds the journal's lease (owner tokens are host:pid:tag) and has moved some jobs, not all.
    const settledAtKill = await eventually(
      async () => {
        const meta = await world.journalMeta(batchId);
        const ledger = await world.ledger(batchId);
        return meta.owner?.includes(`:${a.pid}:`) && ledger.size >= KILL_AFTER ? ledger.size : undefined;
      },
      30_000,
      10,
    );
    await a.kill();
    const killedAt = Date.now();
    const ledgerAfterKill = (await world.ledger(batchId)).size;
    expect(ledgerAfterKill).toBeGreaterThanOrEqual(settledAtKill);
    expect(ledgerAfterKill).toBeLessThan(JOBS);
    expect(await world.journalMeta(batchId)).toEqual(expect.objectContaining({ state: 'running' }));

    // B was started before the kill and is never restarted: only its sweep can finish the batch.
    await world.waitForState(batchId, 'done', DEFAULT_LEASE_MS + 10 * SWEEP_MS + 15_000);
    const takeoverMs = Date.now() - killedAt;
    const meta = await world.journalMeta(batchId);
    expect(meta.state).toBe('done');
    expect(meta.owner).toContain(`:${b.pid}:`);
    expect(() => process.kill(b.pid, 0)).not.toThrow();

    // Several more passes of B: nothing runs or reports a second time.
    await new Promise((resolve) => setTimeout(resolve, 4 * SWEEP_MS));
    const counts = await world.moveCounts(batchId);
    const figures = ReplicaWorld.figures(ids, counts);
    expect(Object.values(await world.journal(batchId)).map((entry) => entry.status)).toEqual(
      Array.from({ length: JOBS }, () => 'replayed'),
    );
    expect(figures).toEqual({ jobs: JOBS, movedOnce: JOBS, duplicates: 0, lost: 0 });
    for (const id of ids) {
      expect(counts.waiting.get(id)).toBe(1);
      expect(counts.ledger.get(id)).toBe('moved');
    }
    const replies = world.doneReplies(thread);
    expect(replies).toHaveLength(1);
    expect(replies[0]).toContain(`Batch ${batchId} was interrupted`);
    expect(replies[0]).toContain(`${JOBS} of ${JOBS} replayed`);
    const audit = await world.audit(batchId);
    expect(audit.filter(([action]) => action === 'claim')).toHaveLength(1);
    expect(audit.filter(([action]) => action === 'finish')).toHaveLength(1);

    console.log(
      `replica takeover figures: ${JSON.stringify({
        ...figures,
        movedByAAtKill: ledgerAfterKill,
        takeoverMs,
        leaseMs: DEFAULT_LEASE_MS,
        sweepMs: SWEEP_MS,
      })}`,
    );
  }, 150_000);
});
