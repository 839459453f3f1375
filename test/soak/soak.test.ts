import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runSoak } from '../../bench/soak';
import { FAULT_KINDS } from '../../bench/soak/incident-spec';
import { testRedisUrl } from '../helpers/redis';

/**
 * The soak run's short form: a few incidents through the emulator and the
 * real bot, with faults drawn at a high rate, checked against Redis. The long
 * form is `node dist/bench/soak.js` (see bench/soak.ts).
 */
describe('soak run (short form)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'stuckjobs-soak-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs faulted incidents end to end: nothing lost or duplicated, every owed refusal made', async () => {
    const { summary, report } = await runSoak({
      incidents: 4,
      // Drawn so that these four incidents inject every kind of fault, in both workflows.
      seed: 15,
      limits: { maxBacklog: 40, faultRate: 0.5 },
      redisUrl: testRedisUrl(),
      resultsDir: dir,
      print: false,
    });
    expect(summary.problems).toEqual([]);
    expect(FAULT_KINDS.filter((kind) => summary.faults[kind].injected === 0)).toEqual([]);
    for (const kind of FAULT_KINDS) {
      expect([kind, summary.faults[kind].refusalsHappened]).toEqual([
        kind,
        summary.faults[kind].refusalsExpected,
      ]);
    }
    expect(summary.incidentsRun).toBe(4);
    expect(summary.incidentsStalled).toBe(0);
    expect(summary.lost).toBe(0);
    expect(summary.duplicated).toBe(0);
    expect(summary.movedUnapproved).toBe(0);
    expect(summary.neverReplayDisturbed).toBe(0);
    expect(summary.refusalsExpected).toBeGreaterThan(0);
    expect(summary.refusalsHappened).toBe(summary.refusalsExpected);
    expect(summary.jobsReplayed).toBeGreaterThan(0);
    expect(summary.jobsMoved).toBe(summary.jobsReplayed);
    expect(summary.ok).toBe(true);
    expect(report.figures.find((f) => f.name === 'lost')?.value).toBe(0);
  }, 120_000);
});
