import { Writable } from 'node:stream';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';

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
