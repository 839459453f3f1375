import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { loadConfig } from '../../src/config';
import { silentLogger } from '../../src/logger';
import { startRuntime, type Runtime } from '../../src/runtime';
import { SANDBOX_IDS } from '../../src/sandbox';
import { WEBHOOKS_QUEUE, GIVEN_UP_ACME_JOBS, RETRYING_GLOBEX_JOBS } from '../../src/sandbox/demo/seed';
import { HOSTILE_SUMMARY } from '../../src/sandbox/demo/seed-webhooks';
import { GIVEN_UP_BILLING_JOBS, STRIPE_4XX_BILLING_JOBS } from '../../src/sandbox/demo/seed-billing';
import {
  GIVEN_UP_RECORDINGS_JOBS,
  MISSING_SOURCE_RECORDINGS_JOBS,
} from '../../src/sandbox/demo/seed-recordings';
import { eventually } from '../helpers/eventually';
import { closedPortUrl } from '../helpers/loopback';
import { deleteKeysWithPrefix, randomPrefix, testRedis, testRedisUrl } from '../helpers/redis';

/**
 * The whole runbook in the sandbox page, in Debian's Chromium: what a newcomer
 * does after `npm start`. Screenshots of each step go to .ci/out/screenshots
 * (kept out of git).
 */

// A step waits up to 30 s for the bot (a verification watches); the test must outlast its waits.
jest.setTimeout(60_000);

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = path.resolve(__dirname, '../../.ci/out/screenshots');
const STEP_TIMEOUT_MS = 20_000;

let runtime: Runtime;
let browser: Browser;
let page: Page;
let redis: Redis;
/** Page errors, console errors and JavaScript dialogs from the first load on: each would be a bug. */
const errors: string[] = [];
const dialogs: string[] = [];
const sandboxPrefix = randomPrefix('browser');

async function screenshot(name: string): Promise<void> {
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

async function send(line: string): Promise<void> {
  await page.fill('#composer-input', line);
  await page.press('#composer-input', 'Enter');
}

const channelMessage = (text: string | RegExp): Locator =>
  page.locator('#messages .message', { hasText: text });
const threadMessage = (text: string | RegExp): Locator =>
  page.locator('#thread-messages .message', { hasText: text });

async function actAs(role: 'requester' | 'approver'): Promise<void> {
  await page.selectOption('#person', SANDBOX_IDS[role]);
}

/** Clicks a button that asks for confirmation, and confirms. */
async function clickConfirmed(button: Locator): Promise<void> {
  await button.click();
  await page.locator('#confirm').waitFor({ state: 'visible' });
  await page.click('#confirm-yes');
}

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  redis = testRedis();
  const port = Number(new URL(await closedPortUrl()).port);
  const config = loadConfig({
    PORT: String(port),
    REDIS_URL: testRedisUrl(),
    SANDBOX_PREFIX: sandboxPrefix,
    // Short watches keep the walk quick; the judging is the same.
    VERIFY_WINDOW_MS: '2000',
    VERIFY_POLL_MS: '250',
    TREND_WINDOW_MS: '500',
    LOG_LEVEL: 'silent',
  });
  runtime = await startRuntime(config, silentLogger, { REDIS_URL: testRedisUrl() });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await page.goto(runtime.pageUrl!);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await runtime?.stop();
  await deleteKeysWithPrefix(redis, sandboxPrefix);
  await redis.quit();
});

