import { emojiFor } from './emoji';
import { escapeHtml } from './html';
import { decodeSlackEntities, renderAngleToken } from './mrkdwn-tokens';
import type { RenderContext } from './render-context';

const CODE_BLOCK = /```([\s\S]*?)```/g;
/**
 * Leftmost wins: a code span swallows `<…>` and `:emoji:` inside it, and a
 * link label may hold a backtick. A shortcode is an atom so that the `_` in
 * `white_check_mark` is never read as italics.
 */
const INLINE_ATOM = /`([^`\n]+)`|<([^<>\n]*)>|:([a-z0-9_+-]+):/g;
const QUOTE = /^(?:>|&gt;) ?/;
/**
 * Rendered code spans and `<…>` tokens wait in the line as private-use
 * placeholders while bold/italic/strike are parsed, so their content can
 * never be formatted or re-parsed. Input copies of these characters are
 * replaced first, so a message cannot forge a placeholder.
 */
const OPEN = '\uE000';
const CLOSE = '\uE001';
const PLACEHOLDER = /\uE000(\d+)\uE001/g;
const MARKS: ReadonlyMap<string, string> = new Map([
  ['*', 'strong'],
  ['_', 'em'],
  ['~', 'del'],
]);
const WORD = /[\p{L}\p{N}]/u;
const SPACE = /\s/;

/** Slack mrkdwn to HTML; every character that came from `text` or `ctx` is escaped. */
export function renderMrkdwn(text: string, ctx: RenderContext): string {
  const source = text.replace(/[\uE000\uE001]/g, '\uFFFD');
  const pieces: { code: boolean; text: string }[] = [];
  let last = 0;
  for (const m of source.matchAll(CODE_BLOCK)) {
    pieces.push({ code: false, text: source.slice(last, m.index) }, { code: true, text: m[1] ?? '' });
    last = m.index + m[0].length;
  }
  pieces.push({ code: false, text: source.slice(last) });
  return pieces
    .map((piece, i) => {
      if (piece.code) return `<pre class="code-block">${codeHtml(piece.text.replace(/^\n|\n$/g, ''))}</pre>`;
      // A <pre> is a block already: the newline that set it apart would be a blank line.
      let segment = piece.text;
      if (i > 0) segment = segment.replace(/^\n/, '');
      if (i < pieces.length - 1) segment = segment.replace(/\n$/, '');
      return renderLines(segment, ctx);
    })
    .join('');
}

/** Code shows exactly what was sent, Slack's entity escapes undone. */
function codeHtml(text: string): string {
  return escapeHtml(decodeSlackEntities(text));
}

/** Lines joined by `<br>`; runs of `>` lines become one blockquote. */
function renderLines(segment: string, ctx: RenderContext): string {
  let html = '';
  let quote: string[] = [];
  let afterInline = false;
  const flush = () => {
    if (quote.length === 0) return;
    html += `<blockquote>${quote.join('<br>')}</blockquote>`;
    quote = [];
    afterInline = false;
  };
  for (const line of segment.split(/\r?\n/)) {
    const marker = QUOTE.exec(line);
    if (marker) {
      quote.push(renderInline(line.slice(marker[0].length), ctx));
      continue;
    }
    flush();
    html += `${afterInline ? '<br>' : ''}${renderInline(line, ctx)}`;
    afterInline = true;
  }
  flush();
  return html;
}

function renderInline(line: string, ctx: RenderContext): string {
  const atoms: string[] = [];
  let withPlaceholders = '';
  let last = 0;
  for (const m of line.matchAll(INLINE_ATOM)) {
    const [whole, code, angle, shortcode] = m;
    atoms.push(
      code !== undefined
        ? `<code>${codeHtml(code)}</code>`
        : angle !== undefined
          ? renderAngleToken(angle, ctx)
          : emojiHtml(shortcode ?? ''),
    );
    withPlaceholders += `${line.slice(last, m.index)}${OPEN}${atoms.length - 1}${CLOSE}`;
    last = m.index + whole.length;
  }
  withPlaceholders += line.slice(last);
  const formatted = format(decodeSlackEntities(withPlaceholders));
  return formatted.replace(PLACEHOLDER, (_m, index: string) => atoms[Number(index)] ?? '');
}

function emojiHtml(name: string): string {
  const emoji = emojiFor(name);
  return emoji === undefined
    ? escapeHtml(`:${name}:`)
    : `<span class="emoji" title=":${name}:">${emoji}</span>`;
}

/**
 * Bold, italic and strike, nested by recursion. Like Slack, a marker opens
 * only at a word boundary before a non-space, and closes after a non-space
 * before a word boundary, so `snake_case` and `2*3*4` stay as they are. An
 * opener pairs with the first closer after it, so a span never holds a closer
 * of its own mark: nesting is at most three deep, and spans side by side are a
 * loop, not recursion, so a long line cannot exhaust the stack.
 */
function format(text: string): string {
  const closers = closerPositions(text);
  let html = '';
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const mark = text.charAt(i);
    const tag = MARKS.get(mark);
    if (tag === undefined || !opensAt(text, i)) continue;
    const close = closers.get(mark)?.next(i + 2);
    if (close === undefined) continue;
    html += `${escapeHtml(text.slice(start, i))}<${tag}>${format(text.slice(i + 1, close))}</${tag}>`;
    start = close + 1;
    i = close;
  }
  return html + escapeHtml(text.slice(start));
}

function opensAt(text: string, i: number): boolean {
  const before = text.charAt(i - 1);
  const after = text.charAt(i + 1);
  return (i === 0 || !WORD.test(before)) && after !== '' && !SPACE.test(after) && after !== text.charAt(i);
}

/**
 * Where each mark could close, found once per call: scanning ahead from every
 * opener instead would make a line of unclosed markers quadratic.
 */
function closerPositions(text: string): Map<string, Cursor> {
  const positions = new Map<string, number[]>([...MARKS.keys()].map((mark) => [mark, []]));
  for (let j = 1; j < text.length; j++) {
    const list = positions.get(text.charAt(j));
    if (list && !SPACE.test(text.charAt(j - 1)) && !WORD.test(text.charAt(j + 1))) list.push(j);
  }
  return new Map([...positions].map(([mark, list]) => [mark, new Cursor(list)]));
}

/** The first position at or after a point; points only grow within one `format` call. */
class Cursor {
  private index = 0;
  constructor(private readonly positions: readonly number[]) {}

  next(from: number): number | undefined {
    while (this.index < this.positions.length && (this.positions[this.index] ?? Infinity) < from)
      this.index++;
    return this.positions[this.index];
  }
}
