import { looksLikeCardNumber, maskCardNumber } from './cards';
import { escapeControlChars } from './escape';
import { InvalidJsonError, JsonScanner } from './json-scanner';
import { markerForLength, secretMarker } from './marker';
import { isSecretKey } from './secret-keys';
import { maskFreeText } from './text';
import type { RedactionCounter, RedactionOptions, RenderedPayload } from './types';

/**
 * Containers deeper than this are replaced, counting containers inside JSON held in
 * strings too. It bounds the printer's recursion, so a hostile payload cannot overflow
 * the stack; real job payloads are a handful of levels deep.
 */
export const MAX_DEPTH = 64;
export const TOO_DEEP = '[too deep]';

const INDENT = '  ';

interface PrintContext {
  readonly extraSecretKeys: readonly string[];
  readonly counter: RedactionCounter;
}

/** Where one member's value landed in the output, so it can still be replaced. */
interface PrintedMember {
  readonly name: string;
  readonly start: number;
  readonly end: number;
  readonly secret: boolean;
}

/** Keys that name a sibling's value (`{"name": "Authorization", "value": "…"}`), and the keys of that value. */
const NAMING_KEYS = new Set(['name', 'key', 'header', 'field']);
const VALUE_KEYS = new Set(['value', 'val', 'values']);

interface KeyVerdict {
  /** The key as stored, decoded. */
  readonly name: string;
  readonly secret: boolean;
  /** The key as printed: the stored token, or a masked one. */
  readonly token: string;
  readonly redactions: number;
}

/**
 * Payloads repeat the same few keys thousands of times; remembering the verdict per
 * stored key token makes a 1 MB array of objects several times faster. Bounded so
 * a payload of unique keys cannot grow it without limit.
 */
const KEY_CACHE_LIMIT = 4096;

/**
 * Re-indents stored JSON while copying every token as stored. Output is collected in
 * `parts` and joined once, which keeps a megabyte payload linear.
 */
class RedactingPrinter {
  private readonly parts: string[] = [];
  private readonly scanner: JsonScanner;
  private readonly keyVerdicts = new Map<string, KeyVerdict>();

  /** `pretty`: JSON.stringify(…, null, 2) layout; otherwise compact, for JSON inside strings. */
  constructor(
    source: string,
    private readonly context: PrintContext,
    private readonly pretty: boolean,
  ) {
    this.scanner = new JsonScanner(source);
  }

  /** The whole text as one JSON value; `depth` counts containers already around it. */
  document(depth: number): string {
    const { scanner } = this;
    scanner.skipWhitespace();
    this.value(depth);
    scanner.skipWhitespace();
    if (!scanner.atEnd()) scanner.fail();
    return this.parts.join('');
  }

  private newline(depth: number): string {
    return this.pretty ? '\n' + INDENT.repeat(depth) : '';
  }

  private value(depth: number): void {
    const { scanner } = this;
    const char = scanner.peek();
    if (char === '{' || char === '[') {
      if (depth >= MAX_DEPTH) {
        scanner.skipValue(); // still validated: a broken tail makes the whole text not-JSON
        this.parts.push(JSON.stringify(TOO_DEEP));
        this.context.counter.count += 1;
      } else if (char === '{') {
        this.object(depth + 1);
      } else {
        this.array(depth + 1);
      }
    } else if (char === '"') {
      this.parts.push(this.stringToken(scanner.scanString(), depth));
    } else {
      this.parts.push(this.scalarToken(scanner.scanScalar()));
    }
  }

  /** A card number stored as a JSON number never meets the string maskers. */
  private scalarToken(raw: string): string {
    if (!/^\d{13,19}$/.test(raw) || !looksLikeCardNumber(raw)) return raw;
    this.context.counter.count += 1;
    return JSON.stringify(maskCardNumber(raw));
  }

  private object(depth: number): void {
    const { scanner, parts } = this;
    scanner.expect('{');
    scanner.skipWhitespace();
    if (scanner.peek() === '}') {
      scanner.pos += 1;
      parts.push('{}');
      return;
    }
    parts.push('{');
    const inner = this.newline(depth);
    const members: PrintedMember[] = [];
    for (let first = true; ; first = false) {
      scanner.skipWhitespace();
      const key = this.key(scanner.scanString());
      this.context.counter.count += key.redactions;
      parts.push(first ? inner : ',' + inner, key.token, this.pretty ? ': ' : ':');
      scanner.skipWhitespace();
      scanner.expect(':');
      scanner.skipWhitespace();
      const start = parts.length;
      if (key.secret) parts.push(this.secretValue());
      else this.value(depth);
      members.push({ name: key.name, start, end: parts.length, secret: key.secret });
      scanner.skipWhitespace();
      const next = scanner.peek();
      scanner.pos += 1;
      if (next === '}') break;
      if (next !== ',') {
        scanner.pos -= 1;
        scanner.fail();
      }
    }
    this.redactNamedValues(members);
    parts.push(this.newline(depth - 1) + '}');
  }

