import { runCli, type CliIo } from '../../src/cli/main';
import { randomPrefix, testRedisUrl } from '../helpers/redis';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

export interface RunOptions {
  /** Pretend stdout is a terminal. */
  readonly tty?: boolean;
}

/** Runs the CLI in-process with captured output, as `stuckjobs <argv…>` would with this environment. */
export async function runCapture(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  options: RunOptions = {},
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: {
      write: (chunk: string) => (stdout += chunk),
      ...(options.tty ? { isTTY: true } : {}),
    },
    stderr: { write: (chunk: string) => (stderr += chunk) },
    env,
  };
  const started = Date.now();
  const code = await runCli(argv, io);
  return { code, stdout, stderr, ms: Date.now() - started };
}

export interface CliPrefixes {
  /** Delphi's keys (QUEUE_PREFIX). */
  readonly queue: string;
  /** The bot's own keys (STATE_PREFIX): gate, dry-run manifests, audit. */
  readonly state: string;
}

export function cliPrefixes(label: string): CliPrefixes {
  const queue = randomPrefix(label);
  return { queue, state: `${queue}-bot` };
}

/** The bot's environment for one test: its own prefixes, a short trend window, loopback tenants allowed. */
export function cliEnv(prefixes: CliPrefixes, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    REDIS_URL: testRedisUrl(),
    QUEUE_PREFIX: prefixes.queue,
    STATE_PREFIX: prefixes.state,
    TREND_WINDOW_MS: '100',
    PROBE_TIMEOUT_MS: '1500',
    WEBHOOK_PROBE_ALLOW_PRIVATE: 'true',
    USER: 'tester',
    ...extra,
  };
}

/** Any ANSI escape sequence (CSI). */
export const ANSI = /\u001b\[/;
