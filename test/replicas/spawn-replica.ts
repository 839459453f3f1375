import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { typescriptNodeArgs } from '../helpers/run-typescript';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const CHILD = path.join(__dirname, 'replica-child.ts');

/** Transpiling the bot's modules on load takes a few seconds on a busy machine. */
const START_TIMEOUT_MS = 60_000;

export interface Replica {
  readonly name: string;
  readonly pid: number;
  /** Where Slack sends this replica's commands and clicks. */
  readonly eventsUrl: string;
  /** Everything it logged so far (JSON lines), for a failing test's message. */
  stderr(): string;
  /** SIGKILL: no `finally`, no shutdown hook, no flushed buffer survives, as in a real crash. */
  kill(): Promise<void>;
  /** SIGTERM, as a deploy stops it; waits for the exit. */
  stop(): Promise<void>;
}

/** Starts replica-child.ts with exactly `env` (plus PATH) and resolves once it serves. */
export function startReplica(name: string, env: Readonly<Record<string, string>>): Promise<Replica> {
  const child = spawn(process.execPath, typescriptNodeArgs(CHILD), {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  return new Promise<Replica>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`replica ${name} did not start in ${START_TIMEOUT_MS} ms:\n${stderr.slice(-4000)}`));
    }, START_TIMEOUT_MS);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      reject(
        new Error(`replica ${name} exited (${code ?? signal}) before it served:\n${stderr.slice(-4000)}`),
      );
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      const ready = /^ready (\d+)$/.exec(line);
      if (!ready) return;
      clearTimeout(timer);
      resolve(replicaOf(name, child, `http://127.0.0.1:${ready[1]}/slack/events`, () => stderr, exited));
    });
  });
}

function replicaOf(
  name: string,
  child: ChildProcess,
  eventsUrl: string,
  stderr: () => string,
  exited: Promise<void>,
): Replica {
  const signal = async (which: NodeJS.Signals): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(which);
    await exited;
  };
  return {
    name,
    pid: child.pid ?? -1,
    eventsUrl,
    stderr,
    kill: () => signal('SIGKILL'),
    stop: async () => {
      // A stop that hangs would hold the test run: SIGKILL after main.ts's own force-exit delay.
      const force = setTimeout(() => child.kill('SIGKILL'), 12_000);
      await signal('SIGTERM');
      clearTimeout(force);
    },
  };
}
