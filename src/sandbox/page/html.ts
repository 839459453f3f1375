// Both quote kinds are escaped so the same function is safe for text and for
// attribute values, whichever quote a later template happens to use.
const HTML_ESCAPES: ReadonlyMap<string, string> = new Map([
  ['&', '&amp;'],
  ['<', '&lt;'],
  ['>', '&gt;'],
  ['"', '&quot;'],
  ["'", '&#39;'],
]);

/** Everything from a message goes through here before it reaches the page. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES.get(c) ?? c);
}

/** ` name="value"`, value escaped; attribute names are ours, never from a message. */
export function attr(name: string, value: string): string {
  return ` ${name}="${escapeHtml(value)}"`;
}

/** plain_text objects keep their line breaks in Slack. */
export function plainToHtml(text: string): string {
  return escapeHtml(text).replace(/\r?\n/g, '<br>');
}
