import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Tally } from './attack-kit';

/** Where each suite leaves its counts (kept out of git), for the README's Reliability figures. */
export function writeTally(suite: string, tally: Tally): void {
  const dir = join(__dirname, '..', '..', '.ci', 'out');
  mkdirSync(dir, { recursive: true });
  const { tried, refused, crashed, names } = tally;
  writeFileSync(
    join(dir, `adversarial-${suite}.json`),
    `${JSON.stringify({ suite, tried, refused, crashed, cases: names }, null, 2)}\n`,
  );
}
