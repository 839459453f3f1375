import { downstreamPart, MAX_DETAIL_LINES, type JobFinding } from '../../../../src/runbook/verify/downstream';
import type { CompletedJob } from '../../../../src/runbook/verify/types';
import type { WorkflowId } from '../../../../src/workflows/types';
import { completedJob, downstreamConfig, downstreamPool } from './fixtures';

const finding = (jobId: string, status: JobFinding['status']): JobFinding => ({
  jobId,
  status,
  text: `${status} text`,
});

describe('downstream part', () => {
  it('keeps at most 20 lines, failing then unknown first, and counts what it left out', () => {
    const passes = Array.from({ length: 22 }, (_, i) => finding(`p${i}`, 'pass'));
    const jobs = [
      ...passes.slice(0, 11),
      finding('u1', 'unknown'),
      ...passes.slice(11),
      finding('f1', 'fail'),
    ];
    const part = downstreamPart('effect', { kind: 'checked', jobs });
    expect(part.status).toBe('fail');
    expect(part.summary).toBe('effect: 1 of 24 jobs failed, 1 could not be checked');
    expect(part.details).toHaveLength(MAX_DETAIL_LINES);
    expect(MAX_DETAIL_LINES).toBe(20);
    expect(part.details.slice(0, 3)).toEqual([
      'fail job f1: fail text',
      'unknown job u1: unknown text',
      'pass job p0: pass text',
    ]);
    expect(part.details[18]).toBe('pass job p16: pass text');
    expect(part.details[19]).toBe('… 5 more jobs (5 pass)');
  });

  it('lists exactly 20 jobs without a "more" line', () => {
    const jobs = Array.from({ length: 20 }, (_, i) => finding(`j${i}`, i === 19 ? 'unknown' : 'pass'));
    const part = downstreamPart('effect', { kind: 'checked', jobs });
    expect(part.status).toBe('unknown');
    expect(part.details).toHaveLength(20);
    expect(part.details[0]).toBe('unknown job j19: unknown text');
    expect(part.details.some((line) => line.startsWith('…'))).toBe(false);
  });

  it('counts left-out failures too when they overflow', () => {
    const jobs = Array.from({ length: 25 }, (_, i) => finding(`f${i}`, 'fail'));
    const part = downstreamPart('effect', { kind: 'checked', jobs });
    expect(part.details[19]).toBe('… 6 more jobs (6 fail)');
  });

  it('cuts a long line and hides anything shaped like a Stripe key', () => {
    const text = `sk_live_${'a'.repeat(40)} ${'x'.repeat(400)}`;
    const part = downstreamPart('effect', { kind: 'checked', jobs: [{ jobId: '1', status: 'fail', text }] });
    expect(part.details[0]!.length).toBeLessThanOrEqual(200);
    expect(part.details[0]).toMatch(/^fail job 1: \[key\] x+…$/);
  });

  it('passes a skipped finding through with its reason', () => {
    expect(downstreamPart('effect', { kind: 'skipped', reason: 'not configured: set X' })).toEqual({
      name: 'downstream',
      status: 'skipped',
      summary: 'not configured: set X',
      details: [],
    });
  });
});

describe('downstream checks', () => {
  const pool = downstreamPool();
  afterEach(() => pool.closeAll());

  it('says no replayed job completed yet, even where a check is not configured', async () => {
    // Nothing configured: asked with its jobs, recordings and billing would say "not configured".
    const checks = pool.make(downstreamConfig());
    for (const workflow of ['webhooks', 'recordings', 'billing'] as const) {
      expect(await checks.check(workflow, [])).toEqual({
        name: 'downstream',
        status: 'skipped',
        summary: 'no replayed job completed yet',
        details: [],
      });
    }
  });

  it('never rejects: a check that throws answers unknown with the reason', async () => {
    const broken = [null] as unknown as CompletedJob[];
    const part = await pool.make(downstreamConfig()).check('webhooks', broken);
    expect(part.name).toBe('downstream');
    expect(part.status).toBe('unknown');
    expect(part.summary).toMatch(/^downstream check failed: /);
  });

  it('is unknown for a workflow it does not know', async () => {
    const part = await pool
      .make(downstreamConfig())
      .check('invoices' as WorkflowId, [completedJob('1', {}, '200')]);
    expect(part).toMatchObject({
      status: 'unknown',
      summary: 'not checked: no downstream check for workflow invoices',
    });
  });

  it('is unknown after close, and close can be called again', async () => {
    const checks = pool.make(downstreamConfig());
    await checks.close();
    await expect(checks.close()).resolves.toBeUndefined();
    expect(await checks.check('webhooks', [completedJob('1', {}, '200')])).toMatchObject({
      status: 'unknown',
      summary: 'not checked: the downstream checks are closed',
    });
  });
});
