import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { silentLogger } from '../../src/logger';
import { BullmqBackend } from '../../src/queues/bullmq-backend';
import { seedFailedFast, seedWithWorker } from '../helpers/bullmq-fixtures';
import {
  clientAddress,
  isWriteCommand,
  startCommandCounter,
  touchingPrefix,
  writeKind,
  type RecordedCommand,
} from '../helpers/command-counter';
import {
  deleteKeysWithPrefix,
  dumpKeysWithPrefix,
  randomPrefix,
  testRedis,
  testRedisUrl,
} from '../helpers/redis';

const QUEUE = 'webhook-delivery';

/** Safety invariant 1: diagnosis never writes to Delphi's keys, and costs the same at any backlog. */
describe('BullmqBackend safety', () => {
  let setup: Redis;
  let connection: Redis;
  let address: string;
  let prefix: string;

  /** Run `work` on the backend's connection and return what it sent to Redis. */
  const record = async (work: () => Promise<unknown>): Promise<RecordedCommand[]> => {
    const counter = await startCommandCounter(testRedisUrl(), { sources: [address] });
    // Stop the MONITOR even when work() fails, then report the failure.
    const [outcome] = await Promise.allSettled([work()]);
    const commands = await counter.stop();
    if (outcome.status === 'rejected') throw outcome.reason;
    return commands;
  };

  beforeAll(async () => {
    setup = testRedis();
    connection = testRedis();
    address = await clientAddress(connection);
  });
  beforeEach(() => {
    prefix = randomPrefix();
  });
  afterEach(async () => {
    await deleteKeysWithPrefix(setup, prefix);
  });
  afterAll(async () => {
    await connection.quit();
    await setup.quit();
  });

  it('snapshot and readDepth leave every key and value identical, and MONITOR shows no write to them', async () => {
    await seedWithWorker({
      url: testRedisUrl(),
      prefix,
      queue: QUEUE,
      jobs: [
        { name: 'webhook.deliver', data: { n: 1 }, failWith: 'endpoint returned 500' },
        { name: 'webhook.deliver', data: { n: 2 }, attempts: 3, failWith: 'endpoint returned 503' },
        { name: 'webhook.deliver', data: { n: 3 } },
      ],
    });
    const queue = new Queue(QUEUE, { connection: setup, prefix });
    queue.on('error', () => undefined);
    await queue.add('webhook.deliver', { n: 4 });
    await queue.pause();
    await queue.close();
    // A BullMQ <= 4 marker at the wait list's tail: BullMQ 6's getCounts would RPOP it.
    await setup.rpush(`${prefix}:${QUEUE}:wait`, '0:1700000000000');
    const before = await dumpKeysWithPrefix(setup, prefix);

    const backend = new BullmqBackend({ connection, prefix, logger: silentLogger });
    const commands = await record(async () => {
      const snap = await backend.snapshot(QUEUE, { sampleSize: 50 });
      expect(snap.counts).toMatchObject({ failed: 1, delayed: 1, completed: 1, waiting: 1 });
      await backend.readDepth(QUEUE);
      await backend.snapshot('recording-postprocess', { sampleSize: 50 });
      await backend.readDepth('recording-postprocess');
      await backend.close();
    });

    expect(await dumpKeysWithPrefix(setup, prefix)).toEqual(before);
    expect([...before.keys()].some((key) => key.includes('recording-postprocess'))).toBe(false);
    expect(touchingPrefix(commands, prefix).length).toBeGreaterThan(10);
    expect(touchingPrefix(commands, prefix).filter((c) => isWriteCommand(c.name))).toEqual([]);
    // Not a single script from our connection: nothing to inspect separately.
    expect(commands.filter((c) => c.source !== 'lua' && writeKind(c.name) !== null)).toEqual([]);
  });

  it('the MONITOR check does catch the meta write a default BullMQ Queue makes (negative control)', async () => {
    const commands = await record(async () => {
      const careless = new Queue(QUEUE, { connection, prefix });
      careless.on('error', () => undefined);
      await careless.getVersion(); // waits for the constructor's meta write
      await careless.close();
    });
    const writes = touchingPrefix(commands, prefix).filter((c) => isWriteCommand(c.name));
    expect(writes.map((c) => [c.name, c.args[0]])).toEqual([['HSET', `${prefix}:${QUEUE}:meta`]]);
  });

  it('issues the same commands for 500 and for 50,000 failed jobs', async () => {
    const seed = (queue: string, count: number): Promise<string[]> =>
      seedFailedFast({
        redis: setup,
        prefix,
        queue,
        count,
        name: 'webhook.deliver',
        dataFor: (i) => ({ i }),
        failedReason: 'endpoint returned 500',
        attempts: 3,
        attemptsMadeFor: (i) => (i % 3 === 0 ? 1 : 3),
      });
    await seed('small', 500);
    await seed('large', 50_000);
    const backend = new BullmqBackend({ connection, prefix, logger: silentLogger });
    const measure = async (queue: string): Promise<string[]> => {
      const commands = await record(() => backend.snapshot(queue, { sampleSize: 50 }));
      return commands.filter((c) => c.source !== 'lua').map((c) => c.name);
    };
    try {
      const small = await measure('small');
      const large = await measure('large');
      const started = Date.now();
      const snap = await backend.snapshot('large', { sampleSize: 50 });
      const elapsed = Date.now() - started;
      const tally = Object.entries(
        small.reduce<Record<string, number>>((t, n) => ({ ...t, [n]: (t[n] ?? 0) + 1 }), {}),
      );
      console.info(
        `snapshot commands: ${JSON.stringify(tally)} ${small.length} at 500 failed, ${large.length} at 50,000 (${elapsed} ms)`,
      );
      expect(large).toEqual(small);
      expect(small.length).toBeLessThanOrEqual(3 * 50 + 25);
      expect(snap.givenUp.exact).toBe(false);
      expect(snap.givenUp.value + snap.failedEarly.value).toBe(50_000);
    } finally {
      await backend.close();
    }
  });
});
