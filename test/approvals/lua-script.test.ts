import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { LuaScript } from '../../src/approvals/lua-script';
import { randomPrefix, testRedis } from '../helpers/redis';

const LUA_DIR = path.resolve(__dirname, '../../src/approvals/lua');
const files = readdirSync(LUA_DIR).filter((name) => name.endsWith('.lua'));

describe('Lua files (STYLE: name-<numKeys>.lua with a header)', () => {
  it('exist', () => {
    expect(files.sort()).toEqual(['claim-2.lua', 'create-2.lua', 'decide-3.lua', 'finish-3.lua']);
  });

  it.each(files)(
    '%s documents KEYS, ARGV and its output in a header, and uses only its declared keys',
    (file) => {
      const source = readFileSync(path.join(LUA_DIR, file), 'utf8');
      const numKeys = Number(/-(\d+)\.lua$/.exec(file)![1]);
      const header = /^--\[\[([\s\S]*?)\]\]/.exec(source)?.[1] ?? '';
      for (let i = 1; i <= numKeys; i++) expect(header).toContain(`KEYS[${i}]`);
      expect(header).toContain('ARGV[1]');
      expect(header).toContain('Output');
      const body = source.slice(source.indexOf(']]') + 2);
      const used = [...body.matchAll(/KEYS\[(\d+)\]/g)].map((m) => Number(m[1]));
      expect(Math.max(...used)).toBe(numKeys);
      // Every ARGV the body reads is described in the header.
      for (const [, n] of body.matchAll(/ARGV\[(\d+)\]/g)) expect(header).toContain(`ARGV[${n}]`);
    },
  );
});

describe('LuaScript', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = testRedis();
  });
  afterAll(() => redis.quit());

  it('takes its key count from the file name and refuses other names', () => {
    expect(new LuaScript('decide-3.lua', 'return 1').numKeys).toBe(3);
    expect(() => new LuaScript('decide.lua', 'return 1')).toThrow(/name-<numKeys>/);
  });

  it('fails at load, not at first use, when a file is missing', () => {
    expect(() => LuaScript.load('missing-1.lua')).toThrow(/not found/);
    expect(LuaScript.load('decide-3.lua').source).toContain('KEYS[1]');
  });

  it('falls back to EVAL when Redis does not have the script, which caches it for EVALSHA', async () => {
    // A never-seen source stands in for SCRIPT FLUSH, which would disturb every other test on this Redis.
    const script = new LuaScript(
      'echo-1.lua',
      `-- ${randomBytes(8).toString('hex')}\nreturn { KEYS[1], ARGV[1] }`,
    );
    const key = `${randomPrefix('lua')}:k`;
    expect(await redis.script('EXISTS', script.sha1)).toEqual([0]);
    expect(await script.run(redis, [key], ['x'])).toEqual([key, 'x']);
    expect(await redis.script('EXISTS', script.sha1)).toEqual([1]);
    expect(await script.run(redis, [key], [42])).toEqual([key, '42']);
  });

  it('refuses a call with the wrong number of keys', async () => {
    const script = new LuaScript('echo-1.lua', 'return 1');
    await expect(script.run(redis, [], [])).rejects.toThrow(/takes 1 keys/);
    await expect(script.run(redis, ['a', 'b'], [])).rejects.toThrow(/takes 1 keys/);
  });

  it('passes script errors through', async () => {
    const script = new LuaScript(
      'boom-0.lua',
      `-- ${randomBytes(8).toString('hex')}\nreturn redis.error_reply('ERR boom')`,
    );
    await expect(script.run(redis, [], [])).rejects.toThrow(/boom/);
  });
});
