import { renderStoredJson, TOO_DEEP } from '../../src/redaction';

const render = (raw: string, extraSecretKeys: readonly string[] = []) =>
  renderStoredJson(raw, { extraSecretKeys });

/** The layout the preview promises, for inputs where JSON.parse keeps order and literals. */
const reference = (raw: string) => JSON.stringify(JSON.parse(raw), null, 2);

describe('renderStoredJson: layout as stored', () => {
  it.each([
    '{"a":1,"b":[1,2,{"c":null}],"d":{},"e":[],"f":"text","g":true,"h":false}',
    '[1,[2,[3,[]]],{"x":{"y":{"z":"deep"}}}]',
    '  { "spaced" :\t[ 1 ,\n 2 ] }\n',
    '"just a string"',
    '42',
    '[]',
    '{}',
    '{"unicode":"héllo wörld","quote":"say \\"hi\\"","slash":"a\\\\b","newline":"a\\nb"}',
  ])('matches JSON.stringify(JSON.parse(raw), null, 2) byte for byte: %j', (raw) => {
    const rendered = render(raw);
    expect(rendered).toEqual({ kind: 'json', text: reference(raw), redactions: 0 });
  });

  it('keeps integer-like keys in stored order (JSON.parse would move them first)', () => {
    expect(render('{"b":1,"2":2,"1":3}').text).toBe('{\n  "b": 1,\n  "2": 2,\n  "1": 3\n}');
  });

  it('keeps number literals as stored', () => {
    expect(render('{"a":1.0,"b":1e3,"c":12345678901234567890,"d":-0.50E-2}').text).toBe(
      '{\n  "a": 1.0,\n  "b": 1e3,\n  "c": 12345678901234567890,\n  "d": -0.50E-2\n}',
    );
  });

  it('keeps duplicate keys and string escapes as stored', () => {
    expect(render('{"a":"\\u00e9\\/","a":"x"}').text).toBe('{\n  "a": "\\u00e9\\/",\n  "a": "x"\n}');
  });
});

describe('renderStoredJson: redaction', () => {
  it('replaces values under secret keys with a marker, nested in headers', () => {
    const raw = JSON.stringify({
      url: 'https://hooks.acme.example/hooks/acme',
      headers: {
        Authorization: 'Bearer abcdefghijklmnop',
        'Content-Type': 'application/json',
        'x-api-key': 'k',
      },
    });
    const rendered = render(raw);
    expect(rendered.text).toBe(
      [
        '{',
        '  "url": "https://hooks.acme.example/hooks/acme",',
        '  "headers": {',
        '    "Authorization": "[redacted:8-31]",',
        '    "Content-Type": "application/json",',
        '    "x-api-key": "[redacted:1-7]"',
        '  }',
        '}',
      ].join('\n'),
    );
    expect(rendered.redactions).toBe(2);
  });

  it('replaces values of any type under secret keys, measured as compact JSON', () => {
    const raw = '{"token":null,"secret":{ "user" : "bob", "pass" : "x" },"password":"","session":[1, 2]}';
    expect(JSON.parse(render(raw).text)).toEqual({
      token: '[redacted:1-7]',
      secret: '[redacted:8-31]',
      password: '[redacted:empty]',
      session: '[redacted:1-7]',
    });
  });

  it('redacts inside arrays of objects', () => {
    const raw = '[{"name":"a","apiKey":"k1"},{"name":"b","apiKey":"k2"}]';
    expect(render(raw).text).toBe(
      '[\n  {\n    "name": "a",\n    "apiKey": "[redacted:1-7]"\n  },\n  {\n    "name": "b",\n    "apiKey": "[redacted:1-7]"\n  }\n]',
    );
  });

  it('uses the configured extra secret keys', () => {
    expect(JSON.parse(render('{"msisdn":"x","other":"y"}', ['msisdn']).text)).toEqual({
      msisdn: '[redacted:1-7]',
      other: 'y',
    });
  });

  it('redacts a secret inside JSON stored as a string and writes it back compactly', () => {
    const body = JSON.stringify({ event: 'call.ended', signature: 'abcdef0123456789', n: 1.0 }, null, 2);
    const raw = JSON.stringify({ body, untouched: '{"a": 1}' });
    const rendered = render(raw);
    expect(rendered.text).toBe(
      [
        '{',
        '  "body": "{\\"event\\":\\"call.ended\\",\\"signature\\":\\"[redacted:8-31]\\",\\"n\\":1}",',
        // nothing to redact: the inner text stays exactly as stored
        '  "untouched": "{\\"a\\": 1}"',
        '}',
      ].join('\n'),
    );
    expect(rendered.redactions).toBe(1);
  });

  it('masks URLs, tokens, e-mails and phone numbers in values and re-escapes only what changed', () => {
    const raw =
      '{"reason":"HTTP 503 from https://u:p@hooks.acme.example/t/3f9a8c7d2b1e4f60a9c8b7d6e5f4a3b2?token=abc",' +
      '"to":"+49 170 1234567","email":"jane.doe@acme.example","note":"caf\\u00e9 ok",' +
      '"log":"sent xoxb-1-2 to \\"jane@acme.example\\""}';
    const rendered = render(raw);
    expect(rendered.text).toBe(
      [
        '{',
        '  "reason": "HTTP 503 from https://***@hooks.acme.example/t/***?token=***",',
        '  "to": "+49 *** *****67",',
        '  "email": "j***@a***.example",',
        '  "note": "caf\\u00e9 ok",',
        '  "log": "sent xoxb-*** to \\"j***@a***.example\\""',
        '}',
      ].join('\n'),
    );
    expect(rendered.redactions).toBe(5);
  });

  it('masks personal data in keys', () => {
    expect(render('{"jane@acme.example":{"calls":2}}').text).toBe(
      '{\n  "j***@a***.example": {\n    "calls": 2\n  }\n}',
    );
  });

  it('always produces JSON that parses when the input was JSON', () => {
    const inputs = [
      '{"password":{"a":[1,2,{"b":"c"}]},"list":[{"token":1e3}]}',
      '{"body":"{\\"cookie\\":\\"a=b\\"}","x":"mail jane@acme.example\\u0000"}',
      '[' + '['.repeat(100) + ']'.repeat(100) + ']',
      '{"k":"\\ud800 lone surrogate","Authorization":"Basic dXNlcjpwYXNzd29yZA=="}',
    ];
    for (const raw of inputs) {
      const rendered = render(raw);
      expect(rendered.kind).toBe('json');
      expect(() => JSON.parse(rendered.text) as unknown).not.toThrow();
    }
  });
});

