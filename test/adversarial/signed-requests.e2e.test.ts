import type { Redis } from 'ioredis';
import { BlockId } from '../../blocks/ids';
import { readAudit } from '../../src/approvals/audit';
import { SANDBOX_IDS } from '../../src/sandbox';
import { nowSeconds, signSlackRequest } from '../../src/sandbox/signing';
import { seedWithWorker } from '../helpers/bullmq-fixtures';
import { eventually } from '../helpers/eventually';
import type { Loopback } from '../helpers/loopback';
import { randomPrefix, testRedisUrl } from '../helpers/redis';
import { tenantWebhooks } from '../helpers/tenant-webhooks';
import type { Harness } from '../e2e/harness';
import { blocksOf } from '../e2e/messages';
import type { ReplayDriver } from '../e2e/replay-driver';
import { AttackKit, type Verdict } from './attack-kit';
import { closeAttackWorld, startAttackWorld } from './attack-world';

const QUEUE = 'webhook-delivery';
const { approver: APPROVER } = SANDBOX_IDS;

/**
 * Attacks on the transport, through the real Bolt app over HTTP: forged and
 * missing signatures, stale and shifted timestamps, a captured request
 * delivered again, and command text no one would type. Each attack is
 * followed by a normal diagnose (the bot is alive) and a Block Kit check of
 * everything it sent.
 */
