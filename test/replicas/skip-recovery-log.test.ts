import { silentLogger } from '../../src/logger';
import { skipRecovery } from '../../src/redis-acl/replay-access';
import type { UnfinishedJournal } from '../../src/runbook/replay/types';

const waiting = (id: string): UnfinishedJournal => ({
  batch: { id, queuePrefix: 'bull', queue: 'q', jobs: [] },
  owner: null,
  createdAt: 1,
});

/**
 * A bot without REPLAY_REDIS_URL sweeps like every replica (issue 8): each
 * pass sees the same waiting batches. Saying so every period buries the log.
 */
describe('skipRecovery on a bot without a replay connection', () => {
  it('logs the waiting batches once, again only when the set changes, without asking for a restart', async () => {
    const lines: { obj: unknown; msg: unknown }[] = [];
    const logger = {
      ...silentLogger,
      error: (obj: unknown, msg: unknown) => lines.push({ obj, msg }),
    } as unknown as typeof silentLogger;
    let list = [waiting('b-1'), waiting('b-2')];
    const journal = { listUnfinished: () => Promise.resolve(list) };

    for (let pass = 0; pass < 5; pass++) expect(await skipRecovery(journal, logger)).toEqual([]);
    expect(lines.map((l) => l.obj)).toEqual([{ batches: ['b-1', 'b-2'] }]);

    list = [waiting('b-2'), waiting('b-1'), waiting('b-3')];
    await skipRecovery(journal, logger);
    await skipRecovery(journal, logger);
    list = [];
    await skipRecovery(journal, logger);
    list = [waiting('b-3')];
    await skipRecovery(journal, logger);

    expect(lines.map((l) => l.obj)).toEqual([
      { batches: ['b-1', 'b-2'] },
      { batches: ['b-1', 'b-2', 'b-3'] },
      { batches: ['b-3'] },
    ]);
    for (const { msg } of lines) expect(String(msg)).not.toMatch(/restart/);
  });
});
