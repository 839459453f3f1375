import { maskBareTokens, maskSecretPairs, maskUrlSecrets } from '../../src/redaction';
import type { RedactionCounter } from '../../src/redaction';

describe('maskBareTokens', () => {
  it.each([
    ['bot token xoxb-1234567890-0987654321-AbCdEfGhIjKl', 'bot token xoxb-***'],
    ['user xoxp-1-2-3-abc, refresh xoxe-1-abc', 'user xoxp-***, refresh xoxe-***'],
    ['app token xapp-1-A012345-6789-abcdef', 'app token xapp-***'],
    [
      'Stripe sk_live_51Habc123XYZ and sk_test_4eC39HqLyjWDarjtT1zdp7dc',
      'Stripe sk_live_*** and sk_test_***',
    ],
    ['restricted rk_live_abc123 or rk_51HabcdefABCDEF1234', 'restricted rk_live_*** or rk_***'],
    ['webhook whsec_abcDEF123+/=', 'webhook whsec_***'],
    ['aws AKIAIOSFODNN7EXAMPLE done', 'aws AKIA*** done'],
    ['github ghp_abcdefghijklmnopqrstuvwxyz0123456789', 'github ghp_***'],
    [
      'jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U end',
      'jwt eyJ*** end',
    ],
    ['sent Bearer abc.def-ghi~jkl+/= to api', 'sent Bearer *** to api'],
    ['header bearer abc123', 'header bearer ***'],
    ['Authorization: Basic dXNlcjpwYXNzd29yZA==', 'Authorization: Basic ***'],
    ['Authorization: Token 0123456789abcdef', 'Authorization: Token ***'],
    ['authorization: denied', 'authorization: ***'],
    ['x-api-key: 0123456789abcdef, next', 'x-api-key: ***, next'],
    ['Cookie: sid=abc; theme=dark\nnext line', 'Cookie: ***\nnext line'],
    ['set-cookie: sid=abc; HttpOnly', 'set-cookie: ***'],
  ])('%j', (input, expected) => {
    expect(maskBareTokens(input)).toBe(expected);
  });

  it('leaves prose that only mentions the schemes alone', () => {
    const prose = 'Basic authentication failed; the bearer of this message; sk_ prefix; skipped rk_1';
    expect(maskBareTokens(prose)).toBe(prose);
  });

  it('counts each token once even when a header rule sees it again', () => {
    const counter: RedactionCounter = { count: 0 };
    expect(maskBareTokens('Authorization: Bearer abc xoxb-1-2', counter)).toBe(
      'Authorization: Bearer *** xoxb-***',
    );
    expect(counter.count).toBe(2);
  });

  it('is applied by maskUrlSecrets to text without URLs', () => {
    expect(maskUrlSecrets('token xoxb-1-2 used')).toBe('token xoxb-*** used');
  });
});

describe('maskSecretPairs', () => {
  it.each([
    ['password=hunter2&user=bob', 'password=***&user=bob'],
    ['(login with api_key=abc123).', '(login with api_key=***).'],
    ["options { token: 'abc', retries: 3 }", "options { token: '***', retries: 3 }"],
    ['{"apiKey": "abc\\"def", "n": 1}', '{"apiKey": "***", "n": 1}'],
    ['{"password":12345,"user":"bob"', '{"password":"***","user":"bob"'],
    ['{"secret": {"a": 1}}', '{"secret": {"a": 1}}'],
    // cut off mid-string: everything after the key is the secret
    ['{"signature":"abc', '{"signature":"***"'],
  ])('%j', (input, expected) => {
    expect(maskSecretPairs(input)).toBe(expected);
  });

  it('uses the configured extra keys', () => {
    expect(maskSecretPairs('msisdn=4917012345678 other=1', ['msisdn'])).toBe('msisdn=*** other=1');
    expect(maskSecretPairs('msisdn=4917012345678')).toBe('msisdn=4917012345678');
  });

  it('leaves ordinary assignments and prose alone', () => {
    const text = 'retries=3 queue=webhook-delivery; invalid token: expired';
    expect(maskSecretPairs(text)).toBe(text);
  });
});
