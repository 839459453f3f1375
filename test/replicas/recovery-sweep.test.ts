import { startRecoverySweep } from '../../handlers/replay/recovery-sweep';
import { resumeAndReport, startRecovery, type ResumeReport } from '../../handlers/replay/resume';
import { silentLogger } from '../../src/logger';
import { idleServices, type SweepClient } from './sweep-stubs';

const client = {} as SweepClient;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The periodic recovery every running replica does (issue 8, two replicas). */
describe('startRecoverySweep', () => {
  it('runs a pass at once and then every period, and none after stop', async () => {
    let calls = 0;
    const passes: (ResumeReport | 'failed')[] = [];
    const sweep = startRecoverySweep(
      idleServices(() => {
        calls += 1;
        return Promise.resolve([]);
      }),
      client,
      silentLogger,
      { everyMs: 20, jitterMs: 0, onPass: (report) => passes.push(report) },
    );
    await sleep(5);
    expect(calls).toBe(1);
    await sleep(150);
    expect(calls).toBeGreaterThanOrEqual(2);
    await sweep.stop();
    const stoppedAt = calls;
    await sleep(100);
    expect(calls).toBe(stoppedAt);
    expect(sweep.passes).toBe(stoppedAt);
    expect(passes[0]).toEqual({ finished: 0, busy: 0, failed: 0, approvedRun: 0, closed: 0 });
  });

  it('never starts a pass while the previous one is still running', async () => {
    let running = 0;
    let most = 0;
    let calls = 0;
    const sweep = startRecoverySweep(
      idleServices(async () => {
        calls += 1;
        running += 1;
        most = Math.max(most, running);
        // A pass that finishes a big batch takes many periods.
        await sleep(calls === 1 ? 120 : 1);
        running -= 1;
        return [];
      }),
      client,
      silentLogger,
      { everyMs: 10, jitterMs: 0 },
    );
    await sleep(100);
    expect(calls).toBe(1);
    await sleep(100);
    await sweep.stop();
    expect(calls).toBeGreaterThan(1);
    expect(most).toBe(1);
  });

  it('keeps sweeping after a pass fails (Redis away for a moment)', async () => {
    let calls = 0;
    const passes: (ResumeReport | 'failed')[] = [];
    const sweep = startRecoverySweep(
      idleServices(() => {
        calls += 1;
        return calls === 1 ? Promise.reject(new Error('connection lost')) : Promise.resolve([]);
      }),
      client,
      silentLogger,
      { everyMs: 10, jitterMs: 0, onPass: (report) => passes.push(report) },
    );
    await sleep(80);
    await sweep.stop();
    expect(passes[0]).toBe('failed');
    expect(passes.slice(1).length).toBeGreaterThan(0);
    expect(passes.slice(1).every((p) => p !== 'failed')).toBe(true);
  });

  it('stop resolves only once the pass in flight has ended, so Redis is closed after it', async () => {
    let ended = false;
    const sweep = startRecoverySweep(
      idleServices(async () => {
        await sleep(80);
        ended = true;
        return [];
      }),
      client,
      silentLogger,
      { everyMs: 1_000, jitterMs: 0 },
    );
    await sleep(10);
    await sweep.stop();
    expect(ended).toBe(true);
    expect(sweep.passes).toBe(1);
  });

  it('queues a click’s recovery (after a failed run) behind the sweep’s pass instead of running both at once', async () => {
    let running = 0;
    let most = 0;
    let calls = 0;
    const services = idleServices(async () => {
      calls += 1;
      running += 1;
      most = Math.max(most, running);
      await sleep(40);
      running -= 1;
      return [];
    });
    const sweep = startRecoverySweep(services, client, silentLogger, { everyMs: 5, jitterMs: 0 });
    await sleep(5);
    // The click path, and a direct pass, while the sweep's first pass is still running.
    const clicked = startRecovery(services, client, silentLogger, 10);
    const direct = resumeAndReport(services, client, silentLogger);
    await Promise.all([clicked.done, direct]);
    await sweep.stop();
    expect(calls).toBeGreaterThanOrEqual(3);
    expect(most).toBe(1);
  });
});
