import type { Redis } from 'ioredis';
import { ApprovalRecordError } from '../../src/approvals/approval-record';
import { RedisApprovalStore } from '../../src/approvals/approval-store';
import type { DecideRequest } from '../../src/approvals/approval-types';
import { readAudit } from '../../src/approvals/audit';
import { createBatchManifest, manifestHash, type BatchManifest } from '../../src/approvals/batch-manifest';
import { silentLogger } from '../../src/logger';
import { deleteKeysWithPrefix, dumpKeysWithPrefix, randomPrefix, testRedis } from '../helpers/redis';
import { manifestInput, sha } from './fixtures';

const NOW = 1_750_000_000_000;
const REQUESTER = 'U-REQ';
const APPROVER = 'U-APP';

describe('RedisApprovalStore', () => {
  let redis: Redis;
  let store: RedisApprovalStore;
  let prefix: string;
  let now: number;

  beforeAll(() => {
    redis = testRedis();
  });
  beforeEach(() => {
    prefix = randomPrefix('approvals');
    now = NOW;
    store = new RedisApprovalStore(redis, prefix, silentLogger, { clock: () => now });
  });
  afterEach(() => deleteKeysWithPrefix(redis, prefix));
  afterAll(() => redis.quit());

  async function stored(overrides: Parameters<typeof manifestInput>[0] = {}) {
    const manifest = createBatchManifest(manifestInput({ requestedBy: REQUESTER, ...overrides }), NOW);
    const created = await store.create(manifest);
    expect(created).toEqual({ code: 'created', manifestHash: manifestHash(manifest) });
    return { manifest, hash: created.manifestHash };
  }

  const click = (hash: string, overrides: Partial<DecideRequest> = {}): DecideRequest => ({
    decision: 'approve',
    userId: APPROVER,
    userAllowed: true,
    manifestHash: hash,
    now: NOW + 60_000,
    ...overrides,
  });

  const stateOf = async (id: string) => (await store.get(id))?.state;

  describe('create and get', () => {
    it('stores the frozen manifest as pending and reads it back', async () => {
      const { manifest, hash } = await stored();
      const record = await store.get(manifest.id);
      expect(record).toEqual(expect.objectContaining({ manifest, manifestHash: hash, state: 'pending' }));
      expect(record?.decidedBy).toBeUndefined();
      expect(await redis.pttl(store.batchKey(manifest.id))).toBeGreaterThan(0);
    });

    it('never overwrites a batch with the same id', async () => {
      const { manifest } = await stored();
      const other = createBatchManifest(manifestInput({ id: manifest.id, requestedBy: 'U-OTHER' }), NOW);
      expect((await store.create(other)).code).toBe('exists');
      expect((await store.get(manifest.id))?.manifest.requestedBy).toBe(REQUESTER);
    });

    it('refuses an invalid manifest before touching Redis', async () => {
      const bad = { ...createBatchManifest(manifestInput(), NOW), jobs: [] } as BatchManifest;
      await expect(store.create(bad)).rejects.toThrow();
      expect(await dumpKeysWithPrefix(redis, prefix)).toEqual(new Map());
    });

    it('returns undefined for an unknown or malformed id', async () => {
      expect(await store.get('b-000000000000')).toBeUndefined();
      expect(await store.get('b-1:*')).toBeUndefined();
    });

    it('fails closed when the stored manifest was edited behind its back', async () => {
      const { manifest } = await stored();
      const tampered = { ...manifest, jobs: [...manifest.jobs, { id: '666', payloadSha256: sha('x') }] };
      await redis.hset(store.batchKey(manifest.id), 'manifest', JSON.stringify(tampered));
      await expect(store.get(manifest.id)).rejects.toThrow(ApprovalRecordError);
    });

    it('fails closed when the flat fields disagree with the manifest', async () => {
      const { manifest } = await stored();
      await redis.hset(store.batchKey(manifest.id), 'requestedBy', 'U-SOMEONE');
      await expect(store.get(manifest.id)).rejects.toThrow(/disagree/);
    });
  });

  describe('decide: the approval rules', () => {
    it('accepts an allowed approver who is not the requester, with the right hash', async () => {
      const { manifest, hash } = await stored();
      expect(await store.decide(manifest.id, click(hash))).toEqual({
        code: 'approved',
        state: 'approved',
        decidedBy: APPROVER,
        decidedAt: NOW + 60_000,
      });
      expect(await store.get(manifest.id)).toEqual(
        expect.objectContaining({
          state: 'approved',
          decision: 'approve',
          decidedBy: APPROVER,
          decidedAt: NOW + 60_000,
        }),
      );
    });

    it('records a denial the same way', async () => {
      const { manifest, hash } = await stored();
      expect(await store.decide(manifest.id, click(hash, { decision: 'deny' }))).toEqual(
        expect.objectContaining({ code: 'denied', state: 'denied', decidedBy: APPROVER }),
      );
      expect(await stateOf(manifest.id)).toBe('denied');
    });

    it('refuses self-approval, even when the requester is an allowed approver', async () => {
      const { manifest, hash } = await stored();
      expect(await store.decide(manifest.id, click(hash, { userId: REQUESTER }))).toEqual({
        code: 'self-approval',
        state: 'pending',
      });
      expect(await stateOf(manifest.id)).toBe('pending');
    });

    it('lets the requester withdraw (deny) their own batch, never approve it', async () => {
      const { manifest, hash } = await stored();
      expect(
        (await store.decide(manifest.id, click(hash, { userId: REQUESTER, userAllowed: false }))).code,
      ).toBe('self-approval');
      expect(
        await store.decide(
          manifest.id,
          click(hash, { userId: REQUESTER, userAllowed: false, decision: 'deny' }),
        ),
      ).toEqual(expect.objectContaining({ code: 'denied', decidedBy: REQUESTER }));
      expect(await stateOf(manifest.id)).toBe('denied');
    });

    it('refuses a user who is not an allowed approver', async () => {
      const { manifest, hash } = await stored();
      expect((await store.decide(manifest.id, click(hash, { userAllowed: false }))).code).toBe(
        'not-an-approver',
      );
      expect(
        (await store.decide(manifest.id, click(hash, { userAllowed: false, decision: 'deny' }))).code,
      ).toBe('not-an-approver');
      expect(await stateOf(manifest.id)).toBe('pending');
    });

    it('refuses at the expiry instant and marks the batch expired; one ms earlier is still fine', async () => {
      const first = await stored();
      expect(
        (await store.decide(first.manifest.id, click(first.hash, { now: first.manifest.expiresAt }))).code,
      ).toBe('expired');
      expect(await stateOf(first.manifest.id)).toBe('expired');
      expect((await store.decide(first.manifest.id, click(first.hash, { now: NOW }))).code).toBe(
        'not-pending',
      );

      const second = await stored();
      const justInTime = click(second.hash, { now: second.manifest.expiresAt - 1 });
      expect((await store.decide(second.manifest.id, justInTime)).code).toBe('approved');
    });

    it('uses the store clock when the click carries no time', async () => {
      const { manifest, hash } = await stored();
      now = manifest.expiresAt + 1;
      expect((await store.decide(manifest.id, click(hash, { now: undefined }))).code).toBe('expired');
    });

    it('refuses approve after deny, and deny after approve', async () => {
      const denied = await stored();
      await store.decide(denied.manifest.id, click(denied.hash, { decision: 'deny' }));
      expect(await store.decide(denied.manifest.id, click(denied.hash, { userId: 'U-OTHER' }))).toEqual(
        expect.objectContaining({ code: 'not-pending', state: 'denied', decidedBy: APPROVER }),
      );
      expect(await stateOf(denied.manifest.id)).toBe('denied');

      const approved = await stored();
      await store.decide(approved.manifest.id, click(approved.hash));
      const deny = click(approved.hash, { decision: 'deny', userId: 'U-OTHER' });
      expect(await store.decide(approved.manifest.id, deny)).toEqual(
        expect.objectContaining({ code: 'not-pending', state: 'approved', decidedBy: APPROVER }),
      );
      expect(await stateOf(approved.manifest.id)).toBe('approved');
    });

    it('refuses a click carrying the hash of a different plan (Atlantis #1508)', async () => {
      const { manifest, hash } = await stored();
      const changed = { ...manifest, jobs: [...manifest.jobs, { id: '103', payloadSha256: sha('{"a":3}') }] };
      const payloadChanged = {
        ...manifest,
        jobs: [manifest.jobs[0]!, { id: manifest.jobs[1]!.id, payloadSha256: sha('{"a":"changed"}') }],
      };
      for (const presented of [manifestHash(changed), manifestHash(payloadChanged), 'not-a-hash', '']) {
        expect(presented).not.toBe(hash);
        expect((await store.decide(manifest.id, click(presented))).code).toBe('hash-mismatch');
      }
      expect(await stateOf(manifest.id)).toBe('pending');
      // The right hash still works afterwards: a stale click does not burn the batch.
      expect((await store.decide(manifest.id, click(hash))).code).toBe('approved');
    });

    it('refuses an approval while a precondition fails, audits why, and keeps the batch pending', async () => {
      const { manifest, hash } = await stored();
      const failing = 'billing: Stripe is not reachable (down): HTTP 503';
      expect((await store.decide(manifest.id, click(hash, { preconditionFailure: failing }))).code).toBe(
        'precondition-failed',
      );
      expect(await stateOf(manifest.id)).toBe('pending');
      const audit = await store.auditTrail(manifest.id);
      expect(audit.at(-1)).toEqual(
        expect.objectContaining({ action: 'approve', result: 'precondition-failed', detail: failing }),
      );
      // Deny never needs the upstream: a failing precondition does not stop anyone closing a batch.
      expect(
        (await store.decide(manifest.id, click(hash, { decision: 'deny', preconditionFailure: failing })))
          .code,
      ).toBe('denied');
    });

    it('says not-found for an unknown batch, and for a malformed id without building a key from it', async () => {
      expect(await store.decide('b-000000000000', click(sha('x')))).toEqual({ code: 'not-found' });
      expect(await store.decide('b-1:*', click(sha('x')))).toEqual({ code: 'not-found' });
      const keys = [...(await dumpKeysWithPrefix(redis, prefix)).keys()];
      expect(keys).toEqual([store.auditKey]);
      const audit = await readAudit(redis, store.auditKey);
      expect(audit.map((e) => [e.batchId, e.result, e.detail])).toEqual([
        ['b-000000000000', 'not-found', ''],
        ['b-1:*', 'not-found', 'malformed batch id'],
      ]);
    });

    it('fails closed on a record that lost its fields', async () => {
      const { manifest, hash } = await stored();
      await redis.hdel(store.batchKey(manifest.id), 'hash');
      await expect(store.decide(manifest.id, click(hash))).rejects.toThrow(/incomplete/);
      expect(await redis.hget(store.batchKey(manifest.id), 'state')).toBe('pending');
    });

    it('gives a retried identical click after approval not-pending, and changes nothing but the audit', async () => {
      const { manifest, hash } = await stored();
      const request = click(hash);
      expect((await store.decide(manifest.id, request)).code).toBe('approved');
      const before = await dumpKeysWithPrefix(redis, prefix);
      const auditBefore = await readAudit(redis, store.auditKey);

      const retry = await store.decide(manifest.id, request);

      expect(retry).toEqual({
        code: 'not-pending',
        state: 'approved',
        decidedBy: APPROVER,
        decidedAt: NOW + 60_000,
      });
      const after = await dumpKeysWithPrefix(redis, prefix);
      expect(after.get(store.batchKey(manifest.id))).toEqual(before.get(store.batchKey(manifest.id)));
      const auditAfter = await readAudit(redis, store.auditKey);
      expect(auditAfter).toHaveLength(auditBefore.length + 1);
      expect(auditAfter.at(-1)).toEqual(
        expect.objectContaining({
          action: 'approve',
          actor: APPROVER,
          result: 'not-pending',
          from: 'approved',
          to: 'approved',
        }),
      );
    });
  });

  describe('races (separate connections, like bot replicas)', () => {
    const connections: Redis[] = [];
    const stores: RedisApprovalStore[] = [];
    beforeAll(() => {
      for (let i = 0; i < 5; i++) connections.push(testRedis());
    });
    beforeEach(() => {
      stores.length = 0;
      for (const connection of connections)
        stores.push(new RedisApprovalStore(connection, prefix, silentLogger, { clock: () => now }));
    });
    afterAll(() => Promise.all(connections.map((c) => c.quit())));

    it('50 concurrent decisions from different approvers approve exactly once (10 rounds)', async () => {
      for (let round = 0; round < 10; round++) {
        const { manifest, hash } = await stored();
        const results = await Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            stores[i % stores.length]!.decide(manifest.id, click(hash, { userId: `U-${round}-${i}` })),
          ),
        );
        const approved = results.filter((r) => r.code === 'approved');
        const notPending = results.filter((r) => r.code === 'not-pending');
        expect(approved).toHaveLength(1);
        expect(notPending).toHaveLength(49);
        // Every loser is told who won.
        for (const r of notPending) expect(r.decidedBy).toBe(approved[0]!.decidedBy);
        expect((await store.get(manifest.id))?.decidedBy).toBe(approved[0]!.decidedBy);
        const audit = await store.auditTrail(manifest.id);
        expect(audit.filter((e) => e.action === 'approve')).toHaveLength(50);
        expect(audit.filter((e) => e.result === 'approved')).toHaveLength(1);
      }
    });

    it('approvals and denials racing: exactly one decision wins', async () => {
      const { manifest, hash } = await stored();
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          stores[i % stores.length]!.decide(
            manifest.id,
            click(hash, { userId: `U-${i}`, decision: i % 2 === 0 ? 'approve' : 'deny' }),
          ),
        ),
      );
      const decided = results.filter((r) => r.code === 'approved' || r.code === 'denied');
      expect(decided).toHaveLength(1);
      expect(await stateOf(manifest.id)).toBe(decided[0]!.state);
    });

    it('20 concurrent claims: exactly one worker executes (10 rounds)', async () => {
      for (let round = 0; round < 10; round++) {
        const { manifest, hash } = await stored();
        await store.decide(manifest.id, click(hash));
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            stores[i % stores.length]!.claimForExecution(manifest.id, `worker-${i}`),
          ),
        );
        const winners = results.filter((r) => r.code === 'claimed');
        expect(winners).toHaveLength(1);
        expect(results.filter((r) => r.code === 'already-claimed')).toHaveLength(19);
        for (const r of results) expect(r.claimedBy).toBe(winners[0]!.claimedBy);
        expect(await store.get(manifest.id)).toEqual(
          expect.objectContaining({ state: 'executing', claimedBy: winners[0]!.claimedBy, claimedAt: NOW }),
        );
        const claims = (await store.auditTrail(manifest.id)).filter((e) => e.action === 'claim');
        expect(claims.filter((e) => e.result === 'claimed')).toHaveLength(1);
        expect(claims.filter((e) => e.result === 'already-claimed')).toHaveLength(19);
      }
    });
  });

  describe('execution', () => {
    async function approved(overrides: Parameters<typeof manifestInput>[0] = {}) {
      const batch = await stored(overrides);
      expect((await store.decide(batch.manifest.id, click(batch.hash))).code).toBe('approved');
      return batch;
    }

    it('claims only an approved batch', async () => {
      const pending = await stored();
      expect(await store.claimForExecution(pending.manifest.id, 'w1')).toEqual({
        code: 'not-approved',
        state: 'pending',
      });
      const denied = await stored();
      await store.decide(denied.manifest.id, click(denied.hash, { decision: 'deny' }));
      expect((await store.claimForExecution(denied.manifest.id, 'w1')).code).toBe('not-approved');
      expect((await store.claimForExecution('b-000000000000', 'w1')).code).toBe('not-found');
      expect(await stateOf(pending.manifest.id)).toBe('pending');
      expect(await stateOf(denied.manifest.id)).toBe('denied');
    });

    it('lists a batch from its approval until it is finished, and only then', async () => {
      const { manifest, hash } = await stored();
      const denied = await stored();
      expect(await store.unsettled()).toEqual([]);
      await store.decide(denied.manifest.id, click(denied.hash, { decision: 'deny' }));
      await store.decide(manifest.id, click(hash));
      expect(await store.unsettled()).toEqual([manifest.id]);
      await store.claimForExecution(manifest.id, 'w1');
      expect(await store.unsettled()).toEqual([manifest.id]);
      await store.finish(manifest.id, 'done', '1 of 1 replayed');
      expect(await store.unsettled()).toEqual([]);
    });

    it('never approves a dry run, and never claims one even if its record says approved', async () => {
      const { manifest, hash } = await stored({ dryRun: true });
      expect((await store.decide(manifest.id, click(hash))).code).toBe('dry-run');
      expect((await store.decide(manifest.id, click(hash, { decision: 'deny' }))).code).toBe('dry-run');
      expect(await stateOf(manifest.id)).toBe('pending');
      // Defence in depth: a record edited by hand to `approved` still never runs.
      await redis.hset(store.batchKey(manifest.id), 'state', 'approved');
      expect((await store.claimForExecution(manifest.id, 'w1')).code).toBe('dry-run');
      expect(await stateOf(manifest.id)).toBe('approved');
    });

    it('runs approved -> executing -> done once, and refuses to reopen it', async () => {
      const { manifest, hash } = await approved();
      expect(await store.finish(manifest.id, 'done', 'early')).toEqual({
        code: 'not-executing',
        state: 'approved',
      });
      now = NOW + 120_000;
      expect(await store.claimForExecution(manifest.id, 'w1')).toEqual({
        code: 'claimed',
        state: 'executing',
        claimedBy: 'w1',
      });
      now = NOW + 180_000;
      expect(await store.finish(manifest.id, 'done', '2 of 2 replayed')).toEqual({
        code: 'finished',
        state: 'done',
      });
      expect(await store.get(manifest.id)).toEqual(
        expect.objectContaining({
          state: 'done',
          claimedAt: NOW + 120_000,
          finishedAt: NOW + 180_000,
          summary: '2 of 2 replayed',
        }),
      );
      expect(await store.finish(manifest.id, 'failed', 'again')).toEqual({
        code: 'not-executing',
        state: 'done',
      });
      expect(await store.claimForExecution(manifest.id, 'w2')).toEqual({
        code: 'already-claimed',
        state: 'done',
        claimedBy: 'w1',
      });
      expect((await store.decide(manifest.id, click(hash))).code).toBe('not-pending');
      expect(await stateOf(manifest.id)).toBe('done');
    });

    it('records a failed batch', async () => {
      const { manifest } = await approved();
      await store.claimForExecution(manifest.id, 'w1');
      expect(await store.finish(manifest.id, 'failed', 'Stripe unreachable')).toEqual({
        code: 'finished',
        state: 'failed',
      });
      expect(await stateOf(manifest.id)).toBe('failed');
    });
  });

  describe('audit stream (invariant 7)', () => {
    it('has one entry per attempt, refused ones included, with who, what, when and the result', async () => {
      const { manifest, hash } = await stored();
      const at = NOW + 60_000;
      await store.decide(manifest.id, click(hash, { userId: REQUESTER, now: at }));
      await store.decide(manifest.id, click(hash, { userId: 'U-NOPE', userAllowed: false, now: at }));
      await store.decide(manifest.id, click(sha('old plan'), { now: at }));
      await store.decide(manifest.id, click(hash, { now: at }));
      await store.decide(manifest.id, click(hash, { userId: 'U-LATE', decision: 'deny', now: at }));
      await store.claimForExecution(manifest.id, 'w1');
      await store.claimForExecution(manifest.id, 'w2');
      await store.finish(manifest.id, 'done', '2 of 2 replayed');

      const trail = await store.auditTrail(manifest.id);
      expect(
        trail.map(({ action, actor, result, from, to }) => ({ action, actor, result, from, to })),
      ).toEqual([
        { action: 'create', actor: REQUESTER, result: 'created', from: '', to: 'pending' },
        { action: 'approve', actor: REQUESTER, result: 'self-approval', from: 'pending', to: 'pending' },
        { action: 'approve', actor: 'U-NOPE', result: 'not-an-approver', from: 'pending', to: 'pending' },
        { action: 'approve', actor: APPROVER, result: 'hash-mismatch', from: 'pending', to: 'pending' },
        { action: 'approve', actor: APPROVER, result: 'approved', from: 'pending', to: 'approved' },
        { action: 'deny', actor: 'U-LATE', result: 'not-pending', from: 'approved', to: 'approved' },
        { action: 'claim', actor: 'w1', result: 'claimed', from: 'approved', to: 'executing' },
        { action: 'claim', actor: 'w2', result: 'already-claimed', from: 'executing', to: 'executing' },
        { action: 'finish', actor: 'w1', result: 'finished', from: 'executing', to: 'done' },
      ]);
      expect(trail.every((e) => e.batchId === manifest.id)).toBe(true);
      expect(trail[0]!.at).toBe(NOW);
      expect(trail.slice(1, 6).every((e) => e.at === at)).toBe(true);
      expect(trail[0]!.detail).toBe('webhooks/webhook-delivery batch 1: 2 jobs');
      expect(trail[3]!.detail).toBe(`presented ${sha('old plan')}`);
      expect(trail[8]!.detail).toBe('2 of 2 replayed');
      // Stream ids grow: the order is the order Redis applied the attempts.
      const ids = trail.map((e) => e.streamId);
      expect([...ids].sort((a, b) => (a < b ? -1 : 1))).toEqual(ids);
    });

    it("keeps each batch's trail apart in the one stream", async () => {
      const a = await stored();
      const b = await stored();
      await store.decide(a.manifest.id, click(a.hash));
      await store.decide(b.manifest.id, click(b.hash, { decision: 'deny' }));
      expect((await store.auditTrail(a.manifest.id)).map((e) => e.result)).toEqual(['created', 'approved']);
      expect((await store.auditTrail(b.manifest.id)).map((e) => e.result)).toEqual(['created', 'denied']);
      expect(await readAudit(redis, store.auditKey)).toHaveLength(4);
    });

    it('records the expiry as a transition', async () => {
      const { manifest, hash } = await stored();
      await store.decide(manifest.id, click(hash, { now: manifest.expiresAt + 5 }));
      expect((await store.auditTrail(manifest.id)).at(-1)).toEqual(
        expect.objectContaining({
          result: 'expired',
          from: 'pending',
          to: 'expired',
          at: manifest.expiresAt + 5,
        }),
      );
    });
  });
});
