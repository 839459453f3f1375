import { looksLikeSecretSegment, maskUrlSecrets } from '../../src/redaction';
import type { RedactionCounter } from '../../src/redaction';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';

describe('maskUrlSecrets', () => {
  it('masks userinfo, every query value and a hex path segment in a failure reason', () => {
    expect(
      maskUrlSecrets(
        'HTTP 503 from https://user:pw@hooks.acme.example/t/3f9a8c7d2b1e4f60a9c8b7d6e5f4a3b2?token=abc&x=1',
      ),
    ).toBe('HTTP 503 from https://***@hooks.acme.example/t/***?token=***&x=***');
  });

  it('masks userinfo on any scheme, such as a Redis URL in config', () => {
    expect(maskUrlSecrets('REDIS_URL=redis://:s3cret@redis.internal:6379/0')).toBe(
      'REDIS_URL=redis://***@redis.internal:6379/0',
    );
  });

  it('keeps query names, empty values and valueless flags', () => {
    expect(maskUrlSecrets('https://api.example/v1/x?a=&debug&b=2')).toBe(
      'https://api.example/v1/x?a=&debug&b=***',
    );
  });

  it('masks a JWT path segment and a JWT in the fragment', () => {
    expect(maskUrlSecrets(`https://x.example/a/${JWT}/b`)).toBe('https://x.example/a/***/b');
    expect(maskUrlSecrets(`https://x.example/cb#access_token=${JWT}&state=1`)).toBe(
      'https://x.example/cb#access_token=***&state=***',
    );
  });

  it('masks base64url tokens and Slack webhook secrets but not the ids before them', () => {
    expect(
      maskUrlSecrets('https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXX9'),
    ).toBe('https://hooks.slack.com/services/T00000000/B00000000/***');
    expect(maskUrlSecrets('https://x.example/i/aB3_dE5-fG7hI9jK1lM3nO5')).toBe('https://x.example/i/***');
  });

  it('masks matrix parameter values in a path segment', () => {
    expect(maskUrlSecrets('https://x.example/app;jsessionid=ABC123/home')).toBe(
      'https://x.example/app;jsessionid=***/home',
    );
  });

  it('leaves ordinary paths, slugs, hosts and ports alone', () => {
    const untouched = [
      'https://hooks.acme.example/hooks/acme',
      'https://api.stripe.com/v1/balance',
      'http://localhost:8080/healthz',
      'https://x.example/recordings/recording-2026-11-28-final/part-2',
      'https://x.example/queues/webhook-delivery-retry-v2',
      'https://x.example/very/longbutordinarypathsegmentname',
    ];
    for (const url of untouched) expect(maskUrlSecrets(url)).toBe(url);
  });

  it('masks several URLs in one text and keeps sentence punctuation outside them', () => {
    expect(
      maskUrlSecrets(
        'Tried https://a.example/x?k=1, then (https://b.example/y?sig=2). Gave up at https://c.example/z?t=3.',
      ),
    ).toBe(
      'Tried https://a.example/x?k=***, then (https://b.example/y?sig=***). Gave up at https://c.example/z?t=***.',
    );
  });

  it('keeps parentheses that belong to the URL', () => {
    expect(maskUrlSecrets('see https://en.example/wiki/Foo_(bar)?q=1')).toBe(
      'see https://en.example/wiki/Foo_(bar)?q=***',
    );
  });

  it('stops at quotes, angle brackets and Slack link bars', () => {
    expect(maskUrlSecrets('<https://x.example/p?t=1|link> "https://y.example/?a=b"')).toBe(
      '<https://x.example/p?t=***|link> "https://y.example/?a=***"',
    );
  });

  it('counts one redaction per changed URL and is idempotent', () => {
    const counter: RedactionCounter = { count: 0 };
    const once = maskUrlSecrets('https://u:p@a.example/?t=1 https://b.example/ok', counter);
    expect(counter.count).toBe(1);
    const again: RedactionCounter = { count: 0 };
    expect(maskUrlSecrets(once, again)).toBe(once);
    expect(again.count).toBe(0);
  });
});

describe('looksLikeSecretSegment', () => {
  it.each([
    ['3f9a8c7d2b1e4f60a9c8b7d6e5f4a3b2', true],
    ['3f9a8c7d-2b1e-4f60-a9c8-b7d6e5f4a3b2', true],
    ['aB3_dE5-fG7hI9jK1lM3nO5', true],
    ['dGhpc2lzYXNlY3JldHZhbHVlMTIz==', true],
    [JWT, true],
    ['acme', false],
    ['v1', false],
    ['12345678901234567890', false],
    ['abcdefghijklmnopqrstuvwxyz', false],
    ['recording-2026-11-28-final', false],
    ['report.2026.pdf', false],
  ])('%s -> %s', (segment, expected) => {
    expect(looksLikeSecretSegment(segment)).toBe(expected);
  });
});
