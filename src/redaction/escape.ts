/**
 * Characters that could corrupt or disguise a preview: C0 controls other than tab and
 * line feed (kept because multi-line text stays readable in a code block and they
 * cannot hide anything), DEL, C1 controls, line/paragraph separators and the bidi
 * overrides used to make text read differently from what it is.
 */
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

export function escapeControlChars(text: string): string {
  return text.replace(UNSAFE, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
