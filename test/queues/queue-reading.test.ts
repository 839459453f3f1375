import { extrapolate, reasonKey, topFailureReasons } from '../../src/queues/estimates';
import { attemptsAllowedFrom, JOB_FIELDS, toJobSummary } from '../../src/queues/job-summary';
import type { JobSummary } from '../../src/queues/types';
import { CLIENT_LIST_PLACEHOLDER, workersFromClients } from '../../src/queues/workers';

const failed = (failedReason: string): JobSummary => ({
  id: '1',
  name: 'n',
  state: 'failed',
  data: {},
  rawData: '{}',
  attemptsMade: 1,
  attemptsAllowed: 1,
  failedReason,
  createdAt: 0,
});

describe('workersFromClients', () => {
  it('maps the CLIENT LIST placeholder to unknown, never to one worker', () => {
    expect(workersFromClients([{ name: CLIENT_LIST_PLACEHOLDER }])).toBeNull();
  });
  it('counts real client entries', () => {
    const entry = { addr: '10.0.0.1:5000', name: 'webhook-delivery', rawname: 'bull:d2ViaG9vaw==:w:a' };
    expect(workersFromClients([entry, { ...entry, addr: '10.0.0.2:5000' }])).toBe(2);
    expect(workersFromClients([])).toBe(0);
  });
});

describe('estimates', () => {
  it('is exact when the sample covered the state, extrapolated otherwise', () => {
    expect(extrapolate(3, 10, 10)).toEqual({ value: 3, exact: true, sampled: 10 });
    expect(extrapolate(1, 4, 1000)).toEqual({ value: 250, exact: false, sampled: 4 });
    expect(extrapolate(0, 0, 0)).toEqual({ value: 0, exact: true, sampled: 0 });
  });

  it('groups reasons on their trimmed first line, capped at 300 characters', () => {
    expect(reasonKey('  boom  \n  at x.ts:1')).toBe('boom');
    expect(reasonKey('x'.repeat(400))).toHaveLength(300);
  });

  it('keeps the top five reasons by count, ties by reason', () => {
    const reasons = ['b', 'a', 'c', 'c\nstack', 'd', 'e', 'f', '', 'c'];
    expect(topFailureReasons(reasons.map(failed))).toEqual([
      { reason: 'c', count: 3 },
      { reason: 'a', count: 1 },
      { reason: 'b', count: 1 },
      { reason: 'd', count: 1 },
      { reason: 'e', count: 1 },
    ]);
  });
});

describe('topFailureReasons folding', () => {
  it('counts reasons that differ only in their numbers as one, shown with #, and keeps a lone spelling as is', () => {
    const reasons = [
      'NoSuchKey: The specified key does not exist. (recordings/acme/rec_acme_009/source.wav)',
      'NoSuchKey: The specified key does not exist. (recordings/acme/rec_acme_011/source.wav)',
      'NoSuchKey: The specified key does not exist. (recordings/globex/rec_globex_010/source.wav)',
      'HTTP 503 from http://127.0.0.1:41121/tenants/acme/webhooks',
      'HTTP 503 from http://127.0.0.1:41121/tenants/acme/webhooks',
    ];
    expect(topFailureReasons(reasons.map(failed))).toEqual([
      { reason: 'HTTP 503 from http://127.0.0.1:41121/tenants/acme/webhooks', count: 2 },
      {
        reason: 'NoSuchKey: The specified key does not exist. (recordings/acme/rec_acme_#/source.wav)',
        count: 2,
      },
      {
        reason: 'NoSuchKey: The specified key does not exist. (recordings/globex/rec_globex_010/source.wav)',
        count: 1,
      },
    ]);
  });
});

describe('toJobSummary', () => {
  const values = (fields: Partial<Record<(typeof JOB_FIELDS)[number], string>>): (string | null)[] =>
    JOB_FIELDS.map((field) => fields[field] ?? null);

  it('reads BullMQ 6 fields (atm) and keeps non-JSON data as the raw string', () => {
    const job = toJobSummary(
      '7',
      'failed',
      values({
        name: 'n',
        data: 'not json',
        opts: '{"attempts":3}',
        timestamp: '10',
        atm: '3',
        failedReason: 'boom',
        finishedOn: '20',
      }),
    );
    expect(job).toEqual({
      id: '7',
      name: 'n',
      state: 'failed',
      data: 'not json',
      rawData: 'not json',
      attemptsMade: 3,
      attemptsAllowed: 3,
      failedReason: 'boom',
      createdAt: 10,
      finishedAt: 20,
    });
  });

  it('reads the BullMQ < 5 attemptsMade field, and skips a removed job', () => {
    expect(toJobSummary('1', 'delayed', values({ attemptsMade: '2', data: '{"a":1}' }))).toMatchObject({
      attemptsMade: 2,
      data: { a: 1 },
    });
    expect(toJobSummary('1', 'failed', values({}))).toBeUndefined();
  });

  it('allows at least one attempt whatever opts say', () => {
    expect(
      [undefined, '{}', '{"attempts":0}', 'garbage', '{"attempts":"3"}'].map((o) => attemptsAllowedFrom(o)),
    ).toEqual([1, 1, 1, 1, 1]);
    expect(attemptsAllowedFrom('{"attempts":4}')).toBe(4);
  });
});
