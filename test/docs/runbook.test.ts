import { existsSync, readFileSync } from 'node:fs';
import { join, normalize } from 'node:path';

/**
 * docs/RUNBOOK.md maps the runbook's instructions to tests written as
 * `test/path/file.test.ts` › "exact test name". Every one must name a real
 * it()/it.each()/test() title, and every runbook step must cite at least one.
 */
const ROOT = join(__dirname, '..', '..');
const DOC = readFileSync(join(ROOT, 'docs', 'RUNBOOK.md'), 'utf8');

/** The runbook's step headings, as `## ` headings of the doc. */
const STEPS = [
  'Diagnose first',
  'Step 1 — Quiesce the producer if you can',
  'Step 2 — Read before you replay',
  'Step 3 — Drain or re-enqueue',
  'Step 4 — Verify',
  'Step 5 — Document the cause',
] as const;

interface Reference {
  readonly file: string;
  readonly name: string;
}

/** A name ends at the `"` before a line break, a `<br>` or a table bar, so names may hold quotes. */
const REFERENCE = /`(test\/[^`\s]+\.test\.ts)` › "(.+?)"(?=\s*(?:<br>|\||$))/gm;

function referencesIn(text: string): Reference[] {
  return [...text.matchAll(REFERENCE)].map((match) => ({ file: match[1] ?? '', name: match[2] ?? '' }));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The name as a string literal in each quote style; a `${…}` title is matched up to its first `${`. */
function literalPatterns(name: string): RegExp[] {
  const template = name.indexOf('${');
  if (template >= 0) return [new RegExp(`\`${escapeRegExp(name.slice(0, template))}\\$\\{`)];
  return (['"', "'", '`'] as const).map((quote) => {
    const body = name.replace(/\\/g, '\\\\').split(quote).join(`\\${quote}`);
    return new RegExp(`${quote}${escapeRegExp(body)}${quote}`);
  });
}

/** True when a literal at `index` is the title of it(), test() or it.each(table)(). */
function isTitleAt(source: string, index: number): boolean {
  const before = source.slice(0, index).trimEnd();
  if (/\b(?:it|test)(?:\.(?:only|skip|concurrent|failing))?\($/.test(before)) return true;
  return before.endsWith(')(') && /\b(?:it|test)\.each\b/.test(before.slice(-3000));
}

function resolves({ file, name }: Reference): boolean {
  const path = normalize(join(ROOT, file));
  if (!path.startsWith(join(ROOT, 'test')) || !existsSync(path)) return false;
  const source = readFileSync(path, 'utf8');
  return literalPatterns(name).some((pattern) => {
    const global = new RegExp(pattern.source, 'g');
    return [...source.matchAll(global)].some((match) => isTitleAt(source, match.index));
  });
}

function sectionOf(heading: string): string | undefined {
  const sections = DOC.split(/^## /m);
  return sections.find((section) => section.split('\n', 1)[0]?.trim() === heading);
}

describe('docs/RUNBOOK.md', () => {
  const references = referencesIn(DOC);

  it('names tests in the `test/…` › "name" form, and only in that form', () => {
    expect(references.length).toBeGreaterThan(0);
    // A mention the pattern cannot read would escape the check below.
    expect(DOC.split('` › "').length - 1).toBe(references.length);
  });

  it('cites at least one test under every runbook step', () => {
    const bare = STEPS.filter((step) => {
      const section = sectionOf(step);
      return section === undefined || referencesIn(section).length === 0;
    });
    expect(bare).toEqual([]);
  });

  it('names only tests that exist', () => {
    const missing = references
      .filter((reference) => !resolves(reference))
      .map(({ file, name }) => `${file} › "${name}"`);
    expect(missing).toEqual([]);
  });
});
