import {
  batchManifestSchema,
  createBatchManifest,
  DEFAULT_MANIFEST_TTL_MS,
  manifestHash,
  NO_PAYLOAD_SHA256,
  payloadSha256,
  type BatchManifest,
  type BatchManifestInput,
} from '../../src/approvals/batch-manifest';
import { manifestInput, sha } from './fixtures';

const NOW = 1_750_000_000_000;

describe('payloadSha256', () => {
  it('is the plain SHA-256 of the stored text, so sha256sum agrees', () => {
    expect(payloadSha256('{"a":1}')).toBe(sha('{"a":1}'));
    expect(payloadSha256('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('tells byte-level differences apart (key order, number literals)', () => {
    expect(payloadSha256('{"a":1,"b":2}')).not.toBe(payloadSha256('{"b":2,"a":1}'));
    expect(payloadSha256('{"a":1.0}')).not.toBe(payloadSha256('{"a":1}'));
  });

  it('gives a missing payload its own marker, unlike "" or "null"', () => {
    expect(payloadSha256(null)).toBe(NO_PAYLOAD_SHA256);
    expect(payloadSha256(null)).not.toBe(payloadSha256(''));
    expect(payloadSha256(null)).not.toBe(payloadSha256('null'));
  });
});

describe('createBatchManifest', () => {
  it('fills id, creation time and a 15-minute expiry, and freezes the result', () => {
    const manifest = createBatchManifest(manifestInput(), NOW);
    expect(manifest.id).toMatch(/^b-[0-9a-f]{12}$/);
    expect(manifest.createdAt).toBe(NOW);
    expect(manifest.expiresAt).toBe(NOW + DEFAULT_MANIFEST_TTL_MS);
    expect(DEFAULT_MANIFEST_TTL_MS).toBe(15 * 60_000);
    expect(Object.isFrozen(manifest)).toBe(true);
    expect(Object.isFrozen(manifest.jobs)).toBe(true);
    expect(Object.isFrozen(manifest.jobs[0])).toBe(true);
    expect(Object.isFrozen(manifest.cohort)).toBe(true);
  });

  it('does not share the caller arrays: changing the input later changes nothing', () => {
    const jobs = [{ id: '1', payloadSha256: sha('x') }];
    const manifest = createBatchManifest(manifestInput({ jobs }), NOW);
    jobs.push({ id: '2', payloadSha256: sha('y') });
    expect(manifest.jobs).toHaveLength(1);
  });

  it('gives every manifest its own id', () => {
    const ids = new Set(Array.from({ length: 200 }, () => createBatchManifest(manifestInput(), NOW).id));
    expect(ids.size).toBe(200);
  });

  it.each<[string, Partial<BatchManifestInput>]>([
    ['no jobs', { jobs: [] }],
    [
      'a job listed twice',
      {
        jobs: [
          { id: '1', payloadSha256: sha('a') },
          { id: '1', payloadSha256: sha('a') },
        ],
      },
    ],
    ['a malformed payload hash', { jobs: [{ id: '1', payloadSha256: 'abc' }] }],
    ['an upper-case payload hash', { jobs: [{ id: '1', payloadSha256: sha('a').toUpperCase() }] }],
    ['an unknown workflow', { workflow: 'payroll' as BatchManifest['workflow'] }],
    ['batch number 0', { batchNumber: 0 }],
    ['an empty requester', { requestedBy: '' }],
    ['a bad id', { id: 'b-1:2' }],
    ['an expiry before creation', { createdAt: NOW, expiresAt: NOW }],
  ])('refuses %s', (_label, overrides) => {
    expect(() => createBatchManifest(manifestInput(overrides), NOW)).toThrow();
  });
});

describe('manifestHash', () => {
  const base = createBatchManifest(manifestInput({ id: 'b-0123456789ab' }), NOW);
  const hash = manifestHash(base);
  const variant = (overrides: Partial<BatchManifest>): string => manifestHash({ ...base, ...overrides });

  it('is a lowercase SHA-256 hex digest and stable', () => {
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(manifestHash(createBatchManifest(manifestInput({ id: 'b-0123456789ab' }), NOW))).toBe(hash);
  });

  it('does not depend on job order', () => {
    expect(variant({ jobs: [...base.jobs].reverse() })).toBe(hash);
  });

  it.each<[string, Partial<BatchManifest>]>([
    ['id', { id: 'b-0123456789ac' }],
    ['workflow', { workflow: 'billing' }],
    ['queue', { queue: 'other' }],
    ['a job added', { jobs: [...base.jobs, { id: '103', payloadSha256: sha('z') }] }],
    ['a job removed', { jobs: base.jobs.slice(1) }],
    ['a job swapped', { jobs: [base.jobs[0]!, { id: '999', payloadSha256: base.jobs[1]!.payloadSha256 }] }],
    ['a payload changed', { jobs: [base.jobs[0]!, { id: '102', payloadSha256: sha('{"a":3}') }] }],
    ['batch number', { batchNumber: 2 }],
    ['requester', { requestedBy: 'U-OTHER' }],
    ['expiry', { expiresAt: base.expiresAt + 1 }],
    ['dry run', { dryRun: true }],
  ])('changes when the %s changes', (_label, overrides) => {
    expect(variant(overrides)).not.toBe(hash);
  });

  it('is not fooled by ids that concatenate alike', () => {
    const a = variant({
      jobs: [
        { id: '1', payloadSha256: sha('p') },
        { id: '23', payloadSha256: sha('p') },
      ],
    });
    const b = variant({
      jobs: [
        { id: '12', payloadSha256: sha('p') },
        { id: '3', payloadSha256: sha('p') },
      ],
    });
    expect(a).not.toBe(b);
  });

  it.each<[string, Partial<BatchManifest>]>([
    ['session', { sessionId: 'sess-2' }],
    ['channel', { channelId: 'C2' }],
    ['cohort label', { cohort: { tenant: 'other' } }],
    ['creation time', { createdAt: NOW - 1 }],
  ])('ignores the %s, which does not change what is replayed', (_label, overrides) => {
    expect(variant(overrides)).toBe(hash);
  });

  it('round-trips through JSON and the schema unchanged', () => {
    const back = batchManifestSchema.parse(JSON.parse(JSON.stringify(base)));
    expect(manifestHash(back)).toBe(hash);
  });
});
