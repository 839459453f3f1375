import { spawn } from 'node:child_process';
import path from 'node:path';
import { closedPortUrl } from './helpers/loopback';
import { deleteKeysWithPrefix, randomPrefix, testRedis, testRedisUrl } from './helpers/redis';
import { typescriptNodeArgs } from './helpers/run-typescript';

const MAIN = path.join(__dirname, '..', 'src', 'main.ts');

interface Run {
  readonly exit: Promise<{ code: number | null; stderr: string; stdout: string }>;
  readonly kill: (signal: NodeJS.Signals) => void;
}

function runMain(env: Record<string, string>): Run {
  const child = spawn(process.execPath, typescriptNodeArgs(MAIN), {
    cwd: path.join(__dirname, '..'),
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exit = new Promise<{ code: number | null; stderr: string; stdout: string }>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, stdout });
    });
  });
  return { exit, kill: (signal) => child.kill(signal) };
}

async function healthy(port: number, timeoutMs = 15_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200) return true;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

describe('main', () => {
  it('refuses to start on bad settings with one message naming every bad variable', async () => {
    const { code, stderr } = await runMain({ PORT: 'abc', SLACK_BOT_TOKEN: 'xoxp-1', APPROVERS: 'bob' }).exit;
    expect(code).toBe(1);
    expect(stderr).toMatch(/^stuckjobs cannot start; fix these settings:\n/);
    for (const name of ['PORT', 'SLACK_BOT_TOKEN', 'APPROVERS', 'SLACK_SIGNING_SECRET'])
      expect(stderr).toContain(name);
  });

  it('starts the sandbox and exits 0 on SIGTERM after closing everything', async () => {
    const prefix = randomPrefix('main');
    const port = Number(new URL(await closedPortUrl()).port);
    const run = runMain({
      PORT: String(port),
      REDIS_URL: testRedisUrl(),
      SANDBOX_PREFIX: prefix,
      LOG_LEVEL: 'info',
    });
    expect(await healthy(port)).toBe(true);
    run.kill('SIGTERM');
    const { code, stdout } = await run.exit;
    expect(code).toBe(0);
    expect(stdout).toContain('"msg":"shutting down"');
    expect(stdout).toContain('"msg":"demo incident seeded"');
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
    const redis = testRedis();
    await deleteKeysWithPrefix(redis, prefix);
    await redis.quit();
  }, 30_000);
});
