import { renderBlocks } from '../../../src/sandbox/page/blocks';
import type { ConfirmData } from '../../../src/sandbox/page/elements';
import { buttonsIn, expectNoActiveContent, renderContext, visibleText } from './helpers';

const render = (blocks: unknown, ctx = renderContext()) => renderBlocks(blocks, ctx);
const SCRIPT = '<script>alert(1)</script>';

const button = (overrides: Record<string, unknown> = {}) => ({
  type: 'button',
  action_id: 'act',
  text: { type: 'plain_text', text: 'Go' },
  value: 'v1',
  ...overrides,
});

const confirm = (overrides: Record<string, unknown> = {}) => ({
  title: { type: 'plain_text', text: 'Replay 2 jobs?' },
  text: { type: 'mrkdwn', text: 'Replays *exactly* 2 jobs.' },
  confirm: { type: 'plain_text', text: 'Approve 2 jobs' },
  deny: { type: 'plain_text', text: 'Cancel' },
  style: 'primary',
  ...overrides,
});

const confirmOf = (html: string): ConfirmData =>
  JSON.parse(buttonsIn(html)[0]?.attrs.get('data-confirm') ?? 'null') as ConfirmData;

describe('renderBlocks: block types', () => {
  it('renders a header as plain text in a heading, with its block id', () => {
    const html = render([
      { type: 'header', block_id: 'h1', text: { type: 'plain_text', text: 'Batch *1*' } },
    ]);
    expect(html).toBe('<div class="block block-header" data-block-id="h1"><h3>Batch *1*</h3></div>');
  });

  it('renders plain_text literally and mrkdwn formatted', () => {
    const html = render([
      { type: 'section', text: { type: 'plain_text', text: '*not bold*\nnext' } },
      { type: 'section', text: { type: 'mrkdwn', text: '*bold*' } },
    ]);
    expect(html).toContain('<div class="section-text">*not bold*<br>next</div>');
    expect(html).toContain('<div class="section-text"><strong>bold</strong></div>');
  });

  it('renders section fields in the two-column grid and an accessory button carrying the block id', () => {
    const html = render([
      {
        type: 'section',
        block_id: 'wf',
        text: { type: 'mrkdwn', text: 'Webhooks' },
        fields: [
          { type: 'mrkdwn', text: '*Waiting*\n12' },
          { type: 'plain_text', text: 'Failed: 3' },
        ],
        accessory: button({ action_id: 'show_samples', value: '{"w":"webhooks"}' }),
      },
    ]);
    expect(html).toContain(
      '<div class="fields"><div class="field"><strong>Waiting</strong><br>12</div><div class="field">Failed: 3</div></div>',
    );
    const [accessory] = buttonsIn(html);
    expect(accessory?.attrs.get('data-action-id')).toBe('show_samples');
    expect(accessory?.attrs.get('data-block-id')).toBe('wf');
    expect(accessory?.attrs.get('data-value')).toBe('{"w":"webhooks"}');
    expect(html).toMatch(/<div class="accessory"><button /);
  });

  it('renders context elements of both text kinds and names an image it does not show', () => {
    const html = render([
      {
        type: 'context',
        elements: [
          { type: 'mrkdwn', text: '_by_ <@U2>' },
          { type: 'plain_text', text: '_plain_' },
          { type: 'image', image_url: 'https://x.example/i.png', alt_text: 'i' },
        ],
      },
    ]);
    expect(visibleText(html)).toBe('by @approver_plain_[unsupported element: image]');
    expect(html).toContain('<em>by</em>');
  });

  it('renders a divider', () => {
    expect(render([{ type: 'divider' }])).toContain('<hr>');
  });

  it('renders action buttons with their ids, value and primary/danger style', () => {
    const html = render([
      {
        type: 'actions',
        block_id: 'acts',
        elements: [
          button({ action_id: 'ok', style: 'primary' }),
          button({ action_id: 'no', style: 'danger', value: undefined }),
          button({ action_id: 'odd', style: 'purple' }),
        ],
      },
    ]);
    const [ok, no, odd] = buttonsIn(html);
    expect(ok?.classes).toEqual(['button', 'primary']);
    expect(no?.classes).toEqual(['button', 'danger']);
    expect(odd?.classes).toEqual(['button']);
    expect(ok?.attrs.get('data-block-id')).toBe('acts');
    expect(ok?.attrs.get('data-value')).toBe('v1');
    // No value in the block, none in the click: absent rather than "".
    expect(no?.attrs.has('data-value')).toBe(false);
    expect(ok?.label).toBe('Go');
  });

  it('serialises a confirm dialog into data-confirm for the page script', () => {
    const html = render([{ type: 'actions', elements: [button({ confirm: confirm() })] }]);
    expect(confirmOf(html)).toEqual({
      title: 'Replay 2 jobs?',
      html: 'Replays <strong>exactly</strong> 2 jobs.',
      confirm: 'Approve 2 jobs',
      deny: 'Cancel',
      style: 'primary',
    });
  });

  it('fills Slack-like labels when a confirm dialog leaves them out', () => {
    const html = render([
      { type: 'actions', elements: [button({ confirm: { text: { type: 'plain_text', text: 'Sure?' } } })] },
    ]);
    expect(confirmOf(html)).toEqual({
      title: 'Are you sure?',
      html: 'Sure?',
      confirm: 'Yes',
      deny: 'Cancel',
    });
  });
});

