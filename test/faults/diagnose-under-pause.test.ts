import { startPrivateRedis, type PrivateRedis } from '../../bench/lib/private-redis';
import { BlockId } from '../../blocks/ids';
import type { Harness } from '../e2e/harness';
import { seedWithWorker } from '../helpers/bullmq-fixtures';
import { randomPrefix } from '../helpers/redis';
import {
  blockText,
  diagnosisOrErrorId,
  expectValidMessage,
  type ProcessWatch,
  expectQueuesReadAgain,
} from './fault-kit';
import { closeFaultWorld, startOnPrivateRedis } from './fault-world';

/**
 * Long enough for the delivery guard's wait (1 s) plus one command timeout
 * (5 s), not for two of them: a diagnosis that waits out the queue reads and
 * then the census one after the other answers only after the pause.
 */
const PAUSE_MS = 9_500;

/**
 * A diagnose sent while Redis holds every command (`CLIENT PAUSE … ALL` on a
 * private redis-server) must degrade at the command timeout, as a standalone
 * diagnosis does, not wait for Redis to come back. Two things made it wait:
 * the delivery guard's SET runs before `ack()` with the 5 s command timeout,
 * past Slack's 3 s ack deadline (the command then failed with an error id and
 * never diagnosed), and the key census started only after the queue reads
 * had timed out, adding its own 5 s.
 */
describe('fault: diagnose while Redis is paused degrades at the command timeout', () => {
  const prefix = randomPrefix('flt-dp');
  let redis: PrivateRedis;
  let harness: Harness;
  let watch: ProcessWatch;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    ({ harness, watch } = await startOnPrivateRedis(redis, prefix));
  }, 60_000);

  afterAll(() => closeFaultWorld({ watch, harness }, () => redis?.stop()));

  it('posts a diagnosis saying it cannot read the queues while Redis is still paused, acked in time, and reads them once it answers', async () => {
    await seedWithWorker({
      url: redis.url,
      prefix,
      queue: 'webhook-delivery',
      jobs: Array.from({ length: 2 }, (_, i) => ({
        name: 'deliver-webhook',
        data: { tenantId: 't', webhookId: `w${i}`, url: 'http://127.0.0.1:9/h', event: 'e', body: {} },
        failWith: 'HTTP 503 from http://127.0.0.1:9/h',
      })),
    });
    let paused = true;
    await redis.client.call('CLIENT', 'PAUSE', String(PAUSE_MS), 'ALL');
    setTimeout(() => (paused = false), PAUSE_MS);
    const resumed = new Promise<void>((resolve) => setTimeout(resolve, PAUSE_MS + 200));
    const before = harness.emulator.calls.length;
    const logsBefore = harness.logLines.length;
    await harness.emulator.sendSlashCommand({ text: 'diagnose --new' });

    const post = await diagnosisOrErrorId(harness, before);
    const answeredDuringPause = paused;
    expect(post.method).toBe('chat.postMessage');
    expect(answeredDuringPause).toBe(true);
    expectValidMessage(post);
    for (const id of ['webhooks', 'recordings', 'billing']) {
      expect(blockText(post, `${BlockId.workflowPrefix}${id}`)).toContain(
        'Cannot read the queue: Command timed out',
      );
    }
    expect(blockText(post, BlockId.census)).toContain('key census failed');
    // Slack got its ack within 3 s: Bolt did not have to warn about it.
    const lines = harness.logLines.slice(logsBefore).map((line) => String(line.msg));
    expect(lines.filter((msg) => msg.includes('not acknowledged'))).toEqual([]);
    expect(lines).toContain('delivery guard unavailable: treating the request as new');

    await resumed;
    await expectQueuesReadAgain(harness);
    expect(watch.seen).toEqual([]);
  }, 60_000);
});
