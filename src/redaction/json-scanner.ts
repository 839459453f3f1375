/** Thrown at the first byte that breaks the JSON grammar; the caller falls back to text. */
export class InvalidJsonError extends Error {
  override name = 'InvalidJsonError';
  constructor(readonly position: number) {
    super(`not JSON at position ${position}`);
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const HEX4 = /^[0-9a-fA-F]{4}$/;
const SIMPLE_ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);

const ARRAY = 0;
const OBJECT = 1;

/**
 * A validating cursor over stored JSON text (RFC 8259). It hands out raw tokens so the
 * printer can copy them byte for byte: `1.0`, `1e3`, `12345678901234567890` and
 * `"\u00e9"` stay exactly as stored, which a JSON.parse round trip would not keep.
 */
export class JsonScanner {
  pos = 0;

  constructor(readonly src: string) {}

  fail(): never {
    throw new InvalidJsonError(this.pos);
  }

  atEnd(): boolean {
    return this.pos >= this.src.length;
  }

  peek(): string {
    return this.src[this.pos] ?? '';
  }

  skipWhitespace(): void {
    const { src } = this;
    while (this.pos < src.length) {
      const code = src.charCodeAt(this.pos);
      if (code !== 0x20 && code !== 0x0a && code !== 0x0d && code !== 0x09) return;
      this.pos += 1;
    }
  }

  expect(char: string): void {
    if (this.src[this.pos] !== char) this.fail();
    this.pos += 1;
  }

  /** The raw string token, quotes included. A hand loop: a regex could overflow on a 1 MB string. */
  scanString(): string {
    const { src } = this;
    const start = this.pos;
    if (src[start] !== '"') this.fail();
    let index = start + 1;
    for (;;) {
      if (index >= src.length) {
        this.pos = index;
        this.fail();
      }
      const code = src.charCodeAt(index);
      if (code === 0x22) break;
      if (code === 0x5c) {
        const escape = src[index + 1] ?? '';
        if (SIMPLE_ESCAPES.has(escape)) {
          index += 2;
        } else if (escape === 'u' && HEX4.test(src.slice(index + 2, index + 6))) {
          index += 6;
        } else {
          this.pos = index;
          this.fail();
        }
      } else if (code < 0x20) {
        this.pos = index;
        this.fail();
      } else {
        index += 1;
      }
    }
    this.pos = index + 1;
    return src.slice(start, this.pos);
  }

  /** A number, `true`, `false` or `null`, as stored. */
  scanScalar(): string {
    const { src } = this;
    for (const literal of ['true', 'false', 'null']) {
      if (src.startsWith(literal, this.pos)) {
        this.pos += literal.length;
        return literal;
      }
    }
    NUMBER.lastIndex = this.pos;
    const match = NUMBER.exec(src);
    if (!match) this.fail();
    this.pos = NUMBER.lastIndex;
    return match[0];
  }

  /**
   * Validates and passes over one value without producing output, returning the length
   * of its compact JSON text (whitespace outside strings dropped), which is what a
   * secret marker measures. Iterative with an explicit stack, so a payload nested ten
   * thousand levels deep is checked without recursion.
   */
  skipValue(): number {
    const stack: number[] = [];
    let length = 0;
    for (;;) {
      // A value is expected here.
      this.skipWhitespace();
      const char = this.peek();
      let closedEmpty = false;
      if (char === '{' || char === '[') {
        this.pos += 1;
        length += 1;
        this.skipWhitespace();
        const closer = char === '{' ? '}' : ']';
        if (this.peek() === closer) {
          this.pos += 1;
          length += 1;
          closedEmpty = true;
        } else if (char === '{') {
          stack.push(OBJECT);
          length += this.scanMemberName();
          continue;
        } else {
          stack.push(ARRAY);
          continue;
        }
      }
      if (!closedEmpty) length += char === '"' ? this.scanString().length : this.scanScalar().length;

      // After a complete value: close containers or move to the next element.
      for (;;) {
        const top = stack[stack.length - 1];
        if (top === undefined) return length;
        this.skipWhitespace();
        const next = this.peek();
        this.pos += 1;
        length += 1;
        if (next === ',') {
          if (top === OBJECT) length += this.scanMemberName();
          break;
        }
        if ((next === ']' && top === ARRAY) || (next === '}' && top === OBJECT)) {
          stack.pop();
          continue;
        }
        this.pos -= 1;
        this.fail();
      }
    }
  }

  /** `"name" :` inside an object; returns its compact length. */
  private scanMemberName(): number {
    this.skipWhitespace();
    const name = this.scanString();
    this.skipWhitespace();
    this.expect(':');
    return name.length + 1;
  }
}
