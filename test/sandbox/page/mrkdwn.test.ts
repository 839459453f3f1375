import { renderMrkdwn } from '../../../src/sandbox/page/mrkdwn';
import { expectNoActiveContent, renderContext, visibleText } from './helpers';

const render = (text: string, ctx = renderContext()) => renderMrkdwn(text, ctx);

describe('renderMrkdwn: formatting', () => {
  it('renders *bold*, _italic_ and ~strike~', () => {
    expect(render('a *b* c')).toBe('a <strong>b</strong> c');
    expect(render('a _b_ c')).toBe('a <em>b</em> c');
    expect(render('a ~b~ c')).toBe('a <del>b</del> c');
  });

  it('nests italic inside bold and bold inside italic', () => {
    expect(render('*bold _italic_*')).toBe('<strong>bold <em>italic</em></strong>');
    expect(render('_*both*_')).toBe('<em><strong>both</strong></em>');
  });

  it('leaves markers inside words, unclosed or around spaces as text', () => {
    expect(render('snake_case_name and 2*3*4')).toBe('snake_case_name and 2*3*4');
    expect(render('*open only and _half')).toBe('*open only and _half');
    expect(render('a * b * c')).toBe('a * b * c');
    expect(render(':heavy_check_mark: done')).not.toContain('<em>');
  });

  it('handles a 40,000-character line of spans or of unclosed markers (the fallback text limit)', () => {
    const spans = render('*a* '.repeat(10_000));
    expect(spans.match(/<strong>a<\/strong>/g)).toHaveLength(10_000);
    const unclosed = '*a _b ~c '.repeat(4_500);
    expect(render(unclosed)).toBe(unclosed);
  });

  it('shows known :shortcodes: as emoji, never as italics, and leaves unknown ones and code as text', () => {
    expect(render(':white_check_mark: ok')).toBe(
      '<span class="emoji" title=":white_check_mark:">✅</span> ok',
    );
    expect(render(':no_such_emoji: at 12:30:45')).toBe(':no_such_emoji: at 12:30:45');
    expect(render('`:x:` and :x:')).toBe('<code>:x:</code> and <span class="emoji" title=":x:">❌</span>');
  });

  it('renders `code` spans without formatting or parsing anything inside', () => {
    expect(render('run `*not bold* _nor italic_ <@U2>` now')).toBe(
      'run <code>*not bold* _nor italic_ &lt;@U2&gt;</code> now',
    );
    expect(render('*bold `code` bold*')).toBe('<strong>bold <code>code</code> bold</strong>');
  });

  it('renders ```code blocks``` verbatim, keeping newlines and undoing entity escapes', () => {
    const html = render('before\n```\nline *1*\n  &lt;tag&gt; &amp; _x_\n```\nafter');
    expect(html).toBe('before<pre class="code-block">line *1*\n  &lt;tag&gt; &amp; _x_</pre>after');
  });

  it('leaves an unclosed ``` as text', () => {
    expect(render('```oops')).toBe('```oops');
  });

  it('turns newlines into <br> outside code blocks', () => {
    expect(render('one\ntwo\n\nthree')).toBe('one<br>two<br><br>three');
  });

  it('groups consecutive > lines, raw or entity-escaped, into one blockquote', () => {
    expect(render('intro\n> first *b*\n&gt; second\nafter')).toBe(
      'intro<blockquote>first <strong>b</strong><br>second</blockquote>after',
    );
  });

  it('shows Slack entity escapes as their characters, once', () => {
    expect(render('a &lt; b &gt; c &amp; d')).toBe('a &lt; b &gt; c &amp; d');
    expect(visibleText(render('a &lt; b &gt; c &amp; d'))).toBe('a < b > c & d');
    // `&amp;lt;` is the text "&lt;", not a "<".
    expect(visibleText(render('&amp;lt;'))).toBe('&lt;');
  });
});

