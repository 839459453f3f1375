import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { startPrivateRedis, type PrivateRedis } from '../../bench/lib/private-redis';
import {
  aclSetUserArgs,
  aclSetUserLine,
  aclUsers,
  globEscape,
  PASSWORD_PLACEHOLDER,
} from '../../src/redis-acl/acl-users';

const DOC = readFileSync(join(__dirname, '..', '..', 'docs', 'redis-acl.md'), 'utf8');
const DEFAULTS = { queuePrefix: 'bull', statePrefix: 'stuckjobs' };

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The `ACL SETUSER` lines of the doc's code blocks. */
function docLines(): string[] {
  return DOC.split('\n').filter((line) => line.startsWith('ACL SETUSER '));
}

/** Splits a line as redis-cli does: at spaces, a double-quoted part is one argument. */
function redisCliWords(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? '');
}

/** What a user may do, as Redis reports it (passwords left out). */
async function permissions(redis: Redis, user: string): Promise<unknown> {
  const flat = (await redis.call('ACL', 'GETUSER', user)) as unknown[];
  const fields = new Map<string, unknown>();
  for (let i = 0; i + 1 < flat.length; i += 2) fields.set(String(flat[i]), flat[i + 1]);
  return ['flags', 'commands', 'keys', 'channels', 'selectors'].map((name) => [name, fields.get(name)]);
}

describe('docs/redis-acl.md', () => {
  let server: PrivateRedis;

  beforeAll(async () => {
    server = await startPrivateRedis();
  }, 30_000);

  afterAll(async () => {
    await server?.stop();
  });

  it('shows exactly the ACL SETUSER lines src/redis-acl/acl-users.ts makes for the default prefixes', () => {
    expect(docLines()).toEqual(aclUsers(DEFAULTS).map(aclSetUserLine));
  });

  it('gives each rule of each user its reason, as the module states it', () => {
    for (const user of aclUsers(DEFAULTS)) {
      // The user's own section: from its `### name` heading to the next heading.
      const section = DOC.split(/^#{2,3} /m).find((part) => part.startsWith(`\`${user.name}\``)) ?? '';
      expect(section).not.toBe('');
      for (const { rule, why } of user.rules) {
        // In a Markdown table a `|` inside a cell is written `\|`; prettier pads the cells.
        const cell = escapeRegExp(`\`${rule.replace(/\|/g, '\\|')}\``);
        expect(section).toMatch(new RegExp(`^\\| ${cell} +\\| ${escapeRegExp(why)} +\\|$`, 'm'));
      }
    }
  });

  it('grants, typed into redis-cli as printed, the very permissions the tests apply', async () => {
    for (const [i, user] of aclUsers(DEFAULTS).entries()) {
      const words = redisCliWords(docLines()[i] ?? '');
      const placeholder = `>${PASSWORD_PLACEHOLDER[user.name] ?? ''}`;
      const typed = words.slice(2).map((w) => (w === placeholder ? '>pw-doc' : w));
      expect(typed[0]).toBe(user.name);
      await server.client.call('ACL', ...['SETUSER', `doc-${user.name}`, ...typed.slice(1)]);
      await server.client.call(
        'ACL',
        ...aclSetUserArgs(user, 'pw-code').map((a, j) => (j === 1 ? `code-${a}` : a)),
      );
      const fromDoc = await permissions(server.client, `doc-${user.name}`);
      expect(fromDoc).toEqual(await permissions(server.client, `code-${user.name}`));
      expect(JSON.stringify(fromDoc)).toContain('+hmget');
      expect(JSON.stringify(fromDoc)).toContain('~bull:*');
    }
  });

  it('escapes glob characters of a prefix, so a pattern matches only that prefix', () => {
    expect(globEscape('{delphi}:bull')).toBe('{delphi}:bull');
    expect(globEscape('q*[1]?')).toBe('q\\*\\[1\\]\\?');
    const [read] = aclUsers({ queuePrefix: 'a*b', statePrefix: 's' });
    expect(read?.rules.map((r) => r.rule)).toContain('%R~a\\*b:*');
  });
});
