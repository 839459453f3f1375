import { createHmac } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { signSlackRequest, slackRequestHeaders } from '../../src/sandbox';
import { signSlackRequest as productionSign } from '../../src/slack-signing';

const ROOT = resolve(__dirname, '../..');

/** The project's own files `entry` imports, directly or through others (relative imports only). */
function localImports(entry: string): Set<string> {
  const seen = new Set<string>();
  const pending = [resolve(ROOT, entry)];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    for (const [, spec] of source.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
      if (spec === undefined) continue;
      const base = join(dirname(file), spec);
      const found = [`${base}.ts`, join(base, 'index.ts'), base].find((candidate) => existsSync(candidate));
      if (found !== undefined && found.endsWith('.ts')) pending.push(found);
    }
  }
  return new Set([...seen].map((file) => relative(ROOT, file)));
}

describe('signSlackRequest', () => {
  it('matches an HMAC-SHA256 of v0:timestamp:body computed independently', () => {
    const secret = '8f742231b10e8888abcd99yyyzzz85a5';
    const body =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&command=%2Fstuckjobs&text=diagnose+billing';
    const expected = `v0=${createHmac('sha256', secret).update(`v0:1531420618:${body}`).digest('hex')}`;

    expect(signSlackRequest(secret, 1531420618, body)).toBe(expected);
    expect(expected).toMatch(/^v0=[0-9a-f]{64}$/);
  });

  it('changes when the body, timestamp or secret changes', () => {
    const base = signSlackRequest('secret', 1700000000, 'a=1');
    expect(signSlackRequest('secret', 1700000000, 'a=2')).not.toBe(base);
    expect(signSlackRequest('secret', 1700000001, 'a=1')).not.toBe(base);
    expect(signSlackRequest('other', 1700000000, 'a=1')).not.toBe(base);
  });
});

describe('one signing helper for production and the emulator', () => {
  it('is the same function, re-exported by the sandbox', () => {
    expect(signSlackRequest).toBe(productionSign);
  });

  it('production request verification imports nothing from the emulator (src/sandbox)', () => {
    const graph = localImports('src/request-shield.ts');
    expect(graph).toContain('src/request-signature.ts');
    expect(graph).toContain('src/slack-signing.ts');
    expect([...graph].filter((file) => file.startsWith('src/sandbox/'))).toEqual([]);
  });
});

describe('slackRequestHeaders', () => {
  it('signs with the current time and the exact content type Bolt requires', () => {
    const before = Math.floor(Date.now() / 1000);
    const headers = slackRequestHeaders('secret', 'text=hi');
    const timestamp = Number(headers['x-slack-request-timestamp']);

    expect(headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(timestamp).toBeGreaterThanOrEqual(before);
    expect(timestamp).toBeLessThanOrEqual(before + 1);
    expect(headers['x-slack-signature']).toBe(signSlackRequest('secret', timestamp, 'text=hi'));
  });

  it('lets a test choose a stale timestamp or a forged signature', () => {
    const stale = slackRequestHeaders('secret', 'text=hi', { timestampSeconds: 1000 });
    expect(stale['x-slack-request-timestamp']).toBe('1000');
    expect(stale['x-slack-signature']).toBe(signSlackRequest('secret', 1000, 'text=hi'));

    const forged = slackRequestHeaders('secret', 'text=hi', { signature: 'v0=forged' });
    expect(forged['x-slack-signature']).toBe('v0=forged');
  });
});
