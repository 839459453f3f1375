import { randomBytes, randomInt } from 'node:crypto';

/**
 * Secrets made fresh for each run, so a leak can only come from this run's
 * plumbing and never from a constant that happens to sit in a fixture.
 */

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const UPPER_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

function drawn(alphabet: string, length: number): string {
  return Array.from({ length }, () => alphabet[randomInt(alphabet.length)]).join('');
}

export const base62 = (length: number): string => drawn(BASE62, length);
const letters = (length: number): string => drawn(BASE62.slice(0, 52), length);

const base64url = (text: string): string => Buffer.from(text).toString('base64url');

/** A card number that passes the Luhn check (a real-looking PAN is what a masker must recognise). */
function luhnCard(): string {
  const digits = [4, 0, 0, 0, ...Array.from({ length: 11 }, () => randomInt(10))];
  const sum = digits
    .slice()
    .reverse()
    .reduce((total, digit, index) => {
      if (index % 2 !== 0) return total + digit;
      const doubled = digit * 2;
      return total + (doubled > 9 ? doubled - 9 : doubled);
    }, 0);
  return [...digits, (10 - (sum % 10)) % 10].join('');
}

function privateKeyPem(): string {
  const body = randomBytes(190).toString('base64');
  const lines = body.match(/.{1,64}/g) ?? [];
  return ['-----BEGIN PRIVATE KEY-----', ...lines, '-----END PRIVATE KEY-----'].join('\n');
}

/** Every secret this run plants, by what it stands for. */
export interface PlantedSecrets {
  readonly stripeKey: string;
  readonly payloadSlackToken: string;
  readonly awsAccessKeyId: string;
  readonly awsSecretAccessKey: string;
  readonly bearerToken: string;
  readonly redisPassword: string;
  readonly signozApiKey: string;
  readonly webhookQueryToken: string;
  readonly slackWebhookPathToken: string;
  readonly jwt: string;
  readonly privateKey: string;
  readonly deepPassword: string;
  readonly cardNumber: string;
  readonly apiKeyHeader: string;
  readonly failureReasonToken: string;
  readonly tenantEchoToken: string;
  readonly stackPassword: string;
  readonly operatorTypedKey: string;
}

export function plantSecrets(): PlantedSecrets {
  return {
    // A digit early and a long run of letters after it: folding digits (cohort reasons) must not cut the mask short.
    stripeKey: `sk_live_${randomInt(10)}${letters(12)}${base62(19)}`,
    payloadSlackToken: `xoxb-${randomInt(1e11, 9e11)}-${base62(24)}`,
    awsAccessKeyId: `AKIA${drawn(UPPER_DIGITS, 16)}`,
    awsSecretAccessKey: `${base62(20)}/${base62(19)}`,
    bearerToken: base62(40),
    redisPassword: base62(28),
    signozApiKey: base62(36),
    webhookQueryToken: base62(30),
    slackWebhookPathToken: base62(24),
    jwt: `${base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${base64url(
      JSON.stringify({ sub: base62(12), iat: 1764000000 }),
    )}.${base62(43)}`,
    privateKey: privateKeyPem(),
    deepPassword: base62(22),
    cardNumber: luhnCard(),
    apiKeyHeader: base62(32),
    failureReasonToken: base62(26),
    tenantEchoToken: base62(30),
    stackPassword: base62(18),
    operatorTypedKey: `sk_live_${base62(32)}`,
  };
}

/** At least this many characters in a row of a secret count as a leak (the last 4 may show, never 8). */
export const LEAK_RUN = 8;

/** The most of a secret's end a mask may keep (`************1334`). */
export const SHOWN_TAIL = 4;

/**
 * What must never appear of one secret: the whole value, every run of
 * {@link LEAK_RUN} characters of it (the last 8 among them), and a mask that
 * keeps more than the last {@link SHOWN_TAIL}. Runs are taken from the random
 * part only, so a kept prefix such as `sk_live_` or `-----BEGIN` does not
 * count. PEM bodies are checked line by line.
 */
export function forbiddenFragments(secret: string): string[] {
  const random = secret
    .replace(/^(sk_live_|xox[a-z]-(?:\d+-|test-)?|AKIA)/, '')
    .replace(/-----(BEGIN|END) [A-Z ]*PRIVATE KEY-----/g, '');
  const longerTail = random.trim().slice(-(SHOWN_TAIL + 1));
  const runs = new Set<string>([secret, `*${longerTail}`, `…${longerTail}`]);
  for (const piece of random.split(/[\n.]/).filter((p) => p.length >= LEAK_RUN)) {
    for (let i = 0; i + LEAK_RUN <= piece.length; i++) runs.add(piece.slice(i, i + LEAK_RUN));
  }
  return [...runs];
}
