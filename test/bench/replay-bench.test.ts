import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runReplayBench } from '../../bench/replay.bench';

/** The bench's main at a tiny size: the figures exist and every job moved exactly once in both copies. */
describe('replay bench (300 jobs)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'stuckjobs-replay-bench-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('replays both copies, measures both, and checks the moves', async () => {
    const result = await runReplayBench({ jobs: 300, chunkSize: 50, print: false, resultsDir: dir });

    expect(result.movedExactlyOnce).toBe(true);
    for (const check of [result.checks.ours, result.checks.retryJobs]) {
      expect(check).toEqual({ failed: 0, wait: 300, movedOnce: 300, notOnce: 0 });
    }
    expect(result.checks.journalReplayed).toBe(300);
    for (const side of [result.ours, result.retryJobs]) {
      expect(side.jobsPerSecond).toBeGreaterThan(0);
      expect(side.slowest.micros).toBeGreaterThan(0);
      expect(side.slowest.command).not.toBe('');
      expect(side.slowest.complete).toBe(true);
    }
    // Our chunk script shows up in the log; the peer's bulk move does too.
    expect(result.ours.slowest.commands).toBeGreaterThan(300 / 50);
    expect(result.ratio).toBeGreaterThan(0);
    const names = result.report.figures.map((f) => f.name);
    expect(names).toEqual(expect.arrayContaining(['longest single Redis call', 'replay wall time']));
  }, 60_000);
});