describe('adversarial: signed requests and command text', () => {
  const prefix = randomPrefix('adv-sig');
  let harness: Harness;
  let kit: AttackKit;
  let redis: Redis;
  let tenant: Loopback;
  let driver: ReplayDriver;
  let tenantCount = 0;

  beforeAll(async () => {
    ({ redis, tenant, harness, kit, driver } = await startAttackWorld(prefix));
    await driver.newIncident();
  }, 60_000);

  afterAll(() => closeAttackWorld({ kit, harness, tenant, redis }, 'signed-requests', prefix));

  async function givenUp(count: number): Promise<string> {
    const tenantId = `t-sig-${++tenantCount}`;
    await seedWithWorker({
      url: testRedisUrl(),
      prefix,
      queue: QUEUE,
      jobs: tenantWebhooks(tenantId, count, tenant.url, { event: 'e', failWith: 'HTTP 503' }),
    });
    return tenantId;
  }

  /** The bot's answers to our response URLs and its Web API calls since `from`, none of which should exist. */
  const postsSince = (from: number) =>
    harness.emulator.calls.slice(from).filter((c) => c.method !== 'auth.test');

  describe('signature and timestamp', () => {
    const refusedWith =
      (status: number, build: () => { body: string; headers: Record<string, string> }) => async () => {
        const { body, headers } = build();
        const form = Object.fromEntries(new URLSearchParams(body));
        const before = harness.emulator.calls.length;
        const response = await kit.post(body, headers);
        expect(response.status).toBe(status);
        // Nothing ran: no answer to the response URL, no Web API call.
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(form.response_url ? kit.repliesTo(form.response_url) : 0).toBe(0);
        expect(postsSince(before)).toEqual([]);
        return 'refused' as const;
      };
    const diagnoseBody = () => AttackKit.form(kit.commandForm('diagnose --new'));

    it('refuses a forged signature, a wrong signature version and missing headers with 401, running nothing', async () => {
      const cases: [string, (body: string) => Record<string, string>][] = [
        [
          'forged signature',
          (body) => kit.headers(body, { overrides: { 'x-slack-signature': `v0=${'ab'.repeat(32)}` } }),
        ],
        [
          'signature version v1',
          (body) =>
            kit.headers(body, {
              overrides: {
                'x-slack-signature': kit.headers(body)['x-slack-signature']!.replace('v0=', 'v1='),
              },
            }),
        ],
        ['empty signature', (body) => kit.headers(body, { overrides: { 'x-slack-signature': '' } })],
        [
          'missing signature header',
          (body) => kit.headers(body, { overrides: { 'x-slack-signature': undefined } }),
        ],
        [
          'missing timestamp header',
          (body) => kit.headers(body, { overrides: { 'x-slack-request-timestamp': undefined } }),
        ],
        [
          'no Slack headers at all',
          (body) =>
            kit.headers(body, {
              overrides: { 'x-slack-signature': undefined, 'x-slack-request-timestamp': undefined },
            }),
        ],
        [
          'non-numeric timestamp',
          (body) => kit.headers(body, { overrides: { 'x-slack-request-timestamp': 'yesterday' } }),
        ],
        [
          'signed with another secret',
          (body) => {
            const ts = nowSeconds();
            return kit.headers(body, {
              timestampSeconds: ts,
              overrides: { 'x-slack-signature': signSlackRequest('not-the-secret', ts, body) },
            });
          },
        ],
      ];
      for (const [name, headersFor] of cases) {
        await kit.attack(
          name,
          refusedWith(401, () => {
            const body = diagnoseBody();
            return { body, headers: headersFor(body) };
          }),
        );
      }
    });

    it('refuses a request stamped more than 5 minutes ago, and a captured one re-stamped later or earlier', async () => {
      await kit.attack(
        'stale timestamp (6 minutes old), correctly signed',
        refusedWith(401, () => {
          const body = diagnoseBody();
          return { body, headers: kit.headers(body, { timestampSeconds: nowSeconds() - 360 }) };
        }),
      );
      for (const shift of [+3600, +60, -60]) {
        await kit.attack(
          `captured request with its timestamp moved ${shift} s`,
          refusedWith(401, () => {
            const body = diagnoseBody();
            const genuine = kit.headers(body);
            const moved = String(Number(genuine['x-slack-request-timestamp']) + shift);
            return { body, headers: { ...genuine, 'x-slack-request-timestamp': moved } };
          }),
        );
      }
    });

    it('answers a body Bolt cannot read with 400/401/413 and runs nothing', async () => {
      await kit.attack(
        'content-type with a charset (Bolt compares it exactly)',
        refusedWith(400, () => {
          const body = diagnoseBody();
          return {
            body,
            headers: kit.headers(body, {
              overrides: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
            }),
          };
        }),
      );
      await kit.attack(
        'body over Bolt’s 4 MB limit',
        refusedWith(413, () => {
          const body = AttackKit.form(kit.commandForm('x'.repeat(4 * 1024 * 1024 + 10)));
          return { body, headers: kit.headers(body) };
        }),
      );
      await kit.attack('raw invalid UTF-8 bytes in the body', async () => {
        const body = Buffer.concat([
          Buffer.from(AttackKit.form(kit.commandForm('diagnose'))),
          Buffer.from([0x26, 0x78, 0x3d, 0xff, 0xfe, 0xc3]),
        ]);
        // Signed over the raw bytes, as Slack signs: Bolt verifies the text it decoded, which differs.
        const headers = kit.headers(body.toString('latin1'));
        const before = harness.emulator.calls.length;
        const response = await kit.post(body, headers);
        expect([400, 401]).toContain(response.status);
        expect(postsSince(before)).toEqual([]);
        return 'refused';
      });
    });

    it('refuses a correctly signed request stamped more than 5 minutes ahead (Bolt alone would accept it)', async () => {
      // Bolt's verifier refuses only timestamps older than 5 minutes; src/request-shield.ts refuses
      // the other side too, so no signed request stays replayable longer than Slack's window.
      await kit.attack(
        'future timestamp (+1 h), correctly signed',
        refusedWith(401, () => {
          const body = diagnoseBody();
          return { body, headers: kit.headers(body, { timestampSeconds: nowSeconds() + 3600 }) };
        }),
      );
      await kit.attack(
        'timestamp 4 minutes ahead, correctly signed: within the window, handled',
        async () => {
          const body = AttackKit.form(kit.commandForm('help'));
          const response = await kit.post(body, kit.headers(body, { timestampSeconds: nowSeconds() + 240 }));
          expect(response.status).toBe(200);
          expect(response.body).toContain('/stuckjobs diagnose');
          return 'handled';
        },
      );
    });
  });

  describe('a captured request delivered again', () => {
    /** The same bytes and the same headers, twice: what a replay within Bolt's 5 minutes looks like. */
    async function twice(fields: Record<string, string>) {
      const body = AttackKit.form(fields);
      const headers = kit.headers(body);
      const first = await kit.post(body, headers);
      const second = await kit.post(body, headers);
      return { first, second };
    }

    it('refuses a copy of `diagnose --new`: one incident, one diagnosis, and the copy is told so', async () => {
      await kit.attack('replayed diagnose --new', async () => {
        const before = harness.emulator.calls.length;
        const fields = kit.commandForm('diagnose webhooks --new');
        const { first, second } = await twice(fields);
        expect(first.status).toBe(200);
        expect(second.status).toBe(200);
        expect(second.body).toContain('I already handled this exact request');
        await harness.emulator.waitForCall(
          'chat.postMessage',
          (c) =>
            harness.emulator.calls.indexOf(c) >= before &&
            blocksOf(c).some((b) => b.block_id === BlockId.diagnosisHeader),
          20_000,
        );
        await new Promise((resolve) => setTimeout(resolve, 300));
        const diagnoses = harness.emulator.calls
          .slice(before)
          .filter(
            (c) =>
              c.method === 'chat.postMessage' &&
              blocksOf(c).some((b) => b.block_id === BlockId.diagnosisHeader),
          );
        expect(diagnoses).toHaveLength(1);
        return 'refused';
      });
    });

    it('refuses a copy of `replay`: one approval request, the copy changes nothing', async () => {
      const tenantId = await givenUp(2);
      await kit.attack('replayed replay command', async () => {
        const before = harness.emulator.calls.length;
        const { second } = await twice(kit.commandForm(`replay webhooks --tenant ${tenantId}`));
        expect(second.body).toContain('I already handled this exact request');
        await harness.emulator.waitForCall(
          'chat.postMessage',
          (c) =>
            harness.emulator.calls.indexOf(c) >= before &&
            blocksOf(c).some((b) => b.block_id === BlockId.approvalHeader),
          20_000,
        );
        await new Promise((resolve) => setTimeout(resolve, 300));
        const plans = harness.emulator.calls
          .slice(before)
          .filter(
            (c) =>
              c.method === 'chat.postMessage' &&
              blocksOf(c).some((b) => b.block_id === BlockId.approvalHeader),
          );
        expect(plans).toHaveLength(1);
        return 'refused';
      });
    });

    it('refuses a copy of an Approve click: decided and replayed once, the copy audited nowhere as a decision', async () => {
      // A fresh incident: the replay test above left its batch pending, and one batch is open at a time.
      await driver.newIncident();
      const tenantId = await givenUp(1);
      const plan = await driver.plan(`replay webhooks --tenant ${tenantId}`);
      if (plan.kind !== 'posted') throw new Error(`plan refused: ${plan.text}`);
      await kit.attack('replayed Approve click', async () => {
        const payload = kit.clickPayload('replay_approve', plan.value, {
          user: APPROVER,
          messageTs: plan.ts,
        });
        const { first, second } = await twice({ payload: JSON.stringify(payload) });
        expect(first.status).toBe(200);
        expect(second.status).toBe(200);
        // The copy's answer goes to the same response URL as the original's (its bytes are the same).
        const refusal = await eventually(() =>
          Promise.resolve(
            kit
              .bodiesTo(String(payload.response_url))
              .find((b) => b.includes('I already handled this exact request')),
          ),
        );
        expect(refusal).toContain('nothing was done twice');
        await driver.waitForState(plan.batchId, 'done');
        const decisions = (
          await readAudit(redis, `${harness.config.statePrefix}:audit`, { batchId: plan.batchId })
        )
          .filter((e) => e.action === 'approve')
          .map((e) => e.result);
        // One decision: the copy never reached the store (a copy that did would add `not-pending`).
        expect(decisions).toEqual(['approved']);
        return 'refused';
      });
    });
  });

  describe('command text no one would type', () => {
    /** Sends a signed command and returns the ack's JSON (the ephemeral the user sees). */
    async function commandAnswer(text: string): Promise<{ text: string; blocks: unknown[] }> {
      const body = AttackKit.form(kit.commandForm(text));
      const response = await kit.post(body, kit.headers(body));
      expect(response.status).toBe(200);
      return JSON.parse(response.body) as { text: string; blocks: unknown[] };
    }

    const cases: [string, string, RegExp, Verdict][] = [
      [
        'control characters and an ANSI escape',
        'diagnose\u0000\u0007 webhooks\u001b[31m',
        /is not a \/stuckjobs command|Unknown workflow/,
        'refused',
      ],
      ['10,000 characters', 'diagnose '.padEnd(10_000, 'x'), /characters long/, 'refused'],
      ['3,999 characters of one word', 'a'.repeat(3_999), /characters long/, 'refused'],
      [
        'replacement characters from invalid UTF-8',
        '\ufffd\ufffd diagnose',
        /is not a \/stuckjobs command/,
        'refused',
      ],
      [
        'zero-width and bidi characters around a word',
        '\u200b\u202ediagnose\u202c nowhere',
        /Unknown workflow|is not a/,
        'refused',
      ],
      [
        'mrkdwn and mentions',
        '<!channel> *now* <https://evil.example|click>',
        /is not a \/stuckjobs command/,
        'refused',
      ],
      ['only whitespace and newlines', ' \n\t\r\n ', /\/stuckjobs diagnose/, 'handled'],
      ['a flag with no value', 'sample webhooks --tenant', /--tenant/, 'refused'],
      ['a batch size in the billions', 'replay webhooks --batch 99999999999', /not a batch size/, 'refused'],
    ];

    it.each(cases)(
      'answers %s with a clear usage message and no mass mention',
      async (name, text, expected, verdict) => {
        await kit.attack(`command text: ${name}`, async () => {
          const answer = await commandAnswer(text);
          expect(`${answer.text} ${JSON.stringify(answer.blocks)}`).toMatch(expected);
          // What came in is echoed escaped: no live mention or link from the user's text.
          expect(JSON.stringify(answer.blocks)).not.toContain('<!channel>');
          expect(JSON.stringify(answer.blocks)).not.toContain('<https://evil');
          return verdict;
        });
      },
    );

    it('refuses a command form with a field sent twice (it would reach the listener as an array)', async () => {
      await kit.attack('command form with `text` twice', async () => {
        const body = `${AttackKit.form(kit.commandForm('diagnose'))}&text=replay%20webhooks`;
        const before = harness.emulator.calls.length;
        const response = await kit.post(body, kit.headers(body));
        expect(response.status).toBe(400);
        expect(harness.emulator.calls.slice(before).filter((c) => c.method !== 'auth.test')).toEqual([]);
        return 'refused';
      });
    });

    it('answers a percent-encoded invalid UTF-8 command (%FF%FE) with usage', async () => {
      await kit.attack('command text: %FF%FE bytes', async () => {
        const fields = kit.commandForm('PLACEHOLDER');
        const body = AttackKit.form(fields).replace('text=PLACEHOLDER', 'text=%FF%FEdiagnose%C3');
        const response = await kit.post(body, kit.headers(body));
        expect(response.status).toBe(200);
        expect(response.body).toMatch(/is not a \/stuckjobs command/);
        return 'refused';
      });
    });
  });

  it('counted every attack and none crashed the bot', () => {
    expect(kit.tally.tried).toBeGreaterThanOrEqual(25);
    expect(kit.tally.crashed).toBe(0);
  });
});
