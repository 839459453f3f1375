import type { Redis } from 'ioredis';

/**
 * The longest single command Redis executed while a piece of work ran, from
 * the server's own SLOWLOG (execution time only, no network, no queueing; a
 * Lua script counts as its one EVAL/EVALSHA). Independent of LATENCY MONITOR.
 *
 *   const probe = await startSlowestCall(redis);   // logs every command from now on
 *   await work();
 *   const slowest = await probe.stop();             // reads the log, restores the config
 *
 * Only for a private Redis: it rewrites the server's slowlog settings and
 * clears its slowlog. Commands inside MULTI/EXEC are logged one by one (EXEC
 * itself is not), so a transaction shows its slowest command, not its total.
 */
export interface SlowestCall {
  /** Longest execution, µs; 0 when nothing was logged. */
  readonly micros: number;
  /** Its command name, lowercased (`evalsha`, `hset`, …); '' when nothing was logged. */
  readonly command: string;
  /** Its first arguments as Redis logged them (a script's sha, a key), for the report. */
  readonly args: readonly string[];
  /** Commands logged (the probe's own excluded). */
  readonly commands: number;
  /** False when the log filled up: older entries were dropped, so the maximum may be a lower bound. */
  readonly complete: boolean;
}

export interface SlowestCallProbe {
  stop(): Promise<SlowestCall>;
}

/** Entries kept: more than any bench here issues; each costs a few hundred bytes of server memory. */
export const SLOWLOG_MAX_LEN = 1_000_000;

const OWN_COMMANDS = new Set(['slowlog', 'config']);

function configValue(reply: unknown): string | undefined {
  if (Array.isArray(reply)) return reply[1] === undefined ? undefined : String(reply[1]);
  if (reply && typeof reply === 'object')
    return Object.values(reply as Record<string, unknown>).map(String)[0];
  return undefined;
}

export async function startSlowestCall(redis: Redis): Promise<SlowestCallProbe> {
  const previousThreshold = configValue(await redis.config('GET', 'slowlog-log-slower-than'));
  const previousMaxLen = configValue(await redis.config('GET', 'slowlog-max-len'));
  await redis.config('SET', 'slowlog-max-len', String(SLOWLOG_MAX_LEN));
  await redis.config('SET', 'slowlog-log-slower-than', '0');
  await redis.call('SLOWLOG', 'RESET');
  let stopped: Promise<SlowestCall> | undefined;
  const stop = async (): Promise<SlowestCall> => {
    // Raised first, so reading the log adds nothing to it.
    await redis.config('SET', 'slowlog-log-slower-than', '-1');
    try {
      const entries = (await redis.call('SLOWLOG', 'GET', '-1')) as unknown[];
      let micros = 0;
      let command = '';
      let args: string[] = [];
      let commands = 0;
      for (const entry of entries) {
        if (!Array.isArray(entry)) continue;
        const argv = Array.isArray(entry[3]) ? (entry[3] as unknown[]).map(String) : [];
        const name = (argv[0] ?? '').toLowerCase();
        if (OWN_COMMANDS.has(name)) continue;
        commands += 1;
        const duration = Number(entry[2]);
        if (duration > micros) {
          micros = duration;
          command = name;
          args = argv.slice(1, 3);
        }
      }
      return { micros, command, args, commands, complete: entries.length < SLOWLOG_MAX_LEN };
    } finally {
      await redis.call('SLOWLOG', 'RESET');
      await redis.config('SET', 'slowlog-max-len', previousMaxLen ?? '128');
      await redis.config('SET', 'slowlog-log-slower-than', previousThreshold ?? '10000');
    }
  };
  return {
    stop: () => {
      stopped ??= stop();
      return stopped;
    },
  };
}
