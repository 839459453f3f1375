import { Writable } from 'node:stream';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';

function loggerWithLines(): { log: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { log: createLogger({ level: 'info' }, sink), lines };
}

const throwingKeys = (): object =>
  new Proxy(
    {},
    {
      ownKeys() {
        throw new Error('ownKeys trap');
      },
      getPrototypeOf() {
        throw new Error('getPrototypeOf trap');
      },
    },
  );

describe('createLogger', () => {
  it('redacts secrets wherever a config or headers object is logged', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const config = loadConfig(
      {
        SLACK_BOT_TOKEN: 'xoxb-secret-bot-token',
        SLACK_SIGNING_SECRET: 'secret-signing',
        STRIPE_SECRET_KEY: 'sk_live_secretstripe',
        SIGNOZ_URL: 'http://signoz.local',
        SIGNOZ_API_KEY: 'signoz-secret-key',
        REDIS_URL: 'redis://:redis-password@127.0.0.1:6379',
      },
      () => '{}',
    );
    const log = createLogger({ level: 'info' }, sink).child({ incident: 'd-1' });
    log.info({ config, request: { headers: { authorization: 'Bearer xoxb-secret-bot-token' } } }, 'started');
    const text = lines.join('');
    for (const secret of [
      'xoxb-secret-bot-token',
      'secret-signing',
      'sk_live_secretstripe',
      'signoz-secret-key',
      'redis-password',
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(JSON.parse(text)).toMatchObject({
      incident: 'd-1',
      msg: 'started',
      config: { slack: { botToken: '[redacted]' } },
    });
  });
});

describe('createLogger with hostile values (a log call never throws and never leaks)', () => {
  const stripeKey = `sk_live_${'a1B2'.repeat(6)}`;

  it('writes a line for a field, a merge object or an error whose keys cannot be read', () => {
    const { log, lines } = loggerWithLines();
    expect(() => log.info({ job: throwingKeys(), n: 1 }, 'field')).not.toThrow();
    expect(() => log.info(throwingKeys(), 'merge object')).not.toThrow();
    expect(() => log.error({ err: throwingKeys() }, 'error')).not.toThrow();
    expect(() => log.child({ job: throwingKeys() }).info('child')).not.toThrow();
    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(parsed).toHaveLength(4);
    expect(parsed[0]).toMatchObject({ job: '[unreadable]', n: 1, msg: 'field' });
    expect(parsed[1]).toMatchObject({ logFailure: true, msg: 'a log line could not be written' });
    expect(parsed[2]).toMatchObject({ err: '[unreadable]', msg: 'error' });
    expect(parsed[3]).toMatchObject({ job: '[unreadable]', msg: 'child' });
  });

  it('masks what a toJSON returns instead of letting pino print it', () => {
    const { log, lines } = loggerWithLines();
    log.info({ charge: { toJSON: () => ({ note: `paid with ${stripeKey}` }) } }, 'charged');
    log.info({ url: new URL(`https://hooks.acme.example/x?key=${stripeKey}`) }, 'posted');
    const text = lines.join('');
    expect(text).not.toContain(stripeKey);
    expect(JSON.parse(lines[1] ?? '')).toMatchObject({ url: 'https://hooks.acme.example/x?key=***' });
  });

  it('bounds a huge field and a huge message, saying what was cut', () => {
    const { log, lines } = loggerWithLines();
    const jobs = Array.from({ length: 200_000 }, (_, i) => ({ i }));
    log.info({ jobs }, `${'word '.repeat(900_000)}`);
    const line = JSON.parse(lines[0] ?? '') as { jobs: unknown[]; msg: string };
    expect(line.jobs).toHaveLength(1_001);
    expect(line.jobs.at(-1)).toBe('… 199000 more items');
    expect(line.msg.length).toBeLessThan(64 * 1024 + 100);
    expect(line.msg).toMatch(/\[cut: \d+ more characters\]$/);
  });
});