  /**
   * Header lists are often stored as `{"name": "X-Api-Key", "value": "…"}`:
   * the secret is named by a sibling, not by its own key. Members can come in
   * any order, so this runs once the whole object is printed.
   */
  private redactNamedValues(members: readonly PrintedMember[]): void {
    const names = members.filter((m) => NAMING_KEYS.has(m.name.toLowerCase()) && !m.secret);
    const namesSecret = names.some((m) => {
      const text = this.parts.slice(m.start, m.end).join('');
      if (!text.startsWith('"')) return false;
      const name = JSON.parse(text) as string;
      return isSecretKey(name, this.context.extraSecretKeys);
    });
    if (!namesSecret) return;
    for (const member of members) {
      if (!VALUE_KEYS.has(member.name.toLowerCase()) || member.secret) continue;
      const printed = this.parts.slice(member.start, member.end).join('');
      this.parts.fill('', member.start, member.end);
      this.parts[member.start] = JSON.stringify(markerForLength(printed.length));
      this.context.counter.count += 1;
    }
  }

  private array(depth: number): void {
    const { scanner, parts } = this;
    scanner.expect('[');
    scanner.skipWhitespace();
    if (scanner.peek() === ']') {
      scanner.pos += 1;
      parts.push('[]');
      return;
    }
    parts.push('[');
    const inner = this.newline(depth);
    for (let first = true; ; first = false) {
      scanner.skipWhitespace();
      parts.push(first ? inner : ',' + inner);
      this.value(depth);
      scanner.skipWhitespace();
      const next = scanner.peek();
      scanner.pos += 1;
      if (next === ']') break;
      if (next !== ',') {
        scanner.pos -= 1;
        scanner.fail();
      }
    }
    parts.push(this.newline(depth - 1) + ']');
  }

  /** Any value under a secret key becomes a marker string, so the output stays JSON. */
  private secretValue(): string {
    const { scanner } = this;
    this.context.counter.count += 1;
    if (scanner.peek() === '"') return JSON.stringify(secretMarker(JSON.parse(scanner.scanString())));
    return JSON.stringify(markerForLength(scanner.skipValue()));
  }

  /**
   * Secrecy is judged on the stored key; the key itself is then masked for display,
   * because keys can hold personal data too (maps keyed by e-mail address).
   */
  private key(raw: string): KeyVerdict {
    const cached = this.keyVerdicts.get(raw);
    if (cached) return cached;
    const key = JSON.parse(raw) as string;
    const local: RedactionCounter = { count: 0 };
    const masked = maskFreeText(key, this.context.extraSecretKeys, local);
    const verdict: KeyVerdict = {
      name: key,
      secret: isSecretKey(key, this.context.extraSecretKeys),
      token: local.count === 0 ? raw : JSON.stringify(masked),
      redactions: local.count,
    };
    if (this.keyVerdicts.size < KEY_CACHE_LIMIT) this.keyVerdicts.set(raw, verdict);
    return verdict;
  }

  /** Unchanged strings are copied byte for byte; changed ones are re-escaped. */
  private stringToken(raw: string, depth: number): string {
    const decoded = JSON.parse(raw) as string;
    const local: RedactionCounter = { count: 0 };
    const redacted = redactString(decoded, depth, this.context.extraSecretKeys, local);
    if (local.count === 0) return raw;
    this.context.counter.count += local.count;
    return JSON.stringify(redacted);
  }
}

/** Runs the printer; undefined when the text is not JSON. */
function tryPrint(source: string, context: PrintContext, pretty: boolean, depth: number): string | undefined {
  try {
    return new RedactingPrinter(source, context, pretty).document(depth);
  } catch (error) {
    if (error instanceof InvalidJsonError) return undefined;
    throw error;
  }
}

/**
 * Masks one string value. A string that itself holds a JSON object or array (a webhook
 * `body` stored as text) is redacted as JSON, with its containers counted from `depth`,
 * and written back compactly. That normalises the inner text's layout, which is
 * acceptable because it only happens when something in it was redacted; otherwise the
 * string is left exactly as it was.
 */
export function redactString(
  text: string,
  depth: number,
  extraSecretKeys: readonly string[],
  counter: RedactionCounter,
): string {
  const start = /\S/.exec(text)?.[0];
  if (start === '{' || start === '[') {
    const inner: RedactionCounter = { count: 0 };
    const printed = tryPrint(text, { extraSecretKeys, counter: inner }, false, depth);
    if (printed !== undefined) {
      if (inner.count === 0) return text;
      counter.count += inner.count;
      return printed;
    }
  }
  return maskFreeText(text, extraSecretKeys, counter);
}

/**
 * Pretty-prints a stored job payload for a Slack preview with secrets and personal data
 * hidden. The layout matches `JSON.stringify(value, null, 2)`, but the output is made
 * from the stored text rather than from JSON.parse: key order (JSON.parse moves
 * integer-like keys first), duplicate keys, number literals and string escapes are
 * shown as stored, which is what a reader comparing against Redis expects.
 */
export function renderStoredJson(raw: string, options: RedactionOptions = {}): RenderedPayload {
  const extraSecretKeys = options.extraSecretKeys ?? [];
  const trimmed = raw.trim();
  if (trimmed === '' || trimmed === 'null') return { kind: 'empty', text: trimmed, redactions: 0 };

  const counter: RedactionCounter = { count: 0 };
  const printed = tryPrint(raw, { extraSecretKeys, counter }, true, 0);
  if (printed !== undefined) return { kind: 'json', text: printed, redactions: counter.count };

  const fallback: RedactionCounter = { count: 0 };
  const text = maskFreeText(escapeControlChars(raw), extraSecretKeys, fallback);
  return { kind: 'not-json', text, redactions: fallback.count };
}
