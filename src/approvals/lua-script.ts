import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Redis } from 'ioredis';

/**
 * `tsc` copies no `.lua` files: next to this module when the build copied them,
 * else the source tree (from `dist/src/approvals` or from `src/approvals`).
 */
const DEFAULT_DIRS: readonly string[] = [
  path.join(__dirname, 'lua'),
  path.resolve(__dirname, '..', '..', '..', 'src', 'approvals', 'lua'),
];

const FILE_NAME = /^([a-z][a-z0-9-]*)-(\d+)\.lua$/;

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

/**
 * One Lua script from its own file, `name-<numKeys>.lua` (the BullMQ
 * convention): the name states how many KEYS it takes, and `run` holds callers
 * to it, so a script never touches a key Redis was not told about.
 */
export class LuaScript {
  readonly sha1: string;
  readonly numKeys: number;

  constructor(
    readonly fileName: string,
    readonly source: string,
  ) {
    const match = FILE_NAME.exec(fileName);
    if (!match) throw new Error(`Lua file '${fileName}' is not named name-<numKeys>.lua`);
    this.numKeys = Number(match[2]);
    this.sha1 = createHash('sha1').update(source, 'utf8').digest('hex');
  }

  /** Read once at start-up: a missing script fails the start, not the first approval click. */
  static load(fileName: string, dirs: readonly string[] = DEFAULT_DIRS): LuaScript {
    const dir = dirs.find((candidate) => existsSync(path.join(candidate, fileName)));
    if (dir === undefined) throw new Error(`Lua script ${fileName} not found in ${dirs.join(', ')}`);
    return new LuaScript(fileName, readFileSync(path.join(dir, fileName), 'utf8'));
  }

  /**
   * EVALSHA, and EVAL when Redis has not cached the script (after a restart or
   * SCRIPT FLUSH); EVAL caches it, so the next call is an EVALSHA again. The
   * script is atomic either way.
   */
  async run(redis: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    if (keys.length !== this.numKeys) {
      throw new Error(`${this.fileName} takes ${this.numKeys} keys, got ${keys.length}`);
    }
    try {
      return await redis.evalsha(this.sha1, this.numKeys, ...keys, ...args);
    } catch (error) {
      if (!isNoScript(error)) throw error;
      return redis.eval(this.source, this.numKeys, ...keys, ...args);
    }
  }
}
