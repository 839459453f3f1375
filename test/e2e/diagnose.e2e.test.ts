import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import nock from 'nock';
import { BlockId } from '../../blocks/ids';
import { findBlockKitViolations } from '../../blocks/limits';
import { SANDBOX_IDS, type RecordedCall } from '../../src/sandbox';
import { seedWithWorker } from '../helpers/bullmq-fixtures';
import { eventually } from '../helpers/eventually';
import { startLoopback, type Loopback } from '../helpers/loopback';
import { deleteKeysWithPrefix, randomPrefix, testRedis, testRedisUrl } from '../helpers/redis';
import { healthyOpsContainers, signozStandIn } from '../helpers/stand-ins';
import { startHarness, type Harness } from './harness';
import { blocksOf, textOfBlock } from './messages';

const STRIPE = 'https://api.stripe.test';
const S3 = 'https://s3.recordings.test';

const isRoot = (call: RecordedCall) =>
  call.args.channel === SANDBOX_IDS.incidentChannel && call.args.thread_ts === undefined;

describe('/stuckjobs diagnose end to end', () => {
  const prefix = randomPrefix('e2e');
  const stubs: Loopback[] = [];
  const workers: Worker[] = [];
  const workerConnections: Redis[] = [];
  let harness: Harness;
  let healthyTenant: Loopback;
  let failingTenant: Loopback;
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    healthyTenant = await startLoopback((_req, res) => res.writeHead(200).end());
    failingTenant = await startLoopback((_req, res) => res.writeHead(503).end());
    const docker = await healthyOpsContainers();
    const signoz = await signozStandIn(() => ({ spans: 4000, errors: 800, p95Ms: 900 }), {
      spans: 16000,
      errors: 40,
      p95Ms: 150,
    });
    stubs.push(healthyTenant, failingTenant, docker, signoz);

    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
    nock(STRIPE)
      .persist()
      .get('/v1/balance')
      .reply(500, { error: { type: 'api_error', message: 'Stripe is down' } });
    nock(S3).persist().head('/recordings-bucket/').reply(200);
    process.env.AWS_ACCESS_KEY_ID = 'AKIATESTONLY';
    process.env.AWS_SECRET_ACCESS_KEY = 'test-only-secret';

    const url = testRedisUrl();
    const webhook = (tenant: string, target: string) => ({
      name: 'deliver-webhook',
      data: {
        tenantId: tenant,
        webhookId: `wh-${tenant}`,
        url: target,
        event: 'call.ended',
        body: { id: 1 },
      },
    });
    await Promise.all([
      seedWithWorker({
        url,
        prefix,
        queue: 'webhook-delivery',
        jobs: [
          ...Array.from({ length: 3 }, () => ({
            ...webhook('t-acme', `${healthyTenant.url}/hooks/acme`),
            failWith: `HTTP 503 from ${healthyTenant.url}/hooks/acme`,
          })),
          ...Array.from({ length: 2 }, () => ({
            ...webhook('t-globex', `${failingTenant.url}/hooks/globex`),
            attempts: 3,
            failWith: `HTTP 503 from ${failingTenant.url}/hooks/globex`,
          })),
        ],
      }),
      seedWithWorker({
        url,
        prefix,
        queue: 'recording-postprocess',
        jobs: Array.from({ length: 2 }, (_, i) => ({
          name: 'transmux-recording',
          data: {
            tenantId: 't-acme',
            conversationId: `c${i}`,
            recordingId: `r${i}`,
            sourceKey: `raw/r${i}.wav`,
            outputKey: `out/r${i}.ogg`,
          },
          failWith: 'NoSuchKey: source object missing',
        })),
      }),
      seedWithWorker({
        url,
        prefix,
        queue: 'billing-housekeeping',
        jobs: Array.from({ length: 2 }, (_, i) => ({
          name: 'sync-subscription-usage',
          data: {
            tenantId: 't-acme',
            stripeCustomerId: `cus_${i}`,
            subscriptionId: `sub_${i}`,
            period: '2026-11',
          },
          attempts: 4,
          failWith: 'Stripe API error 500: api_error',
        })),
      }),
    ]);
    // One idle consumer per queue, as the Tasker would have.
    for (const queue of ['webhook-delivery', 'recording-postprocess', 'billing-housekeeping']) {
      const connection = new Redis(url, { maxRetriesPerRequest: null });
      connection.on('error', () => undefined);
      const worker = new Worker(queue, () => Promise.resolve(), { connection, prefix });
      worker.on('error', () => undefined);
      await worker.waitUntilReady();
      workers.push(worker);
      workerConnections.push(connection);
    }

    harness = await startHarness({
      env: {
        QUEUE_PREFIX: prefix,
        STATE_PREFIX: `${prefix}-bot`,
        TREND_WINDOW_MS: '300',
        PROBE_TIMEOUT_MS: '2000',
        OPS_DOCKER_URL: docker.url,
        SIGNOZ_URL: signoz.url,
        SIGNOZ_API_KEY: 'signoz-test-key',
        STRIPE_SECRET_KEY: 'sk_test_e2e',
        STRIPE_API_URL: STRIPE,
        RECORDINGS_BUCKET: 'recordings-bucket',
        S3_ENDPOINT: S3,
        RECORDING_ENABLED: 'true',
      },
    });
  }, 60_000);

  afterAll(async () => {
    await harness?.close();
    await Promise.allSettled(workers.map((w) => w.close()));
    await Promise.allSettled(workerConnections.map((c) => c.quit()));
    await Promise.allSettled(stubs.map((s) => s.close()));
    nock.cleanAll();
    nock.enableNetConnect();
    process.env = savedEnv;
    const redis = testRedis();
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
  });

  it('posts the diagnosis as the thread root with counts, the given-up split, workers and verdicts', async () => {
    const reply = await harness.emulator.sendSlashCommand({ text: 'diagnose' });
    expect(reply.status).toBe(200);
    const ack = JSON.parse(reply.body) as { response_type: string; text: string };
    expect(ack.response_type).toBe('ephemeral');
    expect(ack.text).toMatch(
      /^Diagnosing all workflows: the queues, their trend over the last 1 s, and the upstreams/,
    );

    const post = await harness.emulator.waitForCall('chat.postMessage', isRoot, 20_000);
    expect(post.response.ok).toBe(true);
    expect(findBlockKitViolations({ text: post.args.text as string, blocks: blocksOf(post) })).toEqual([]);

    const webhooks = textOfBlock(post, `${BlockId.workflowPrefix}webhooks`);
    expect(webhooks).toContain('*Given up: 3 jobs exhausted their attempts; 2 more correctly retrying*');
    expect(webhooks).toContain('*Given up*\n3 of 3 failed');
    expect(webhooks).toContain('*Will retry*\n2');
    expect(webhooks).toContain('*Delayed*\n2');
    expect(webhooks).toContain('*Workers*\n1');
    expect(webhooks).toMatch(/replay candidates, but not yet: .*HEAD 503/);
    expect(textOfBlock(post, `${BlockId.verdictPrefix}webhooks`)).toContain(
      `HTTP 503 from ${healthyTenant.url}/hooks/acme\` ×3`,
    );

    const recordings = textOfBlock(post, `${BlockId.workflowPrefix}recordings`);
    expect(recordings).toContain('*Given up: 2 jobs exhausted their attempts*');
    expect(recordings).toContain('replay candidates: read samples first');

    const billing = textOfBlock(post, `${BlockId.workflowPrefix}billing`);
    expect(billing).toContain('*Correctly retrying: 2 jobs will retry;');
    expect(billing).toContain('do not replay');

    const upstream = textOfBlock(post, BlockId.upstream);
    expect(upstream).toContain(':white_check_mark: *Ops containers* ok');
    expect(upstream).toContain(':warning: *SigNoz* degraded');
    expect(upstream).toContain(':warning: *Tenant webhook endpoints* degraded');
    expect(upstream).toContain(':white_check_mark: *Recordings bucket* ok');
    expect(upstream).toContain(':x: *Stripe* down');
    expect(textOfBlock(post, BlockId.census)).toContain(`\`${prefix}:webhook-delivery\``);
    expect(textOfBlock(post, BlockId.context)).toContain(`<@${SANDBOX_IDS.requester}>`);

    // The session is written right after the post returns.
    const session = await eventually(() =>
      harness.services.sessions.current(SANDBOX_IDS.team, SANDBOX_IDS.incidentChannel),
    );
    expect(session).toMatchObject({ threadTs: post.response.ts, requestedBy: SANDBOX_IDS.requester });
    expect(session.baseline?.spans).toBe(16000);
  });

  it('posts a second diagnosis into the open incident thread, and a fresh one with --new', async () => {
    const session = await eventually(() =>
      harness.services.sessions.current(SANDBOX_IDS.team, SANDBOX_IDS.incidentChannel),
    );
    const before = harness.emulator.calls.length;
    const isNew = (call: RecordedCall) => harness.emulator.calls.indexOf(call) >= before;
    await harness.emulator.sendSlashCommand({ text: 'diagnose webhooks' });
    const reply = await harness.emulator.waitForCall('chat.postMessage', isNew, 20_000);
    expect(reply.args.thread_ts).toBe(session.threadTs);
    const header = blocksOf(reply)[0];
    expect(header?.text?.text).toBe('Stuck jobs diagnosis: webhooks');
    expect(blocksOf(reply).some((b) => b.block_id === `${BlockId.workflowPrefix}billing`)).toBe(false);
    expect(textOfBlock(reply, BlockId.upstream)).not.toContain('Stripe');
    const notice = await harness.emulator.waitForCall(
      'response_url',
      (c) => isNew(c) && String(c.args.text).startsWith('An incident is open'),
    );
    expect(notice.args.text).toContain('`/stuckjobs diagnose --new`');

    const beforeFresh = harness.emulator.calls.length;
    await harness.emulator.sendSlashCommand({ text: 'diagnose --new recordings' });
    const fresh = await harness.emulator.waitForCall(
      'chat.postMessage',
      (call) => harness.emulator.calls.indexOf(call) >= beforeFresh,
      20_000,
    );
    expect(fresh.args.thread_ts).toBeUndefined();
    const reopened = await eventually(async () => {
      const current = await harness.services.sessions.current(SANDBOX_IDS.team, SANDBOX_IDS.incidentChannel);
      return current?.threadTs === fresh.response.ts ? current : undefined;
    });
    expect(reopened.workflowIds).toEqual(['recordings']);
  });

  it('answers help and an unknown subcommand with ephemeral usage, and posts nothing', async () => {
    const before = harness.emulator.calls.filter((c) => c.method === 'chat.postMessage').length;
    const help = JSON.parse((await harness.emulator.sendSlashCommand({ text: 'help' })).body) as {
      response_type: string;
      text: string;
    };
    expect(help.response_type).toBe('ephemeral');
    expect(help.text).toBe(
      'Usage: /stuckjobs diagnose [workflow] | sample <workflow> [n] | replay <workflow> | enqueue <workflow> <id…> | help',
    );
    const unknown = JSON.parse((await harness.emulator.sendSlashCommand({ text: 'replay-all' })).body) as {
      response_type: string;
      text: string;
    };
    expect(unknown.response_type).toBe('ephemeral');
    expect(unknown.text).toContain('`replay-all` is not a /stuckjobs command');
    const badWorkflow = JSON.parse(
      (await harness.emulator.sendSlashCommand({ text: 'diagnose sms' })).body,
    ) as { text: string };
    expect(badWorkflow.text).toContain('Unknown workflow `sms`');
    expect(harness.emulator.calls.filter((c) => c.method === 'chat.postMessage').length).toBe(before);
  });

  it('rejects a forged signature and a stale timestamp without acting', async () => {
    const before = harness.emulator.calls.length;
    const forged = await harness.emulator.sendSlashCommand({
      text: 'diagnose',
      signature: `v0=${'0'.repeat(64)}`,
    });
    expect(forged.status).toBe(401);
    const stale = await harness.emulator.sendSlashCommand({
      text: 'diagnose',
      timestampSeconds: Math.floor(Date.now() / 1000) - 600,
    });
    expect(stale.status).toBe(401);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(harness.emulator.calls.slice(before).filter((c) => c.method !== 'response_url')).toEqual([]);
  });

  it('reports healthy on /healthz while Redis answers', async () => {
    const res = await fetch(`http://127.0.0.1:${harness.bot.port}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, redis: { queues: 'ok', state: 'ok' } });
  });
});
