import type { Redis } from 'ioredis';

/** Calls per command name (lower case, as INFO commandstats names them). */
export type CommandCalls = Readonly<Record<string, number>>;

export interface CommandDelta {
  readonly calls: CommandCalls;
  readonly total: number;
}

export interface SlowCall {
  /** Microseconds, as SLOWLOG measures them (server-side execution only). */
  readonly micros: number;
  readonly command: string;
  readonly args: readonly string[];
  readonly clientName: string;
}

/** `cmdstat_llen:calls=3,usec=…` lines → { llen: 3 }. Subcommands read as `client|list`. */
export function parseCommandStats(info: string): Record<string, number> {
  const calls: Record<string, number> = {};
  for (const line of info.split(/\r?\n/)) {
    const match = /^cmdstat_([^:]+):calls=(\d+)/.exec(line);
    if (match?.[1] && match[2]) calls[match[1]] = Number(match[2]);
  }
  return calls;
}

export async function readCommandStats(redis: Redis): Promise<Record<string, number>> {
  return parseCommandStats(await redis.info('commandstats'));
}

/** What ran between two readings; the reading's own INFO and any names in `ignore` left out. */
export function commandDelta(
  before: CommandCalls,
  after: CommandCalls,
  ignore: readonly string[] = ['info'],
): CommandDelta {
  const calls: Record<string, number> = {};
  for (const [name, count] of Object.entries(after)) {
    const delta = count - (before[name] ?? 0);
    if (delta > 0 && !ignore.includes(name)) calls[name] = delta;
  }
  return { calls, total: Object.values(calls).reduce((a, b) => a + b, 0) };
}

/** `a - b` per command, never below zero (e.g. to leave out a background sampler's known share). */
export function subtractCalls(a: CommandDelta, b: CommandCalls): CommandDelta {
  const calls: Record<string, number> = {};
  for (const [name, count] of Object.entries(a.calls)) {
    const left = count - (b[name] ?? 0);
    if (left > 0) calls[name] = left;
  }
  return { calls, total: Object.values(calls).reduce((x, y) => x + y, 0) };
}

/**
 * Counts commands on one Redis between `start()` and `stop()` with INFO
 * commandstats (server-wide: run nothing else against the server meanwhile),
 * and records the slowest calls with SLOWLOG at threshold 0.
 */
export class CommandStats {
  private before: Record<string, number> = {};
  private previousThreshold: string | undefined;

  constructor(private readonly redis: Redis) {}

  /** Logs every command from now on; `restore()` puts the threshold back. */
  async logEverything(maxLen = 10_000): Promise<void> {
    const [, threshold] = (await this.redis.config('GET', 'slowlog-log-slower-than')) as [string, string];
    this.previousThreshold ??= threshold;
    await this.redis.config('SET', 'slowlog-log-slower-than', '0');
    await this.redis.config('SET', 'slowlog-max-len', String(maxLen));
  }

  async start(): Promise<void> {
    await this.redis.slowlog('RESET');
    this.before = await readCommandStats(this.redis);
  }

  async stop(): Promise<CommandDelta> {
    const after = await readCommandStats(this.redis);
    // INFO, SLOWLOG and CONFIG are the measurement's own.
    return commandDelta(this.before, after, [
      'info',
      'slowlog|reset',
      'slowlog|get',
      'slowlog',
      'config|set',
    ]);
  }

  /** The slowest logged calls since `start()`, slowest first, leaving out the measurement's own and `skipClients`. */
  async slowest(count = 1, skipClients: readonly string[] = []): Promise<SlowCall[]> {
    const entries = (await this.redis.slowlog('GET', -1)) as unknown[];
    const calls = entries.flatMap((entry): SlowCall[] => {
      if (!Array.isArray(entry)) return [];
      const [, , micros, argv, , clientName] = entry as [number, number, number, string[], string, string];
      const [command = '', ...args] = argv;
      if (/^(info|slowlog|config)$/i.test(command)) return [];
      if (skipClients.includes(clientName ?? '')) return [];
      return [
        { micros, command: command.toUpperCase(), args: args.slice(0, 6), clientName: clientName ?? '' },
      ];
    });
    return calls.sort((a, b) => b.micros - a.micros).slice(0, count);
  }

  /**
   * Calls per command since `start()` by the clients named, from SLOWLOG (which
   * logs each command of a MULTI, but not EXEC: one EXEC per MULTI is added).
   */
  async callsBy(clientNames: readonly string[]): Promise<Record<string, number>> {
    const entries = (await this.redis.slowlog('GET', -1)) as unknown[];
    const calls: Record<string, number> = {};
    for (const entry of entries) {
      if (!Array.isArray(entry)) continue;
      const [, , , argv, , clientName] = entry as [number, number, number, string[], string, string];
      if (!clientNames.includes(clientName ?? '')) continue;
      const name = (argv[0] ?? '').toLowerCase();
      calls[name] = (calls[name] ?? 0) + 1;
    }
    if (calls.multi) calls.exec = (calls.exec ?? 0) + calls.multi;
    return calls;
  }

  async restore(): Promise<void> {
    if (this.previousThreshold !== undefined) {
      await this.redis.config('SET', 'slowlog-log-slower-than', this.previousThreshold);
    }
  }
}
