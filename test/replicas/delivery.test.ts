import type { Replica } from './spawn-replica';
import { ReplicaWorld, type MoveFigures } from './replica-world';

/** Short, so "no replica reports the batch a second time" is watched over several passes of each. */
const SWEEP_MS = 400;
const JOBS = 4;
const RETRY = { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' };

/**
 * Two real bot processes on one Redis (issue 8, two replicas): however the
 * approving click reaches them (one replica, the other, both at once, a
 * retried delivery to the other), the batch executes exactly once, and the
 * thread hears about it once, while both keep sweeping for unfinished work.
 */
describe('two replicas on one Redis: one approval, one execution', () => {
  let world: ReplicaWorld;
  let a: Replica;
  let b: Replica;
  const figures: Record<string, MoveFigures> = {};

  beforeAll(async () => {
    world = await ReplicaWorld.start({ sweepMs: SWEEP_MS });
    [a, b] = await Promise.all([world.startReplica('A'), world.startReplica('B')]);
  }, 120_000);

  afterAll(async () => {
    await world?.close();
    // The figures the README quotes, per delivery.
    console.log(`replica delivery figures: ${JSON.stringify(figures)}`);
  }, 60_000);

  async function approveAndCheck(
    label: string,
    deliver: (ts: string) => Promise<void>,
    planVia: () => Replica,
    runsOn?: () => Replica,
  ): Promise<void> {
    const thread = await world.newIncident(planVia());
    const { tenantId, ids } = await world.givenUp(JOBS);
    const { ts, batchId } = await world.plan(planVia(), tenantId);

    expect((await world.manifestJobs(batchId)).sort()).toEqual([...ids].sort());

    await deliver(ts);
    await world.waitForState(batchId, 'done');
    // Then several sweep passes of both replicas: none may run or report it again.
    await new Promise((resolve) => setTimeout(resolve, 4 * SWEEP_MS));

    const counts = await world.moveCounts(batchId);
    const result = ReplicaWorld.figures(ids, counts);
    figures[label] = result;
    expect(result).toEqual({ jobs: JOBS, movedOnce: JOBS, duplicates: 0, lost: 0 });
    for (const id of ids) {
      expect(counts.waiting.get(id)).toBe(1);
      expect(counts.ledger.get(id)).toBe('moved');
    }
    expect(await world.journalMeta(batchId)).toEqual(expect.objectContaining({ state: 'done' }));
    const audit = await world.audit(batchId);
    const decided = (action: string, outcome: string) =>
      audit.filter(([a, , o]) => a === action && o === outcome).map(([, actor]) => actor);
    const claimedBy = decided('claim', 'claimed');
    const replies = await eventuallyReplies(thread);
    // One picture, so a failure shows every part at once.
    expect({
      approved: decided('approve', 'approved').length,
      claimed: claimedBy.length,
      finishes: audit.filter(([action]) => action === 'finish'),
      summary: await world.batchSummary(batchId),
      replies,
    }).toEqual({
      approved: 1,
      // A second claim attempt (a sweep finding the batch approved a moment before) is refused.
      claimed: 1,
      finishes: [['finish', claimedBy[0], 'finished']],
      summary: `${JOBS} of ${JOBS} replayed`,
      replies: [expect.stringContaining(`${JOBS} of ${JOBS} replayed`)],
    });
    // Owner tokens are host:pid:tag: the click really reached the replica it was sent to.
    if (runsOn) expect(claimedBy[0]).toContain(`:${runsOn().pid}:`);
  }

  /** The one done reply is posted right after the state turns done. */
  async function eventuallyReplies(thread: string): Promise<string[]> {
    const deadline = Date.now() + 10_000;
    while (world.doneReplies(thread).length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return world.doneReplies(thread);
  }

  it('executes once when the click reaches replica A (planned on A)', async () => {
    await approveAndCheck(
      'to A',
      (ts) => world.approve(ts, a.eventsUrl),
      () => a,
      () => a,
    );
  }, 90_000);

  it('executes once when the click reaches replica B (planned on A)', async () => {
    await approveAndCheck(
      'to B',
      (ts) => world.approve(ts, b.eventsUrl),
      () => a,
      () => b,
    );
  }, 90_000);

  it('executes once when one click is delivered to both replicas at the same moment', async () => {
    await approveAndCheck(
      'to both at once',
      (ts) => world.approve(ts, [a.eventsUrl, b.eventsUrl]),
      () => b,
    );
  }, 90_000);

  it('executes once when Slack retries the click and the retry lands on the other replica', async () => {
    await approveAndCheck(
      'to A, retried to B',
      async (ts) => {
        await world.approve(ts, a.eventsUrl);
        await world.approve(ts, b.eventsUrl, RETRY);
      },
      () => b,
    );
  }, 90_000);

  it('executes once when the first delivery and its retry reach both replicas together', async () => {
    await approveAndCheck(
      'to both, retried to both',
      async (ts) => {
        await Promise.all([
          world.approve(ts, [a.eventsUrl, b.eventsUrl]),
          world.approve(ts, [b.eventsUrl, a.eventsUrl], RETRY),
        ]);
      },
      () => a,
    );
  }, 90_000);
});