describe('renderStoredJson: not JSON and empty', () => {
  it.each(['', '   \n\t', 'null', '  null  '])('%j is empty', (raw) => {
    expect(render(raw).kind).toBe('empty');
    expect(render(raw).redactions).toBe(0);
  });

  it('shows text that is not JSON escaped and masked', () => {
    expect(render('oops\u0007 {"password":"hunter2", https://u:p@x.example/?t=1\r\nline 2\tend')).toEqual({
      kind: 'not-json',
      text: 'oops\\u0007 {"password":"***", https://***@x.example/?t=***\\u000d\nline 2\tend',
      redactions: 2,
    });
  });

  it.each([
    '{"a":1,}',
    '{"a":01}',
    "{'a':1}",
    '[1,2',
    '{"a":1}{"b":2}',
    '{"a":"tab\there"}',
    '{"a":"\\x41"}',
    'undefined',
    'NaN',
    '{"a" 1}',
  ])('%j is not JSON', (raw) => {
    expect(render(raw).kind).toBe('not-json');
  });

  it('agrees with JSON.parse about what is JSON', () => {
    const samples = [
      '1',
      '-0',
      '1.',
      '.5',
      '1e',
      '1e+2',
      '"\\u12"',
      '"\\u1234"',
      '[1 2]',
      '{"a":{"b":[]}}',
      'true',
      'tru',
    ];
    for (const raw of samples) {
      let parses = true;
      try {
        JSON.parse(raw);
      } catch {
        parses = false;
      }
      expect([raw, render(raw).kind === 'json']).toEqual([raw, parses]);
    }
  });
});

describe('renderStoredJson: hostile input', () => {
  it('survives ten thousand nested arrays and cuts them off at the depth bound', () => {
    const raw = '['.repeat(10_000) + ']'.repeat(10_000);
    const rendered = render(raw);
    expect(rendered.kind).toBe('json');
    expect(rendered.text).toContain(JSON.stringify(TOO_DEEP));
    expect(rendered.redactions).toBe(1);
    expect(() => JSON.parse(rendered.text) as unknown).not.toThrow();
  });

  it('still rejects a deep payload whose tail is broken', () => {
    expect(render('['.repeat(10_000) + ']'.repeat(9_999) + '}').kind).toBe('not-json');
  });

  it('renders a 1 MB payload', () => {
    const items: string[] = [];
    let size = 0;
    for (let i = 0; size < 1_000_000; i += 1) {
      const item = JSON.stringify({
        id: `job-${i}`,
        attempt: i % 5,
        to: '+49 170 1234567',
        url: `https://hooks.acme.example/t/3f9a8c7d2b1e4f60a9c8b7d6e5f4a3b2?token=${i}`,
        headers: { Authorization: 'Bearer abc' },
        body: JSON.stringify({ secret: 'x', note: 'hello' }),
        note: 'lorem ipsum dolor sit amet',
      });
      items.push(item);
      size += item.length + 1;
    }
    const raw = `[${items.join(',')}]`;
    expect(raw.length).toBeGreaterThanOrEqual(1_000_000);
    const rendered = render(raw);
    expect(rendered.kind).toBe('json');
    expect(rendered.text).not.toContain('1234567');
    expect(rendered.text).not.toContain('Bearer abc');
  });

  it('redacts a value whose sibling names a secret header, in either order', () => {
    const raw =
      '{"headers":[{"name":"X-Api-Key","value":"abc123def456"},{"value":"tok-999","name":"Authorization"},{"name":"Accept","value":"application/json"}]}';
    const out = renderStoredJson(raw);
    expect(out.text).not.toContain('abc123def456');
    expect(out.text).not.toContain('tok-999');
    expect(out.text).toContain('"value": "application/json"');
    expect(out.text).toContain('"name": "X-Api-Key"');
    expect(() => JSON.parse(out.text) as unknown).not.toThrow();
    expect(out.redactions).toBeGreaterThanOrEqual(2);
  });
});
