import type { SectionBlock } from '@slack/types';
import type { Redis } from 'ioredis';
import { diagnosisMessage } from '../../blocks/diagnosis';
import { BlockId } from '../../blocks/ids';
import { severityEmoji } from '../../blocks/status';
import { cliDiagnosisSchema, type CliDiagnosis } from '../../src/cli/main';
import { loadConfig } from '../../src/config';
import { silentLogger } from '../../src/logger';
import { createServices } from '../../src/services';
import { startLoopback, type Loopback } from '../helpers/loopback';
import { deleteKeysWithPrefix, testRedis } from '../helpers/redis';
import { ANSI, cliEnv, cliPrefixes, runCapture } from './cli-io';
import { BILLING_QUEUE, seedIncident, startIdleWorkers, WEBHOOK_QUEUE, type IdleWorkers } from './seed';

/** One field of a workflow's section in the Slack diagnosis, e.g. `Given up` -> `3 of 3 failed`. */
function slackField(blocks: readonly { block_id?: string }[], workflow: string, label: string): string {
  const section = blocks.find((b) => b.block_id === `${BlockId.workflowPrefix}${workflow}`) as SectionBlock;
  const field = section.fields?.find((f) => f.text.startsWith(`*${label}*\n`));
  if (!field) throw new Error(`no ${label} field for ${workflow}`);
  return field.text.slice(label.length + 3);
}

const firstNumber = (text: string): number => Number(/[\d,]+/.exec(text)?.[0]?.replace(/,/g, '') ?? NaN);

describe('stuckjobs diagnose', () => {
  const prefixes = cliPrefixes('clid');
  let redis: Redis;
  let tenant: Loopback;
  let env: NodeJS.ProcessEnv;
  let workers: IdleWorkers;

  beforeAll(async () => {
    redis = testRedis();
    tenant = await startLoopback((_req, res) => res.writeHead(200).end());
    await seedIncident(redis, prefixes.queue, tenant.url);
    workers = await startIdleWorkers(prefixes.queue, [WEBHOOK_QUEUE, BILLING_QUEUE]);
    env = cliEnv(prefixes);
  }, 60_000);

  afterAll(async () => {
    await workers?.close();
    await tenant.close();
    await deleteKeysWithPrefix(redis, prefixes.queue);
    await deleteKeysWithPrefix(redis, prefixes.state);
    await redis.quit();
  });

  it('--json validates against the exported schema and has the numbers of the engine and of the Slack message', async () => {
    const run = await runCapture(['diagnose', '--json'], env);
    expect(run.stderr).toBe('');
    const doc: CliDiagnosis = cliDiagnosisSchema.parse(JSON.parse(run.stdout));
    expect(run.code).toBe(1);
    expect(doc.exitCode).toBe(1);

    const services = createServices(loadConfig(env), silentLogger);
    try {
      const diagnosis = await services.diagnose({});
      const slack = diagnosisMessage({ diagnosis, requestedBy: 'U0CLI' });
      expect(doc.workflows.map((w) => w.id)).toEqual(diagnosis.workflows.map((w) => w.id));
      for (const engine of diagnosis.workflows) {
        const cli = doc.workflows.find((w) => w.id === engine.id)!;
        const reading = cli.queueReading!;
        const snapshot = engine.snapshot!;
        expect(cli.verdict.kind).toBe(engine.verdict.kind);
        expect(cli.verdict.severity).toBe(engine.verdict.severity);
        expect(reading.counts).toEqual(snapshot.counts);
        expect(reading.givenUp).toEqual({ value: snapshot.givenUp.value, exact: snapshot.givenUp.exact });
        expect(reading.willRetry.value).toBe(snapshot.willRetry.value);
        expect(reading.workers).toBe(snapshot.workers);

        const givenUp = slackField(slack.blocks, engine.id, 'Given up');
        expect(givenUp).toMatch(new RegExp(`^${reading.givenUp.value} of ${reading.counts.failed} failed`));
        expect(firstNumber(slackField(slack.blocks, engine.id, 'Will retry'))).toBe(reading.willRetry.value);
        expect(firstNumber(slackField(slack.blocks, engine.id, 'Delayed'))).toBe(reading.counts.delayed);
        const section = slack.blocks.find((b) => b.block_id === `${BlockId.workflowPrefix}${engine.id}`);
        expect(JSON.stringify(section)).toContain(severityEmoji[cli.verdict.severity]);
      }
    } finally {
      await services.close();
    }

    const webhooks = doc.workflows.find((w) => w.id === 'webhooks')!;
    expect(webhooks.verdict.kind).toBe('given-up');
    expect(webhooks.queueReading?.givenUp).toEqual({ value: 3, exact: true });
    expect(webhooks.queueReading?.willRetry.value).toBe(1);
    expect(webhooks.queueReading?.counts.completed).toBe(1);
    const billing = doc.workflows.find((w) => w.id === 'billing')!;
    expect(billing.queueReading?.givenUp.value).toBe(4);
    expect(doc.summary.critical).toBeGreaterThanOrEqual(2);
    expect(doc.upstream.map((p) => p.probe)).toContain('webhook-endpoints');
    expect(doc.census.ok).toBe(true);
    // No payloads in the document: it may end up in a log.
    expect(run.stdout).not.toContain('call.ended');
  }, 30_000);

  it('prints a table per run with no escape codes when stdout is not a terminal', async () => {
    const run = await runCapture(['diagnose', 'webhooks', 'billing'], env);
    expect(run.code).toBe(1);
    expect(run.stdout).not.toMatch(ANSI);
    const lines = run.stdout.split('\n');
    const header = lines.findIndex((l) => /^WORKFLOW\s+QUEUE\s+VERDICT\s+WAITING/.test(l));
    expect(header).toBeGreaterThan(-1);
    expect(lines[header + 1]).toMatch(/^-+ {2}-+/);
    expect(lines[header + 2]).toMatch(
      /^webhooks\s+webhook-delivery\s+✗ given-up\s+0\s+0\s+1\s+3\s+3\s+1\s+1\s+/,
    );
    expect(lines[header + 3]).toMatch(
      /^billing\s+billing-housekeeping\s+✗ given-up\s+0\s+0\s+0\s+4\s+4\s+0\s+1\s+/,
    );
    expect(run.stdout).not.toMatch(/^recordings /m);
    expect(run.stdout).toContain('Upstream');
    expect(run.stdout).toMatch(/Tenant webhook endpoints ok/);
    expect(run.stdout).toContain('Where is the backlog');
    expect(run.stdout).toMatch(new RegExp(`${prefixes.queue}:webhook-delivery\\s+\\S+\\s+\\d+\\s+webhooks`));
  }, 30_000);

  it('colours only on a terminal, and not with NO_COLOR', async () => {
    const tty = await runCapture(['diagnose', 'billing'], env, { tty: true });
    expect(tty.stdout).toMatch(ANSI);
    expect(tty.stdout).toContain('\u001b[31m✗ given-up');
    const noColour = await runCapture(['diagnose', 'billing'], { ...env, NO_COLOR: '1' }, { tty: true });
    expect(noColour.stdout).not.toMatch(ANSI);
    expect(noColour.code).toBe(1);
  }, 30_000);
});