describe('the sandbox page walks the whole runbook', () => {
  let jobIds: string[] = [];

  it('opens with the demo incident described and no script errors', async () => {
    await expect(page.locator('#intro').textContent()).resolves.toContain(
      `${GIVEN_UP_ACME_JOBS} deliveries to acme gave up after HTTP 503`,
    );
    await screenshot('0-start');
  });

  it('diagnoses: the numbers of each workflow, the verdicts and healthy upstreams', async () => {
    await send('/stuckjobs diagnose');
    const diagnosis = channelMessage('Stuck jobs diagnosis');
    await diagnosis.waitFor();
    const text = (await diagnosis.textContent()) ?? '';
    expect(text).toContain(
      `Given up: ${GIVEN_UP_ACME_JOBS} jobs exhausted their attempts; ${RETRYING_GLOBEX_JOBS} more will retry on their own`,
    );
    expect(text).toContain(
      `Given up: ${GIVEN_UP_RECORDINGS_JOBS + MISSING_SOURCE_RECORDINGS_JOBS} jobs exhausted their attempts`,
    );
    expect(text).toContain(`Given up: ${GIVEN_UP_BILLING_JOBS + STRIPE_4XX_BILLING_JOBS} jobs exhausted`);
    for (const upstream of ['Ops containers ok', 'SigNoz ok', 'Recordings bucket ok', 'Stripe ok'])
      expect(text).toContain(upstream);
    expect(text).toContain('read-only: nothing was changed');
    // Emoji shortcodes render as emoji.
    expect(text).not.toContain(':white_check_mark:');
    await screenshot('1-diagnosis');
  });

  it('shows samples of the webhook jobs in the thread, all three checks passing', async () => {
    await channelMessage('Stuck jobs diagnosis')
      .getByRole('button', { name: 'Show samples' })
      .first()
      .click();
    await channelMessage('Stuck jobs diagnosis').locator('a.replies').click();
    const samples = threadMessage('Samples: webhooks · failed');
    await samples.waitFor();
    const text = (await samples.textContent()) ?? '';
    expect(text).toMatch(/All three checks passed on \d+ sampled jobs/);
    expect(text).toContain(`${GIVEN_UP_ACME_JOBS} given-up jobs`);
    expect(text).toContain('read-only: nothing was moved');
    // A caller's markup in a payload is printed, never run: no element made of it, no dialog opened.
    expect(text).toContain(HOSTILE_SUMMARY.replace(/"/g, '\\"'));
    expect(await page.locator('#thread-messages script, #thread-messages img').count()).toBe(0);
    expect(dialogs).toEqual([]);
    await screenshot('2-samples');
  });

  it('plans the canary batch: five acme jobs, waiting for a second person', async () => {
    await channelMessage('Stuck jobs diagnosis')
      .getByRole('button', { name: 'Plan replay (canary)' })
      .first()
      .click();
    const approval = threadMessage('Replay batch 1: Webhook delivery');
    await approval.waitFor();
    const text = (await approval.textContent()) ?? '';
    expect(text).toContain('Requested by @Riley');
    expect(text).toContain('tenant acme ×5');
    const ids = /Job ids: ([\d, ]+)/.exec(text)?.[1] ?? '';
    jobIds = ids.split(',').map((id) => id.trim());
    expect(jobIds).toHaveLength(5);
    await screenshot('3-plan');
  });

  it("refuses the requester's own Approve, and nothing moves", async () => {
    const approval = threadMessage('Replay batch 1: Webhook delivery');
    await clickConfirmed(approval.getByRole('button', { name: 'Approve' }));
    await page.getByText('You asked for this batch, so you cannot approve it').waitFor();
    expect(await redis.zcard(`${sandboxPrefix}:bull:${WEBHOOKS_QUEUE}:failed`)).toBe(GIVEN_UP_ACME_JOBS);
    await screenshot('4-self-approval-refused');
  });

  it('lets the approver approve: exactly the five jobs move, each delivered once', async () => {
    await actAs('approver');
    // The refusal was the requester's ephemeral: the approver never sees it.
    await page.getByText('You asked for this batch').waitFor({ state: 'detached' });
    const approval = threadMessage('Replay batch 1: Webhook delivery');
    await clickConfirmed(approval.getByRole('button', { name: 'Approve' }));
    await threadMessage(/Approved by @Avery.*5 of 5 replayed/).waitFor();
    await screenshot('5-approved');

    const connection = redis.duplicate();
    const queue = new Queue(WEBHOOKS_QUEUE, { connection, prefix: `${sandboxPrefix}:bull` });
    try {
      const completed = await eventually(async () => {
        const jobs = await Promise.all(jobIds.map((id) => Job.fromId(queue, id)));
        const states = await Promise.all(jobs.map(async (job) => (job ? job.getState() : 'missing')));
        return states.every((state) => state === 'completed') ? jobs : undefined;
      }, 15_000);
      for (const job of completed) expect(job?.returnvalue).toEqual({ status: 200 });
      expect(await queue.getFailedCount()).toBe(GIVEN_UP_ACME_JOBS - jobIds.length);
      expect(await queue.getDelayedCount()).toBe(RETRYING_GLOBEX_JOBS);
      // Moved exactly once: one POST per replayed delivery, none for any other job.
      const posts = runtime.demo!.standIns.webhooks.tenantRequests.filter((r) => r.method === 'POST');
      const delivered = posts.map((r) => (JSON.parse(r.body) as { conversationId: string }).conversationId);
      const expected = completed.map((job) => (job?.data as { conversationId: string }).conversationId);
      expect(delivered.sort()).toEqual(expected.sort());
    } finally {
      await queue.close();
      await connection.quit();
    }
  });

  it('posts the verification in the thread: verified, with its four parts', async () => {
    const verified = threadMessage(/Verification of batch 1[\s\S]*Verified\./);
    await verified.waitFor({ timeout: 30_000 });
    const text = (await verified.textContent()) ?? '';
    expect(text).toContain('Replayed jobs: 5 of 5 replayed jobs completed');
    expect(text).toContain('Queue drain: queue drained');
    expect(text).toContain(`(${RETRYING_GLOBEX_JOBS} delayed on their backoff, not counted)`);
    expect(text).toContain('Downstream effect: tenant answered 2xx: 5 of 5 jobs passed');
    expect(text).toContain(
      'Ops error rate: error rate 0.2% now, baseline 0.2% at diagnosis: back to baseline',
    );
    await screenshot('6-verified');
  });

  it('writes the operations-log note and, at the end, the summary', async () => {
    await actAs('requester');
    await send('/stuckjobs note');
    const note = threadMessage(/Operations-log draft/);
    await note.waitFor();
    const noteText = (await note.textContent()) ?? '';
    expect(noteText).toContain('5 jobs replayed, requested by <@U0REQUESTER>, approved by <@U0APPROVER>');
    expect(noteText).toContain('batch 1 of webhooks verified');
    await screenshot('7-note');

    await send('/stuckjobs done');
    // The summary is the thread's last reply, also sent to the channel.
    const summary = channelMessage(/Incident summary/);
    await summary.waitFor();
    const text = (await summary.textContent()) ?? '';
    expect(text).toContain('replied to a thread');
    expect(text).toContain('Batch 1 of webhooks: 5 jobs replayed, requested by @Riley, approved by @Avery');
    expect(text).toContain('approve by @Riley: refused, the requester cannot approve their own batch');
    expect(text).toContain('✅ verified');
    expect(text).toContain('The one batch that ran is verified.');
    expect(text).toMatch(
      new RegExp(
        `webhooksfailed ${GIVEN_UP_ACME_JOBS} → ${GIVEN_UP_ACME_JOBS - 5}given up ${GIVEN_UP_ACME_JOBS} → ${GIVEN_UP_ACME_JOBS - 5}`,
      ),
    );
    await screenshot('8-summary');
    expect(errors).toEqual([]);
    expect(dialogs).toEqual([]);
  });
});
