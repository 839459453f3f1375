import type { RenderContext } from '../../../src/sandbox/page/render-context';

/** A world with one requester, one approver and one channel; override what a test is about. */
export function renderContext(
  users: Record<string, string> = { 'U-REQ': 'requester', U2: 'approver' },
  channels: Record<string, string> = { C1: 'incidents' },
): RenderContext {
  const users_ = new Map(Object.entries(users));
  const channels_ = new Map(Object.entries(channels));
  return { userName: (id) => users_.get(id), channelName: (id) => channels_.get(id) };
}

const ENTITIES: ReadonlyMap<string, string> = new Map([
  ['amp', '&'],
  ['lt', '<'],
  ['gt', '>'],
  ['quot', '"'],
  ['#39', "'"],
]);

/** What a browser makes of escaped text or an attribute value. */
export function unescapeHtml(html: string): string {
  return html.replace(/&(amp|lt|gt|quot|#39);/g, (whole, name: string) => ENTITIES.get(name) ?? whole);
}

/** The text a reader sees: tags dropped, entities undone. */
export function visibleText(html: string): string {
  return unescapeHtml(html.replace(/<[^>]*>/g, ''));
}

export interface RenderedButton {
  readonly attrs: ReadonlyMap<string, string>;
  readonly classes: readonly string[];
  readonly label: string;
}

/** Every `<button>` in the HTML with its attributes unescaped, as the page script would read them. */
export function buttonsIn(html: string): RenderedButton[] {
  return [...html.matchAll(/<button\b([^>]*)>([\s\S]*?)<\/button>/g)].map(([, rawAttrs = '', inner = '']) => {
    const attrs = new Map(
      [...rawAttrs.matchAll(/([\w-]+)="([^"]*)"/g)].map(([, name = '', value = '']) => [
        name,
        unescapeHtml(value),
      ]),
    );
    return { attrs, classes: (attrs.get('class') ?? '').split(' '), label: visibleText(inner) };
  });
}

/** No element a browser would run or load: no script tag, no inline handler, no javascript: URL. */
export function expectNoActiveContent(html: string): void {
  expect(html).not.toMatch(/<\/?script/i);
  expect(html).not.toMatch(/<(img|svg|iframe)\b/i);
  // Attribute names only: quoted values may hold any text, escaped, without harm.
  const attributeNames = [...html.matchAll(/<\w+([^>]*)>/g)].map(([, attrs = '']) =>
    attrs.replace(/"[^"]*"/g, ''),
  );
  for (const names of attributeNames) expect(names).not.toMatch(/\son\w+/i);
  expect(html).not.toMatch(/href="\s*javascript:/i);
}
