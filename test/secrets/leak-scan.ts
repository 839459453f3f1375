import { forbiddenFragments } from './planted';

/** One text the bot produced, and where it went. */
export interface Scanned {
  readonly where: string;
  readonly text: string;
}

export interface Leak {
  readonly secret: string;
  readonly where: string;
  readonly fragment: string;
  /** The text around the fragment, to see what carried it. */
  readonly context: string;
}

/**
 * Every place where a fragment of a named secret shows up. JSON-escaped
 * texts are searched as they are and unescaped, so a PEM's `\n` or a `\/`
 * cannot hide a fragment.
 */
export function findLeaks(secrets: Readonly<Record<string, string>>, corpus: readonly Scanned[]): Leak[] {
  const leaks: Leak[] = [];
  const fragments = Object.entries(secrets).map(
    ([name, value]) => [name, forbiddenFragments(value)] as const,
  );
  for (const { where, text } of corpus) {
    const variants = [text, text.replace(/\\n/g, '\n').replace(/\\\//g, '/')];
    for (const [name, list] of fragments) {
      const hit = list.find((fragment) => variants.some((variant) => variant.includes(fragment)));
      if (hit === undefined) continue;
      const at = text.indexOf(hit);
      leaks.push({
        secret: name,
        where,
        fragment: hit,
        context: at >= 0 ? text.slice(Math.max(0, at - 80), at + hit.length + 40) : '(after unescaping)',
      });
    }
  }
  return leaks;
}

/** One line per leak, for a failure message a person can act on. */
export function describeLeaks(leaks: readonly Leak[]): string {
  return leaks
    .map((leak) => `${leak.secret} in ${leak.where}: …${leak.context.replace(/\s+/g, ' ')}…`)
    .join('\n');
}
