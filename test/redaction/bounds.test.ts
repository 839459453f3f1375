import { redactValue } from '../../src/redaction';
import { cutText, MAX_STRING_CHARS } from '../../src/redaction/bounds';

const base64url = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A signed-looking JWT of exactly `length` characters, its claims holding `-` and `_` (base64url). */
function longJwt(length: number): string {
  const header = base64url({ alg: 'RS256', typ: 'JWT', kid: 'k1' });
  const signature = 'Sg-_'.repeat(11).slice(0, 43);
  let claims = base64url({ sub: 'U123', scope: '???>>>'.repeat(200) });
  claims = claims.slice(0, length - header.length - signature.length - 2);
  return `${header}.${claims}.${signature}`;
}

/** True when any 12 characters in a row of `secret` appear in `text`. */
function leaksPartOf(secret: string, text: string): boolean {
  for (let start = 0; start + 12 <= secret.length; start += 1) {
    if (text.includes(secret.slice(start, start + 12))) return true;
  }
  return false;
}

describe('cutText', () => {
  it('keeps a text that fits as it is', () => {
    expect(cutText('short text', 64)).toEqual({ kept: 'short text', cut: 0 });
  });

  it('drops the word the cut would split, so no partial secret escapes the maskers', () => {
    const secret = `xoxb-${'1234567890'.repeat(5)}`;
    const text = `failed with ${secret} again`;
    const { kept, cut } = cutText(text, 30);
    expect(kept).toBe('failed with ');
    expect(cut).toBe(text.length - kept.length);
  });

  it('keeps a word that ends exactly at the cut', () => {
    expect(cutText('failed with abc again', 15)).toEqual({ kept: 'failed with abc', cut: 6 });
  });

  it('steps back to a quote, colon or equals sign when compact JSON has no whitespace', () => {
    const secret = 'hunter2hunter2hunter2';
    expect(cutText(`{"password":"${secret}","n":1}`, 20).kept).toBe('{"password":"');
    expect(cutText(`a=1&password=${secret}&b=2`, 20).kept).toBe('a=1&password=');
  });

  it('does not stop inside base64 padding, so a padded secret is not kept minus its last "="', () => {
    const secret = Buffer.from('a credential of some length!').toString('base64');
    expect(secret.endsWith('==')).toBe(true);
    const text = `key ${secret} end`;
    const { kept } = cutText(text, 4 + secret.length - 1);
    expect(kept).toBe('key ');
  });

  it('masks a run of token characters longer than the step-back window, however long', () => {
    const { kept, cut } = cutText('a'.repeat(10_000), 2_000);
    expect(kept).toBe('***');
    expect(cut).toBe(10_000);
    expect(cutText(`ok: ${'a'.repeat(10_000)}`, 2_000)).toEqual({ kept: 'ok: ***', cut: 10_000 });
  });

  it('leaves no part of an 864-character JWT in compact JSON, wherever the cut falls in it', () => {
    const jwt = longJwt(864);
    expect(jwt).toHaveLength(864);
    expect(jwt).toMatch(/_/);
    const prefix = '{"job":"r1","note":"';
    const text = `${prefix}${jwt}","n":1}`;
    let cuts = 0;
    for (let into = 1; into < jwt.length; into += 1) {
      const { kept, cut } = cutText(text, prefix.length + into);
      expect(leaksPartOf(jwt, kept)).toBe(false);
      expect(kept.length + cut).toBeGreaterThanOrEqual(text.length);
      cuts += 1;
    }
    expect(cuts).toBe(863);
  });
});

describe('redactValue at the 64 KB cut', () => {
  it('logs no header or claims of a long JWT the cut splits 600-700 characters in', () => {
    const jwt = longJwt(864);
    for (const into of [1, 300, 511, 513, 600, 650, 700, 863]) {
      const head = '{"job":"r1","filler":"';
      const tail = '","note":"';
      const prefix = `${head}${'x'.repeat(MAX_STRING_CHARS - into - head.length - tail.length)}${tail}`;
      expect(prefix.length + into).toBe(MAX_STRING_CHARS);
      const { note } = redactValue({ note: `${prefix}${jwt}","n":1}` }) as { note: string };
      // Booleans, so a failure does not print 64 KB.
      expect({ into, leaks: leaksPartOf(jwt, note), header: note.includes(jwt.slice(0, 20)) }).toEqual({
        into,
        leaks: false,
        header: false,
      });
      // Within the step-back window the JWT is dropped at its quote; past it, masked whole.
      const ending = `"note":"${into < 512 ? '' : '***'}… [cut: ${jwt.length + 8} more characters]`;
      expect(note.slice(-ending.length)).toBe(ending);
    }
  });
});
