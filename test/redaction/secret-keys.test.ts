import { isSecretKey, normaliseKey } from '../../src/redaction';

describe('isSecretKey', () => {
  it.each([
    'authorization',
    'Authorization',
    'proxy-authorization',
    'auth',
    'authToken',
    'auth_token',
    'token',
    'accessToken',
    'refresh_token',
    'SLACK_BOT_TOKEN',
    'secret',
    'client_secret',
    'clientSecret',
    'webhookSecret',
    'password',
    'PASSWORD',
    'passwd',
    'pwd',
    'db_passphrase',
    'api_key',
    'apiKey',
    'x-api-key',
    'API-KEY',
    'apikey',
    'signature',
    'X-Hub-Signature-256',
    'sig',
    'cookie',
    'Set-Cookie',
    'private_key',
    'privateKey',
    'access_key',
    'aws_access_key_id',
    'session',
    'sessionId',
    'credential',
    'credentials',
  ])('%s is secret', (key) => {
    expect(isSecretKey(key, [])).toBe(true);
  });

  it.each([
    'url',
    'id',
    'author',
    'authority',
    'signal',
    'key',
    'idempotencyKey',
    'recordingKey',
    'email',
    'amount',
    '',
  ])('%j is not secret', (key) => {
    expect(isSecretKey(key, [])).toBe(false);
  });

  it('over-redacts counters that contain a secret word, on purpose', () => {
    expect(isSecretKey('tokenCount', [])).toBe(true);
    expect(isSecretKey('tokens_used', [])).toBe(true);
    expect(isSecretKey('session_count', [])).toBe(true);
  });

  it('matches extra keys exactly after normalisation', () => {
    expect(isSecretKey('MSISDN', ['msisdn'])).toBe(true);
    expect(isSecretKey('caller-id', ['callerId'])).toBe(true);
    expect(isSecretKey('msisdnCountry', ['msisdn'])).toBe(false);
  });

  it('normalises case and separators', () => {
    expect(['api_key', 'apiKey', 'API-KEY', 'api.key', 'Api Key'].map(normaliseKey)).toEqual(
      Array(5).fill('apikey'),
    );
  });
});
