import type { Redis } from 'ioredis';
import { seedFailedFast } from '../helpers/bullmq-fixtures';
import { startLoopback, type Loopback } from '../helpers/loopback';
import { deleteKeysWithPrefix, testRedis } from '../helpers/redis';
import { cliEnv, cliPrefixes, runCapture, type CliPrefixes } from './cli-io';
import { seedIncident, startIdleWorkers, WEBHOOK_QUEUE, type IdleWorkers } from './seed';

/** Nothing listens on port 1: connecting is refused at once. */
const UNREACHABLE = 'redis://user:hunter2@127.0.0.1:1';

describe('stuckjobs exit codes: 0 healthy, 1 needs action, 2 error', () => {
  let redis: Redis;
  let tenant: Loopback;
  const used: CliPrefixes[] = [];
  const fresh = (label: string) => {
    const prefixes = cliPrefixes(label);
    used.push(prefixes);
    return prefixes;
  };

  beforeAll(async () => {
    redis = testRedis();
    tenant = await startLoopback((_req, res) => res.writeHead(200).end());
  });

  afterAll(async () => {
    await tenant.close();
    for (const prefixes of used) {
      await deleteKeysWithPrefix(redis, prefixes.queue);
      await deleteKeysWithPrefix(redis, prefixes.state);
    }
    await redis.quit();
  });

  describe('without Redis', () => {
    const offline = () => cliEnv(fresh('clio'), { REDIS_URL: UNREACHABLE, PROBE_TIMEOUT_MS: '300' });

    it('help is 0; no command at all is 2 with the usage on stderr', async () => {
      const help = await runCapture(['help'], offline());
      expect(help.code).toBe(0);
      expect(help.stdout).toContain('Exit status:');
      expect(help.stdout).toMatch(/2 {2}error: bad usage \(a replay without --dry-run too\)/);
      expect((await runCapture(['--help'], offline())).code).toBe(0);
      const bare = await runCapture([], offline());
      expect(bare.code).toBe(2);
      expect(bare.stdout).toBe('');
      expect(bare.stderr).toContain('Usage:');
    });

    it('an unknown subcommand is 2, before any connection, with a JSON error under --json', async () => {
      const run = await runCapture(['frobnicate', '--json'], offline());
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('frobnicate is not a stuckjobs command');
      expect(run.stderr).not.toContain('`');
      expect(JSON.parse(run.stdout)).toEqual({
        command: 'frobnicate',
        exitCode: 2,
        error: { code: 'stuckjobs_usage_invalid', message: expect.stringContaining('frobnicate') as unknown },
      });
      expect(run.ms).toBeLessThan(250);
    });

    it('replay without --dry-run is 2 and says real replays need a second approver in Slack', async () => {
      const run = await runCapture(['replay', 'webhooks', '--tenant', 't-ok'], offline());
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('needs a second approver in Slack');
      expect(run.stderr).toContain('--dry-run');
      expect(run.stdout).toBe('');
    });

    it('Slack-only commands, bad options and a bad configuration are 2', async () => {
      for (const argv of [
        ['verify', 'webhooks'],
        ['done'],
        ['enqueue', 'recordings', 'r-1', '--dry-run'],
        ['diagnose', 'nope'],
        ['sample', 'webhooks', '99'],
        ['diagnose', '--new'],
      ]) {
        expect((await runCapture(argv, offline())).code).toBe(2);
      }
      const config = await runCapture(['diagnose'], { ...offline(), PORT: 'abc' });
      expect(config.code).toBe(2);
      expect(config.stderr).toContain('PORT: expected a whole number');
    });

    it('an unreachable Redis is 2, quickly, without showing the password', async () => {
      const run = await runCapture(['diagnose', '--json'], offline());
      expect(run.code).toBe(2);
      expect(run.ms).toBeLessThan(2_500);
      expect(run.stderr).toContain('redis://127.0.0.1:1');
      expect(run.stderr + run.stdout).not.toContain('hunter2');
      expect(JSON.parse(run.stdout)).toMatchObject({
        command: 'diagnose',
        exitCode: 2,
        error: { code: 'stuckjobs_redis_unreachable' },
      });
      expect((await runCapture(['replay', 'webhooks', '--dry-run'], offline())).code).toBe(2);
    });
  });

  it('empty queues are healthy: 0', async () => {
    const run = await runCapture(['diagnose'], cliEnv(fresh('clih')));
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('✓ 3 fine');
    const json = await runCapture(['diagnose', '--json'], cliEnv(fresh('clih')));
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      exitCode: 0,
      summary: { critical: 0, warning: 0, ok: 3 },
    });
  });

  describe('an incident', () => {
    const prefixes = fresh('clii');
    let env: NodeJS.ProcessEnv;
    let givenUpIds: string[];
    let workers: IdleWorkers;

    beforeAll(async () => {
      givenUpIds = await seedIncident(redis, prefixes.queue, tenant.url);
      workers = await startIdleWorkers(prefixes.queue, [WEBHOOK_QUEUE]);
      env = cliEnv(prefixes);
    }, 60_000);
    afterAll(() => workers?.close());

    it('given-up jobs need action: 1', async () => {
      const run = await runCapture(['diagnose', 'webhooks'], env);
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/^webhooks\s+webhook-delivery\s+✗ given-up/m);
      expect(run.stdout).toContain('Given up: 3 jobs exhausted their attempts');
    });

    it('a clean sample is 0 and prints one block per job with its checks', async () => {
      const run = await runCapture(['sample', 'webhooks', '5', '--tenant', 't-ok'], env);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('✓ All three checks passed on 3 sampled jobs.');
      for (const id of givenUpIds) {
        expect(run.stdout).toMatch(new RegExp(`^Job ${id} · handler deliver-webhook · attempts 1/1`, 'm'));
      }
      expect(run.stdout.match(/✓ well-formed/g)).toHaveLength(3);
      expect(run.stdout.match(/✓ handler-exists/g)).toHaveLength(3);
      expect(run.stdout).toContain('"event": "call.ended"');
    });

    it('a planned dry run is 0 and shows the job ids and the ladder line; nothing is replayed', async () => {
      const run = await runCapture(
        ['replay', 'webhooks', '--dry-run', '--tenant', 't-ok', '--batch', '2'],
        env,
      );
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^Dry run b-[0-9a-f]{12}: nothing will be replayed\./m);
      expect(run.stdout).toContain(
        'Ladder: batch 1, at most 10 jobs: limited by first batch of this replay (canary)',
      );
      const shown = /^Job ids: (.+)$/m.exec(run.stdout)?.[1]?.split(', ') ?? [];
      expect(shown).toHaveLength(2);
      for (const id of shown) expect(givenUpIds).toContain(id);
      for (const id of givenUpIds) {
        expect(await redis.zscore(`${prefixes.queue}:${WEBHOOK_QUEUE}:failed`, id)).not.toBeNull();
      }
      const json = JSON.parse(
        (await runCapture(['replay', 'webhooks', '--dry-run', '--tenant', 't-ok', '--json'], env)).stdout,
      ) as { result: string; jobIds: string[]; ladder: { maxSize: number } };
      expect(json.result).toBe('planned');
      expect(json.jobIds).toHaveLength(3);
      expect(json.ladder.maxSize).toBe(10);
    });

    it('a refused dry run is 1', async () => {
      const run = await runCapture(['replay', 'recordings', '--dry-run'], env);
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/✗ Dry run refused \(nothing-eligible\)/);
    });

    it('audit is 0 and lists what the CLI did, by cli:<login>', async () => {
      const run = await runCapture(['audit', '50'], env);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/diagnose by cli:tester: printed/);
      expect(run.stdout).toMatch(/sample by cli:tester: clean/);
      expect(run.stdout).toMatch(/plan by cli:tester: nothing-eligible/);
      const json = JSON.parse((await runCapture(['audit', '--json'], env)).stdout) as {
        entries: { action: string; actor: string }[];
      };
      expect(json.entries.length).toBeGreaterThanOrEqual(4);
      expect(new Set(json.entries.map((e) => e.actor))).toEqual(new Set(['cli:tester']));
    });
  });

  it('a sample whose checks fail is blocked: 1, and a dry run of that cohort is refused: 1', async () => {
    const prefixes = fresh('clib');
    await seedFailedFast({
      redis,
      prefix: prefixes.queue,
      queue: WEBHOOK_QUEUE,
      count: 2,
      name: 'deliver-webhook',
      // No url and no event: the payload check fails.
      dataFor: (i) => ({ tenantId: 't-bad', webhookId: `wh-${i}` }),
      failedReason: 'HTTP 503',
      attempts: 1,
    });
    const env = cliEnv(prefixes);
    const sample = await runCapture(['sample', 'webhooks', '--tenant', 't-bad'], env);
    expect(sample.code).toBe(1);
    expect(sample.stdout).toContain('✗ Blocked: stop and ask before replay.');
    expect(sample.stdout).toMatch(/✗ well-formed/);
    const json = JSON.parse(
      (await runCapture(['sample', 'webhooks', '--tenant', 't-bad', '--json'], env)).stdout,
    ) as {
      blocked: boolean;
      exitCode: number;
    };
    expect(json).toMatchObject({ blocked: true, exitCode: 1 });
    const plan = await runCapture(['replay', 'webhooks', '--dry-run', '--tenant', 't-bad'], env);
    expect(plan.code).toBe(1);
    expect(plan.stdout).toContain('Dry run refused (blocked)');
  });
});
