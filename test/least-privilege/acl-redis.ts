import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { startPrivateRedis, type PrivateRedis } from '../../bench/lib/private-redis';
import {
  aclSetUserArgs,
  aclUsers,
  READ_USER,
  REPLAY_USER,
  type AclPrefixes,
} from '../../src/redis-acl/acl-users';

/**
 * A private redis-server with the two users of docs/redis-acl.md, made by the
 * same function the doc is checked against. ACL SETUSER never runs on the
 * shared Redis.
 */
export interface AclRedis {
  readonly server: PrivateRedis;
  /** The default (admin) user: setup and assertions only, never the bot. */
  readonly admin: Redis;
  readonly readUrl: string;
  readonly replayUrl: string;
  /** A plain client logged in as `user`; closed by `stop()`. */
  as(user: typeof READ_USER | typeof REPLAY_USER): Redis;
  /** The same for a user a test made itself. */
  asUser(user: string, password: string): Redis;
  /** ACL LOG entries since the last `resetLog()`, as objects. */
  log(): Promise<AclLogEntry[]>;
  resetLog(): Promise<void>;
  stop(): Promise<void>;
}

export interface AclLogEntry {
  readonly reason: string;
  readonly context: string;
  /** The command (reason `command`) or key (reason `key`) refused. */
  readonly object: string;
  readonly username: string;
  readonly count: number;
}

function toEntry(raw: unknown): AclLogEntry {
  const flat = Array.isArray(raw) ? (raw as unknown[]) : [];
  const fields = new Map<string, unknown>();
  for (let i = 0; i + 1 < flat.length; i += 2) fields.set(String(flat[i]), flat[i + 1]);
  return {
    reason: String(fields.get('reason')),
    context: String(fields.get('context')),
    object: String(fields.get('object')),
    username: String(fields.get('username')),
    count: Number(fields.get('count')),
  };
}

export async function startAclRedis(prefixes: AclPrefixes): Promise<AclRedis> {
  const server = await startPrivateRedis();
  const passwords = {
    [READ_USER]: randomBytes(16).toString('hex'),
    [REPLAY_USER]: randomBytes(16).toString('hex'),
  };
  try {
    for (const user of aclUsers(prefixes)) {
      await server.client.call(
        'ACL',
        ...aclSetUserArgs(user, passwords[user.name as keyof typeof passwords]),
      );
    }
  } catch (err) {
    await server.stop();
    throw err;
  }
  const urlOf = (user: keyof typeof passwords) =>
    `redis://${user}:${passwords[user]}@127.0.0.1:${server.port}`;
  const clients: Redis[] = [];
  const connect = (url: string): Redis => {
    const client = new Redis(url, { maxRetriesPerRequest: 1, enableReadyCheck: false });
    client.on('error', () => undefined);
    clients.push(client);
    return client;
  };
  return {
    server,
    admin: server.client,
    readUrl: urlOf(READ_USER),
    replayUrl: urlOf(REPLAY_USER),
    as: (user) => connect(urlOf(user)),
    asUser: (user, password) => connect(`redis://${user}:${password}@127.0.0.1:${server.port}`),
    log: async () => ((await server.client.call('ACL', 'LOG')) as unknown[]).map(toEntry),
    resetLog: async () => {
      await server.client.call('ACL', 'LOG', 'RESET');
    },
    stop: async () => {
      await Promise.allSettled(clients.map((c) => c.quit().catch(() => c.disconnect())));
      await server.stop();
    },
  };
}

/** What Redis answers a refused command, key, or command inside a script. */
export const REFUSED = /NOPERM|can't run this command|can't access at least one of the keys/;
