import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const CHILD = path.join(__dirname, 'crash-child.ts');

/**
 * Why not `tsc` into a temp dir: it compiles all of src/ (~15 s) and stops on
 * anyone's half-written file. Why not ts-node: not installed. This hook makes
 * `require` transpile each .ts file on load (types erased, no checking: tsc and
 * ts-jest check them), which is what ts-jest does inside jest. It runs through
 * `node -e` so that no plain .js file sits outside the type-checked, linted tree.
 */
const REGISTER_TYPESCRIPT = `
const fs = require('node:fs');
const ts = require('typescript');
require.extensions['.ts'] = (module, filename) => {
  const { outputText } = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
    fileName: filename,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  });
  module._compile(outputText, filename);
};
require(${JSON.stringify(CHILD)});
`;

export interface ChildEnv {
  readonly REDIS_URL: string;
  readonly STATE_PREFIX: string;
  readonly MODE: 'execute' | 'reconcile';
  readonly LEASE_MS: string;
  readonly BATCH_FILE?: string;
  readonly STEP_DELAY_MS?: string;
  readonly CRASH_AT?: string;
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
  const child = spawn(process.execPath, ['-e', REGISTER_TYPESCRIPT], {
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
