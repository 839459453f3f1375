import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { typescriptNodeArgs } from '../../helpers/run-typescript';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const CHILD = path.join(__dirname, 'crash-child.ts');

export interface ChildEnv {
  readonly REDIS_URL: string;
  readonly STATE_PREFIX: string;
  readonly MODE: 'execute' | 'reconcile';
  readonly LEASE_MS: string;
  readonly BATCH_FILE?: string;
  readonly STEP_DELAY_MS?: string;
  readonly CRASH_AT?: string;
  readonly CHUNK_SIZE?: string;
}

export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The highest `progress` count the child reported. */
  readonly done: number;
  readonly finished: boolean;
  readonly stderr: string;
}

const HANG_MS = 20_000;

/**
 * Run crash-child.ts. With `killAtDone`, the parent SIGKILLs it as soon as it
 * reports that many settled jobs: a crash at a point the child cannot see coming.
 */
export function runChild(env: ChildEnv, killAtDone?: number): Promise<ChildExit> {
  const child = spawn(process.execPath, typescriptNodeArgs(CHILD), {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let done = 0;
  let finished = false;
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr += chunk;
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    const progress = /^progress (\d+) \d+$/.exec(line);
    if (progress) done = Math.max(done, Number(progress[1]));
    if (line === 'finished') finished = true;
    if (killAtDone !== undefined && done >= killAtDone) child.kill('SIGKILL');
  });
  const hang = setTimeout(() => child.kill('SIGKILL'), HANG_MS);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(hang);
      resolve({ code, signal, done, finished, stderr });
    });
  });
}
