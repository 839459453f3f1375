import { createLimiter } from '../../src/checks/limit';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('createLimiter', () => {
  it('runs at most `concurrency` tasks at once, in arrival order', async () => {
    const limit = createLimiter(2);
    const started: number[] = [];
    const releases: Array<() => void> = [];
    const tasks = [0, 1, 2, 3].map((i) =>
      limit(
        () =>
          new Promise<number>((resolve) => {
            started.push(i);
            releases[i] = () => resolve(i);
          }),
      ),
    );
    await tick();
    expect(started).toEqual([0, 1]);
    releases[1]!();
    await tick();
    expect(started).toEqual([0, 1, 2]);
    releases[0]!();
    releases[2]!();
    await tick();
    releases[3]!();
    expect(await Promise.all(tasks)).toEqual([0, 1, 2, 3]);
  });

  // The window between a release and the waiter waking up is a few microtasks wide; a newcomer
  // arriving at each depth in turn finds it if the slot is not handed over directly.
  it.each(Array.from({ length: 8 }, (_, depth) => depth))(
    'does not let a newcomer arriving %i microtasks after a release take the waiter’s slot',
    async (depth) => {
      const limit = createLimiter(1);
      let running = 0;
      let peak = 0;
      const enter = () => (peak = Math.max(peak, ++running));
      let finishFirst: () => void = () => undefined;
      const first = limit(
        () =>
          new Promise<void>((resolve) => {
            enter();
            finishFirst = () => {
              running -= 1;
              resolve();
            };
          }),
      );
      const quick = async () => {
        enter();
        await tick();
        running -= 1;
      };
      const waiter = limit(quick);
      await tick();
      finishFirst();
      let hop = Promise.resolve();
      for (let i = 0; i < depth; i++) hop = hop.then(() => undefined);
      const newcomer = hop.then(() => limit(quick));
      await Promise.all([first, waiter, newcomer]);
      expect(peak).toBe(1);
    },
  );

  it('frees the slot when a task rejects', async () => {
    const limit = createLimiter(1);
    await expect(limit(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(limit(() => Promise.resolve('next'))).resolves.toBe('next');
  });

  it('treats a concurrency below 1 as 1', async () => {
    const limit = createLimiter(0);
    await expect(limit(() => Promise.resolve(1))).resolves.toBe(1);
  });
});
