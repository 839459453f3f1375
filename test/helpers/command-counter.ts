import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
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
 * Parses one MONITOR line: `+1700000000.123456 [0 127.0.0.1:5000] "hset" "k" "v"`.
 * Arguments are double-quoted with C-style escapes (\" \\ \n \r \t \xHH).
 */
export function parseMonitorLine(line: string): { source: string; args: string[] } | undefined {
  const head = /^\+\d+\.\d+ \[\d+ ([^\]]+)\] /.exec(line);
  if (!head?.[1]) return undefined;
  const args: string[] = [];
  const rest = line.slice(head[0].length);
  const escapes: Record<string, string> = { n: '\n', r: '\r', t: '\t', a: '\u0007', b: '\b' };
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] !== '"') continue;
    let arg = '';
    for (i++; i < rest.length && rest[i] !== '"'; i++) {
      if (rest[i] !== '\\') {
        arg += rest[i];
        continue;
      }
      const next = rest[++i] ?? '';
      if (next === 'x') {
        arg += String.fromCharCode(parseInt(rest.slice(i + 1, i + 3), 16));
        i += 2;
      } else arg += escapes[next] ?? next;
    }
    args.push(arg);
  }
  return { source: head[1], args };
}

/**
 * Record every command the server executes, via MONITOR on a raw socket of its
 * own (ioredis can misread MONITOR lines that arrive with its +OK under load).
 * Stopping sends a sentinel from another connection and waits until MONITOR
 * shows it: Redis feeds monitors in execution order, so everything issued
 * before stop() is then recorded.
 */
export async function startCommandCounter(
  url: string,
  options: CommandCounterOptions = {},
): Promise<CommandCounter> {
  const sentinel = new Redis(url, { maxRetriesPerRequest: 1 });
  sentinel.on('error', () => undefined);
  const sentinelAddress = await clientAddress(sentinel);
  const token = `command-counter-${randomBytes(6).toString('hex')}`;
  const { hostname, port, password } = new URL(url);
  const socket = connect({ host: hostname || '127.0.0.1', port: Number(port || 6379) });
  socket.on('error', () => undefined);

  const recorded: RecordedCommand[] = [];
  let sawSentinel: (() => void) | undefined;
  let okReplies = 0;
  let monitoring: (() => void) | undefined;
  const sources = options.sources ? new Set(options.sources) : undefined;
  let buffer = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    let newline: number;
    while ((newline = buffer.indexOf('\r\n')) !== -1) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 2);
      if (line === '+OK') {
        okReplies++;
        monitoring?.();
        continue;
      }
      const parsed = parseMonitorLine(line);
      if (!parsed) continue;
      if (parsed.source === sentinelAddress) {
        if (parsed.args.includes(token)) sawSentinel?.();
        continue;
      }
      if (sources && parsed.source !== 'lua' && !sources.has(parsed.source)) continue;
      const [name = '', ...rest] = parsed.args;
      recorded.push({ name: name.toUpperCase(), args: rest, source: parsed.source });
    }
  });
  // AUTH (when the URL has a password) and MONITOR each answer +OK; after both, lines are commands.
  const expectedOks = password ? 2 : 1;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('MONITOR did not start within 5 s')), 5_000);
    monitoring = () => {
      if (okReplies < expectedOks) return;
      clearTimeout(timer);
      monitoring = undefined;
      resolve();
    };
    if (password) socket.write(`AUTH ${decodeURIComponent(password)}\r\n`);
    socket.write('MONITOR\r\n');
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
      socket.destroy();
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
