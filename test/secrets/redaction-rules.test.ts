import { Writable } from 'node:stream';
import { createLogger } from '../../src/logger';
import {
  looksLikeCardNumber,
  maskCardNumbers,
  maskFreeText,
  rememberSecrets,
  renderStoredJson,
} from '../../src/redaction';
import { normaliseReason } from '../../src/runbook/inspect/cohorts';
import { base62, forbiddenFragments } from './planted';

/**
 * The rules the secrets incident needed beyond the existing ones, each on its
 * own: card numbers, PEM private keys, the bot's own credentials quoted back
 * bare, log lines masked by content, and failure reasons masked before their
 * digits are folded.
 */

/** No fragment of `secret` (whole, 8-character runs, a tail past the last 4) in `text`. */
function expectNothingOf(secret: string, text: string): void {
  for (const fragment of forbiddenFragments(secret)) expect(text).not.toContain(fragment);
}

describe('card numbers', () => {
  it('keeps only the last four digits, solid, grouped with spaces or dashes', () => {
    expect(maskCardNumbers('card 4242424242424242 declined')).toBe('card ************4242 declined');
    expect(maskCardNumbers('card 4242 4242 4242 4242.')).toBe('card **** **** **** 4242.');
    expect(maskCardNumbers('amex 3782-822463-10005')).toBe('amex ****-******-*0005');
  });

  it('leaves timestamps, Slack ts values, non-Luhn numbers and ids inside words alone', () => {
    for (const text of [
      'at 1764320000123 ms',
      'ts 1764320000.000100',
      '4242424242424241 fails the check digit',
      'order-4242424242424242x',
    ]) {
      expect(maskCardNumbers(text)).toBe(text);
    }
    expect(looksLikeCardNumber('5555555555554444')).toBe(true);
    expect(looksLikeCardNumber('1234567812345670')).toBe(false); // Luhn-valid, but no network starts with 1
  });

  it('masks a card stored as a JSON number in a payload preview, keeping the JSON valid', () => {
    const rendered = renderStoredJson('{"pan":4242424242424242,"amount":1999}');
    expect(JSON.parse(rendered.text)).toEqual({ pan: '************4242', amount: 1999 });
    expect(rendered.redactions).toBe(1);
  });
});

describe('PEM private keys', () => {
  const body = Buffer.from(base62(120))
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n');
  const pem = `-----BEGIN RSA PRIVATE KEY-----\n${body}\n-----END RSA PRIVATE KEY-----`;

  it('keeps the armour lines and hides the key material, in text and in a JSON string', () => {
    const masked = maskFreeText(`signing with ${pem} failed`);
    expect(masked).toBe(
      'signing with -----BEGIN RSA PRIVATE KEY-----***-----END RSA PRIVATE KEY----- failed',
    );
    const rendered = renderStoredJson(JSON.stringify({ signing: { pem } }));
    expectNothingOf(pem, rendered.text);
    expect(rendered.text).toContain('-----BEGIN RSA PRIVATE KEY-----***');
  });

  it('hides a key cut off before its END line, and masking twice changes nothing', () => {
    const cut = `reason: ${pem.slice(0, 80)}`;
    const once = maskFreeText(cut);
    expect(once).toBe('reason: -----BEGIN RSA PRIVATE KEY-----***');
    expect(maskFreeText(once)).toBe(once);
  });
});

describe("the bot's own credentials", () => {
  const apiKey = base62(36);
  const password = base62(24);
  const stripeKey = `sk_live_${base62(30)}`;
  rememberSecrets([apiKey, stripeKey, 'short'], [`redis://bot:${password}@redis.internal:6379`]);

  it('are masked when quoted back bare, where no shape rule could see them', () => {
    const masked = maskFreeText(`SigNoz: key ${apiKey} is not valid; AUTH ${password} refused`);
    expect(masked).toBe('SigNoz: key *** is not valid; AUTH *** refused');
  });

  it('keep their public prefix so the reader sees which kind failed, and short values are not remembered', () => {
    expect(maskFreeText(`Invalid API Key provided: ${stripeKey}.`)).toBe(
      'Invalid API Key provided: sk_live_***.',
    );
    expect(maskFreeText('a short word')).toBe('a short word');
  });
});

describe('log lines', () => {
  function capture(): { lines: string[]; sink: Writable } {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    return { lines, sink };
  }

  it("mask secrets in an error's message and stack, in fields, bindings and the message, keeping the error's shape", () => {
    const { lines, sink } = capture();
    const token = `xoxb-1234-${base62(24)}`;
    const password = base62(20);
    const log = createLogger({ level: 'info' }, sink).child({ url: `redis://u:${password}@h:6379` });
    const err = new TypeError(`connect failed for redis://u:${password}@h:6379 with ${token}`);
    log.error({ err, reason: `Bearer ${base62(30)}`, card: '4242424242424242' }, `retry with ${token}`);
    const text = lines.join('');
    expectNothingOf(token, text);
    expectNothingOf(password, text);
    const line = JSON.parse(text) as Record<string, unknown> & { err: Record<string, string> };
    expect(line.err.type).toBe('TypeError');
    expect(line.err.message).toBe('connect failed for redis://***@h:6379 with xoxb-***');
    expect(line.err.stack).toContain('TypeError: connect failed for redis://***@h:6379');
    expect(line.msg).toBe('retry with xoxb-***');
    expect(line.reason).toBe('Bearer ***');
    expect(line.card).toBe('************4242');
    expect(line.url).toBe('redis://***@h:6379');
  });

  it('leave the ids people correlate by as they are', () => {
    const { lines, sink } = capture();
    const ids = { batchId: 'b-46d1315886c9', ts: '1764320000.000100', incident: 's-7f3a', at: 1764320000123 };
    createLogger({ level: 'info' }, sink).child({ workflow: 'webhooks' }).info(ids, 'batch decided');
    expect(JSON.parse(lines.join(''))).toMatchObject({ ...ids, workflow: 'webhooks', msg: 'batch decided' });
  });
});

describe('failure reasons grouped into cohorts', () => {
  it('are masked before digits are folded, so no piece of a key survives between the folds', () => {
    const key = `sk_live_${'a1B2c3D4e5'.repeat(3)}`;
    const grouped = normaliseReason(`StripeConnectionError: could not reach Stripe with ${key}`);
    expect(grouped).toBe('StripeConnectionError: could not reach Stripe with sk_live_***');
  });
});