describe('renderBlocks: what it cannot render is shown, not dropped', () => {
  it('notes unknown block types in place', () => {
    const html = render([{ type: 'divider' }, { type: 'rich_text', elements: [] }, { type: 'divider' }]);
    expect(html).toMatch(
      /<hr><\/div><div class="block unsupported">\[unsupported block: rich_text\]<\/div><div/,
    );
  });

  it('notes a known block that is malformed, and blocks that are not objects', () => {
    expect(render([{ type: 'section', text: 5 }])).toContain('[malformed block: section]');
    expect(render([null, 'text'])).toBe(
      '<div class="block unsupported">[unsupported block: unknown]</div>'.repeat(2),
    );
    expect(render({ type: 'divider' })).toContain('[not a list of blocks: blocks]');
  });

  it('notes an element it cannot render without losing the rest of the block', () => {
    const html = render([
      { type: 'actions', elements: [{ type: 'static_select' }, button({ action_id: 'kept' })] },
      { type: 'section', text: { type: 'mrkdwn', text: 'x' }, accessory: { type: 'overflow' } },
    ]);
    expect(html).toContain('[unsupported element: static_select]');
    expect(html).toContain('[unsupported element: overflow]');
    expect(buttonsIn(html).map((b) => b.attrs.get('data-action-id'))).toEqual(['kept']);
  });

  it('shows a button with a malformed confirm as unsupported rather than as an unguarded button', () => {
    const html = render([{ type: 'actions', elements: [button({ confirm: { title: 'no text' } })] }]);
    expect(buttonsIn(html)).toHaveLength(0);
    expect(html).toContain('[unsupported element: button]');
  });
});

describe('renderBlocks: escaping', () => {
  it('escapes <script> in a button value, ids and label', () => {
    const html = render([
      {
        type: 'actions',
        block_id: `b"${SCRIPT}`,
        elements: [
          button({
            action_id: `a'${SCRIPT}`,
            value: `"><img src=x onerror=alert(1)>${SCRIPT}`,
            text: { type: 'plain_text', text: SCRIPT },
          }),
        ],
      },
    ]);
    expectNoActiveContent(html);
    expect(html).toContain('data-value="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;');
    const [clicked] = buttonsIn(html);
    expect(clicked?.attrs.get('data-value')).toBe(`"><img src=x onerror=alert(1)>${SCRIPT}`);
    expect(clicked?.attrs.get('data-action-id')).toBe(`a'${SCRIPT}`);
    expect(clicked?.attrs.get('data-block-id')).toBe(`b"${SCRIPT}`);
    expect(clicked?.label).toBe(SCRIPT);
  });

  it('escapes <script> in a header, section text and fields', () => {
    const html = render([
      { type: 'header', text: { type: 'plain_text', text: SCRIPT } },
      {
        type: 'section',
        text: { type: 'plain_text', text: SCRIPT },
        fields: [
          { type: 'mrkdwn', text: SCRIPT },
          { type: 'mrkdwn', text: '&lt;script&gt;alert(1)&lt;/script&gt;' },
        ],
      },
    ]);
    expectNoActiveContent(html);
    expect(visibleText(html)).toBe(SCRIPT.repeat(4));
  });

  it('escapes <script> in every part of a confirm dialog', () => {
    const html = render([
      {
        type: 'actions',
        elements: [
          button({
            confirm: confirm({
              title: { type: 'plain_text', text: SCRIPT },
              text: { type: 'mrkdwn', text: `${SCRIPT} &lt;script&gt;` },
              confirm: { type: 'plain_text', text: SCRIPT },
              deny: { type: 'plain_text', text: SCRIPT },
            }),
          }),
        ],
      },
    ]);
    expectNoActiveContent(html);
    const data = confirmOf(html);
    // Title and labels go to textContent as sent; the body is HTML and already escaped.
    expect(data.title).toBe(SCRIPT);
    expect(data.confirm).toBe(SCRIPT);
    expect(data.html).toBe('&lt;script&gt;alert(1)&lt;/script&gt; &lt;script&gt;');
    expectNoActiveContent(data.html);
  });

  it('escapes a user name from the context inside a block', () => {
    const html = render(
      [{ type: 'context', elements: [{ type: 'mrkdwn', text: 'by <@U6>' }] }],
      renderContext({ U6: SCRIPT }),
    );
    expectNoActiveContent(html);
    expect(visibleText(html)).toBe(`by @${SCRIPT}`);
  });

  it('escapes the type named in an unsupported note', () => {
    const html = render([{ type: SCRIPT }]);
    expectNoActiveContent(html);
    expect(visibleText(html)).toBe(`[unsupported block: ${SCRIPT}]`);
  });
});
