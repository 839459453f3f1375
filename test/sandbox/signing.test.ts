import { createHmac } from 'node:crypto';
import { signSlackRequest, slackRequestHeaders } from '../../src/sandbox';

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
