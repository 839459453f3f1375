import { Writable } from 'node:stream';
import { createLogger } from '../../src/logger';
import type { DepthReading } from '../../src/queues/types';
import { DepthSampler } from '../../src/runbook/depth-sampler';

const silent = createLogger({ level: 'silent' }, new Writable({ write: (_c, _e, done) => done() }));

const reading = (at: number, depth = 10, added = 100): DepthReading => ({ at, depth, delayed: 0, added });

function sampler(readDepth: (queue: string) => Promise<DepthReading>, intervalMs = 1000): DepthSampler {
  return new DepthSampler({
    queues: ['a', 'b'],
    readDepth,
    intervalMs,
    keepMs: 10_000,
    commandsPerReading: 11,
    logger: silent,
  });
}

describe('DepthSampler', () => {
  it('keeps readings per queue and finds the newest at least a window old', async () => {
    const times = [1_000, 3_000, 5_000, 6_000];
    let i = 0;
    const fake = new DepthSampler({
      queues: ['a'],
      readDepth: () => Promise.resolve(reading(times[i++] ?? 0)),
      intervalMs: 1000,
      keepMs: 10_000,
      commandsPerReading: 11,
      logger: silent,
    });
    for (let n = 0; n < times.length; n++) await fake.read('a');
    expect(fake.before('a', 6_000, 2_000)?.at).toBe(3_000);
    expect(fake.before('a', 6_000, 5_000)?.at).toBe(1_000);
    expect(fake.before('a', 6_000, 5_001)).toBeUndefined();
    expect(fake.before('b', 6_000, 0)).toBeUndefined();
    expect(fake.earliest('a', 6_000)?.at).toBe(1_000);
    // Too old to stand for "now": dropped, so a diagnosis watches instead of stretching its window.
    expect(fake.before('a', 12_000, 2_000)?.at).toBe(6_000);
    expect(fake.before('a', 16_500, 2_000)).toBeUndefined();
    expect(fake.stats()).toMatchObject({ readings: 4, failures: 0, commands: 44 });
  });

  it('reads every queue at start and each interval, reports its cost, and stops on close', async () => {
    const seen: string[] = [];
    const s = sampler((queue) => {
      seen.push(queue);
      return Promise.resolve(reading(Date.now()));
    }, 1000);
    s.start();
    s.start(); // idempotent
    await new Promise((resolve) => setTimeout(resolve, 1_150));
    expect(seen.filter((q) => q === 'a')).toHaveLength(2);
    expect(seen.filter((q) => q === 'b')).toHaveLength(2);
    // 2 queues × 11 commands × 60 rounds a minute.
    expect(s.stats().commandsPerMinute).toBe(1320);
    await s.close();
    await s.close();
    const after = seen.length;
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(seen).toHaveLength(after);
  });

  it('counts a failed reading and never lets rounds pile up behind a slow Redis', async () => {
    let calls = 0;
    const s = sampler(() => {
      calls++;
      return new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2_500));
    }, 1000);
    s.start();
    await new Promise((resolve) => setTimeout(resolve, 2_200));
    // Two ticks passed while the first round was still waiting: no second round started.
    expect(calls).toBe(2);
    await s.close();
    expect(s.stats()).toMatchObject({ readings: 0, failures: 2 });
  });
});