describe('renderMrkdwn: links', () => {
  it('renders <url|label> and <url> as links that open outside the page', () => {
    expect(render('<https://status.example.com/x|status page>')).toBe(
      '<a href="https://status.example.com/x" target="_blank" rel="noopener noreferrer">status page</a>',
    );
    expect(render('<https://example.com/a?b=1&amp;c=2>')).toContain(
      'href="https://example.com/a?b=1&amp;c=2" target="_blank" rel="noopener noreferrer">https://example.com/a?b=1&amp;c=2</a>',
    );
    expect(render('<mailto:oncall@example.com>')).toContain('>oncall@example.com</a>');
  });

  it('escapes a link label and cannot be broken out of the href', () => {
    const html = render('<https://x.example/"onmouseover="alert(1)|a &lt;b&gt; "quoted">');
    expect(html).toContain('href="https://x.example/%22onmouseover=%22alert(1)"');
    expectNoActiveContent(html);
    expect(render('<https://x.example|a &lt;b&gt; "q">')).toContain('>a &lt;b&gt; &quot;q&quot;</a>');
  });

  it('refuses javascript:, data: and other schemes, showing the token as text', () => {
    for (const source of [
      '<javascript:alert(1)|click me>',
      '<JavaScript:alert(1)>',
      '<data:text/html,hi|x>',
      '<vbscript:msgbox|x>',
    ]) {
      const html = render(source);
      expect(html).not.toContain('<a');
      expectNoActiveContent(html);
      expect(visibleText(html)).toBe(source);
    }
  });
});

describe('renderMrkdwn: mentions and dates', () => {
  it('shows <@U…> as @name from the context, else the label, else the id', () => {
    expect(render('<@U2> approved')).toBe('<span class="mention mention-user">@approver</span> approved');
    expect(visibleText(render('<@U9|old-name>'))).toBe('@old-name');
    expect(visibleText(render('<@U9>'))).toBe('@U9');
    expect(visibleText(render('<@U-REQ> asked'))).toBe('@requester asked');
  });

  it('shows <#C…|name> as #name', () => {
    expect(visibleText(render('<#C1>'))).toBe('#incidents');
    expect(visibleText(render('<#C7|ops>'))).toBe('#ops');
    expect(render('<#C7>')).toContain('class="mention mention-channel"');
  });

  it('shows <!here>, <!channel> and user groups; an unknown <!…> stays text', () => {
    expect(visibleText(render('<!here> and <!channel>'))).toBe('@here and @channel');
    expect(visibleText(render('<!subteam^S1|@approvers>'))).toBe('@approvers');
    expect(visibleText(render('<!nope>'))).toBe('<!nope>');
  });

  it('shows a date by its fallback, or in UTC without one, keeping the instant', () => {
    expect(render('<!date^1700000000^{date_short} {time}|14 Nov 22:13 UTC>')).toBe(
      '<time datetime="2023-11-14T22:13:20.000Z">14 Nov 22:13 UTC</time>',
    );
    expect(visibleText(render('<!date^1700000000^{date_short} {time}>'))).toBe('2023-11-14 22:13 UTC');
    expect(visibleText(render('<!date^soon^{time}|later>'))).toBe('<!date^soon^{time}|later>');
  });
});

describe('renderMrkdwn: escaping', () => {
  const payloads = [
    '&lt;script&gt;alert(1)&lt;/script&gt;',
    '<script>alert(1)</script>',
    '*<script>alert(1)</script>*',
    '`<script>alert(1)</script>`',
    '```<script>alert(1)</script>```',
    '> <script>alert(1)</script>',
    '<https://x.example|<script>alert(1)</script>>',
  ];

  it.each(payloads)('never produces a tag from %s, and shows it as text', (source) => {
    const html = render(source);
    expectNoActiveContent(html);
    expect(html).toContain('&lt;script&gt;alert(1)');
    expect(visibleText(html)).toContain('<script>alert(1)');
  });

  it('escapes quotes and attribute-breaking characters in plain text', () => {
    expect(render(`"'><img src=x onerror=alert(1)>`)).toBe(
      '&quot;&#39;&gt;&lt;img src=x onerror=alert(1)&gt;',
    );
  });

  it('escapes a hostile name from the context', () => {
    const html = render(
      '<@U6> and <#C6>',
      renderContext({ U6: '<script>x</script>' }, { C6: '<img onerror=y>' }),
    );
    expectNoActiveContent(html);
    expect(visibleText(html)).toBe('@<script>x</script> and #<img onerror=y>');
  });

  it('cannot forge the internal placeholders', () => {
    const html = render('\uE0000\uE001 `code`');
    expect(html).toBe('\uFFFD0\uFFFD <code>code</code>');
  });
});
