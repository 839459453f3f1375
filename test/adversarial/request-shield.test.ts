import { MAX_CLOCK_SKEW_S, refusalFor } from '../../src/request-shield';

const NOW = 1_800_000_000;
const form = { 'content-type': 'application/x-www-form-urlencoded' } as const;
const stamped = (ts: number) => ({ ...form, 'x-slack-request-timestamp': String(ts) });
const payload = (value: unknown) => new URLSearchParams({ payload: JSON.stringify(value) }).toString();
const click = {
  type: 'block_actions',
  user: { id: 'U1' },
  team: { id: 'T1' },
  channel: { id: 'C1' },
  actions: [{ action_id: 'replay_approve', value: '{}' }],
  trigger_id: '1.2.3',
};

describe('refusalFor (what Bolt lets through or chokes on)', () => {
  it('refuses a timestamp more than 5 minutes ahead, and leaves the past side to Bolt', () => {
    expect(refusalFor(stamped(NOW + MAX_CLOCK_SKEW_S + 1), 'text=help', NOW)).toEqual({
      status: 401,
      reason: 'timestamp more than 5 minutes ahead',
    });
    expect(refusalFor(stamped(NOW + MAX_CLOCK_SKEW_S), 'text=help', NOW)).toBeUndefined();
    expect(refusalFor(stamped(NOW - 3600), 'text=help', NOW)).toBeUndefined();
  });

  it('refuses a payload that is JSON but not an object', () => {
    for (const value of [null, 42, 'x', [click], true]) {
      expect(refusalFor(stamped(NOW), payload(value), NOW)).toMatchObject({ status: 400 });
    }
  });

  it('refuses a click whose user, actions or ids are not the shape Bolt assumes', () => {
    const broken = [
      { ...click, actions: 'replay_approve' },
      { ...click, actions: [] },
      { ...click, actions: [null] },
      { ...click, actions: [{ value: 'x' }] },
      { ...click, actions: [{ action_id: 'a', value: { b: 1 } }] },
      { ...click, user: undefined },
      { ...click, user: { id: 7 } },
      { ...click, user: { id: 'U'.repeat(256) } },
      { ...click, team: 'T1' },
      { ...click, channel: { id: '' } },
    ];
    for (const value of broken)
      expect(refusalFor(stamped(NOW), payload(value), NOW)).toMatchObject({ status: 400 });
  });

  it('refuses a form with a field sent twice', () => {
    expect(refusalFor(stamped(NOW), 'text=diagnose&text=replay', NOW)).toMatchObject({
      status: 400,
      reason: 'form field text repeated',
    });
  });

  it('lets through what Slack sends, and what Bolt itself answers (unparseable JSON)', () => {
    expect(refusalFor(stamped(NOW), payload(click), NOW)).toBeUndefined();
    expect(
      refusalFor(stamped(NOW), payload({ ...click, team: null, channel: undefined }), NOW),
    ).toBeUndefined();
    expect(refusalFor(stamped(NOW), 'command=%2Fstuckjobs&text=diagnose', NOW)).toBeUndefined();
    expect(refusalFor(stamped(NOW), 'payload=%7Bnot', NOW)).toBeUndefined();
    expect(
      refusalFor(
        { 'content-type': 'application/json' },
        JSON.stringify({ type: 'url_verification', challenge: 'c' }),
        NOW,
      ),
    ).toBeUndefined();
  });
});
