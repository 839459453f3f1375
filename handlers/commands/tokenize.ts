/**
 * Splits command text into words, keeping quoted phrases together. Slack
 * clients often turn straight quotes into curly ones, so both count.
 */
export function tokenize(text: string): string[] {
  const words: string[] = [];
  const pattern = /"([^"]*)"|“([^”]*)”|'([^']*)'|‘([^’]*)’|(\S+)/g;
  for (const match of text.matchAll(pattern)) {
    words.push(match[1] ?? match[2] ?? match[3] ?? match[4] ?? match[5] ?? '');
  }
  return words;
}
