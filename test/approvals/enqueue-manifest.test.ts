import { createHash } from 'node:crypto';
import {
  batchManifestSchema,
  createBatchManifest,
  manifestHash,
  MAX_ENQUEUE_DATA_BYTES,
  payloadSha256,
  type BatchManifest,
  type BatchManifestInput,
  type ManifestJob,
} from '../../src/approvals/batch-manifest';
import { manifestInput } from './fixtures';

const NOW = 1_750_000_000_000;

function enqueueJob(
  recordingId: string,
  data = `{"tenantId":"acme","recordingId":"${recordingId}"}`,
): ManifestJob {
  return {
    id: `stuckjobs-recordings-${recordingId}`,
    payloadSha256: payloadSha256(data),
    enqueue: { name: 'transmux-recording', data },
  };
}

function enqueueInput(overrides: Partial<BatchManifestInput> = {}): BatchManifestInput {
  return manifestInput({
    id: 'b-0123456789ab',
    kind: 'enqueue',
    workflow: 'recordings',
    queue: 'recording-postprocess',
    jobs: [enqueueJob('rec-1'), enqueueJob('rec-2')],
    ...overrides,
  });
}

describe('manifest kind', () => {
  it('defaults to replay, and a manifest stored before kind existed reads back as one', () => {
    const manifest = createBatchManifest(manifestInput(), NOW);
    expect(manifest.kind).toBe('replay');
    const { kind: _kind, ...stored } = JSON.parse(JSON.stringify(manifest)) as Record<string, unknown>;
    expect(batchManifestSchema.parse(stored).kind).toBe('replay');
  });

  it('leaves replay hashes as they were before kind existed', () => {
    const manifest = createBatchManifest(manifestInput({ id: 'b-0123456789ab' }), NOW);
    const jobs = [...manifest.jobs]
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .map((job) => [job.id, job.payloadSha256]);
    const before = JSON.stringify([
      'stuckjobs-manifest-v1',
      manifest.id,
      manifest.workflow,
      manifest.queue,
      jobs,
      manifest.batchNumber,
      manifest.requestedBy,
      manifest.expiresAt,
      manifest.dryRun,
    ]);
    expect(manifestHash(manifest)).toBe(createHash('sha256').update(before).digest('hex'));
  });

  it('is covered by the hash: approving a replay never authorises an enqueue of the same jobs', () => {
    const enqueue = createBatchManifest(enqueueInput(), NOW);
    const asReplay: BatchManifest = {
      ...enqueue,
      kind: 'replay',
      jobs: enqueue.jobs.map(({ id, payloadSha256: sha }) => ({ id, payloadSha256: sha })),
    };
    expect(manifestHash(asReplay)).not.toBe(manifestHash(enqueue));
    expect(manifestHash({ ...enqueue, kind: 'replay' })).not.toBe(manifestHash(enqueue));
  });

  it('keeps an enqueue manifest, its payloads and its hash through JSON and the schema', () => {
    const manifest = createBatchManifest(enqueueInput(), NOW);
    expect(manifest.jobs[0]?.enqueue).toEqual(enqueueJob('rec-1').enqueue);
    expect(Object.isFrozen(manifest.jobs[0]?.enqueue)).toBe(true);
    const back = batchManifestSchema.parse(JSON.parse(JSON.stringify(manifest)));
    expect(back).toEqual(manifest);
    expect(manifestHash(back)).toBe(manifestHash(manifest));
  });

  it.each<[string, (job: ManifestJob) => ManifestJob]>([
    ['the job name', (job) => ({ ...job, enqueue: { ...job.enqueue!, name: 'refine-diarisation' } })],
    [
      'the payload, even with its declared hash kept',
      (job) => ({ ...job, enqueue: { ...job.enqueue!, data: '{"x":1}' } }),
    ],
    ['the payload and its hash', () => enqueueJob('rec-1', '{"tenantId":"evil","recordingId":"rec-1"}')],
  ])('changes its hash when %s changes', (_label, change) => {
    const manifest = createBatchManifest(enqueueInput(), NOW);
    const changed = { ...manifest, jobs: [change(manifest.jobs[0]!), manifest.jobs[1]!] };
    expect(manifestHash(changed)).not.toBe(manifestHash(manifest));
  });

  it.each<[string, Partial<BatchManifestInput>, string]>([
    [
      'an enqueue job without its payload',
      { jobs: [{ id: 'stuckjobs-recordings-r1', payloadSha256: payloadSha256('{}') }] },
      'an enqueue job needs its name and payload',
    ],
    [
      'a payload whose hash is not the declared one',
      { jobs: [{ ...enqueueJob('rec-1'), payloadSha256: payloadSha256('{"other":1}') }] },
      'payloadSha256 is not the SHA-256 of the payload',
    ],
    [
      'a payload that is not JSON',
      { jobs: [enqueueJob('rec-1', 'not json')] },
      'payload is not a JSON object',
    ],
    [
      'a payload that is a JSON array',
      { jobs: [enqueueJob('rec-1', '["a"]')] },
      'payload is not a JSON object',
    ],
    [
      'a payload BullMQ would store differently',
      { jobs: [enqueueJob('rec-1', '{"a": 1}')] },
      'payload is not a JSON object as JSON.stringify writes it',
    ],
    [
      'a payload over 64 KB',
      { jobs: [enqueueJob('rec-1', JSON.stringify({ a: 'x'.repeat(MAX_ENQUEUE_DATA_BYTES) }))] },
      'payload over 64 KB',
    ],
    [
      'a job id enqueue does not make',
      { jobs: [{ ...enqueueJob('rec-1'), id: '101' }] },
      'not an enqueue job id for recordings',
    ],
    [
      'a job id of another workflow',
      { jobs: [{ ...enqueueJob('rec-1'), id: 'stuckjobs-billing-rec-1' }] },
      'not an enqueue job id for recordings',
    ],
    [
      'a job name with a colon',
      { jobs: [{ ...enqueueJob('rec-1'), enqueue: { ...enqueueJob('rec-1').enqueue!, name: 'a:b' } }] },
      'no spaces or colons',
    ],
  ])('refuses %s in an enqueue manifest', (_label, overrides, message) => {
    expect(() => createBatchManifest(enqueueInput(overrides), NOW)).toThrow(message);
  });

  it('refuses a payload to add in a replay manifest', () => {
    expect(() =>
      createBatchManifest(manifestInput({ jobs: [{ ...enqueueJob('rec-1'), id: '101' }] }), NOW),
    ).toThrow(/a replay job carries no payload/);
  });
});
