import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

export interface RecordedCommand {
  /** Upper-case command name, e.g. `HMGET`. */
  readonly name: string;
  readonly args: readonly string[];
  /** `ip:port` of the client, or `lua` for commands a script ran. */
  readonly source: string;
}

export interface CommandCounter {
  /** Stops recording and returns what the server executed since start, in order. */
  stop(): Promise<RecordedCommand[]>;
}

export interface CommandCounterOptions {
  /**
   * Keep only commands from these client addresses (see `clientAddress`), plus
   * every command run inside a script (`lua`): MONITOR cannot tell whose
   * script that was, and script writes are exactly what a safety test must see.
   */
  readonly sources?: readonly string[];
}

/** The address MONITOR shows for this client (`ip:port`), read with CLIENT INFO. */
export async function clientAddress(redis: Redis): Promise<string> {
  const info = String(await redis.call('CLIENT', 'INFO'));
  const addr = /(?:^|\s)addr=(\S+)/.exec(info)?.[1];
  if (!addr) throw new Error(`no addr in CLIENT INFO: ${info}`);
  return addr;
}

/**
 * Record every command the server executes, via MONITOR on a connection of
 * its own. Stopping sends a sentinel from another connection and waits until
 * MONITOR shows it: Redis feeds monitors in execution order, so everything
 * issued before stop() is then recorded.
 */
export async function startCommandCounter(
  url: string,
  options: CommandCounterOptions = {},
): Promise<CommandCounter> {
  const sentinel = new Redis(url, { maxRetriesPerRequest: 1 });
  sentinel.on('error', () => undefined);
  const sentinelAddress = await clientAddress(sentinel);
  const token = `command-counter-${randomBytes(6).toString('hex')}`;
  const base = new Redis(url, { lazyConnect: true });
  const monitor = await base.monitor();
  monitor.on('error', () => undefined);

  const recorded: RecordedCommand[] = [];
  let sawSentinel: (() => void) | undefined;
  const sources = options.sources ? new Set(options.sources) : undefined;
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (source === sentinelAddress) {
      if (args.includes(token)) sawSentinel?.();
      return;
    }
    if (sources && source !== 'lua' && !sources.has(source)) return;
    const [name = '', ...rest] = args;
    recorded.push({ name: name.toUpperCase(), args: rest, source });
  });

  let stopped: Promise<RecordedCommand[]> | undefined;
  const stop = async (): Promise<RecordedCommand[]> => {
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error('MONITOR did not show the sentinel within 5 s')),
          5_000,
        );
        sawSentinel = () => {
          clearTimeout(timer);
          resolve();
        };
        sentinel.echo(token).catch(reject);
      });
    } finally {
      monitor.disconnect();
      base.disconnect();
      await sentinel.quit().catch(() => sentinel.disconnect());
    }
    return [...recorded];
  };
  return {
    stop: () => {
      stopped ??= stop();
      return stopped;
    },
  };
}

/** Commands whose key arguments include one under `prefix`. */
export function touchingPrefix(commands: readonly RecordedCommand[], prefix: string): RecordedCommand[] {
  return commands.filter((command) => command.args.some((arg) => arg.startsWith(prefix)));
}

export type WriteKind = 'write' | 'script';

const WRITE_COMMANDS = new Set(
  `APPEND BITFIELD BITOP BLMOVE BLMPOP BLPOP BRPOP BRPOPLPUSH BZMPOP BZPOPMAX BZPOPMIN COPY DECR DECRBY
   DEL EXPIRE EXPIREAT FLUSHALL FLUSHDB GEOADD GEORADIUS GEORADIUSBYMEMBER GEOSEARCHSTORE GETDEL GETEX
   GETSET HDEL HINCRBY HINCRBYFLOAT HMSET HSET HSETNX INCR INCRBY INCRBYFLOAT LINSERT LMOVE LMPOP LPOP
   LPUSH LPUSHX LREM LSET LTRIM MIGRATE MOVE MSET MSETNX PERSIST PEXPIRE PEXPIREAT PFADD PFMERGE PSETEX
   RENAME RENAMENX RESTORE RPOP RPOPLPUSH RPUSH RPUSHX SADD SDIFFSTORE SET SETBIT SETEX SETNX SETRANGE
   SINTERSTORE SMOVE SORT SPOP SREM SUNIONSTORE SWAPDB UNLINK XACK XADD XAUTOCLAIM XCLAIM XDEL XGROUP
   XSETID XTRIM ZADD ZDIFFSTORE ZINCRBY ZINTERSTORE ZMPOP ZPOPMAX ZPOPMIN ZRANGESTORE ZREM
   ZREMRANGEBYLEX ZREMRANGEBYRANK ZREMRANGEBYSCORE ZUNIONSTORE`.split(/\s+/),
);

/** Scripts may write anything: a test inspects them (and their `lua` commands) separately. */
const SCRIPT_COMMANDS = new Set(['EVAL', 'EVALSHA', 'FCALL', 'SCRIPT', 'FUNCTION']);

/** `write` for commands that change keys, `script` for code that may, null for reads. */
export function writeKind(name: string): WriteKind | null {
  const upper = name.toUpperCase();
  if (WRITE_COMMANDS.has(upper)) return 'write';
  if (SCRIPT_COMMANDS.has(upper)) return 'script';
  return null;
}

/** True for writes and for scripts (which may write): the conservative reading. */
export function isWriteCommand(name: string): boolean {
  return writeKind(name) !== null;
}
