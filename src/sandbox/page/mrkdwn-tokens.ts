import { escapeHtml } from './html';
import type { RenderContext } from './render-context';

/**
 * Slack escapes only these three in message text. One pass, so `&amp;lt;`
 * stays the visible text `&lt;` rather than becoming `<`.
 */
export function decodeSlackEntities(text: string): string {
  return text.replace(/&(lt|gt|amp);/g, (_m, name: string) =>
    name === 'lt' ? '<' : name === 'gt' ? '>' : '&',
  );
}

// Anything else (javascript:, data:, vbscript:, relative paths) could run
// script or leave the page; Slack itself only links these.
const LINK_PROTOCOLS: ReadonlySet<string> = new Set(['http:', 'https:', 'mailto:']);
const BROADCASTS: ReadonlySet<string> = new Set(['here', 'channel', 'everyone']);

/**
 * One `<…>` token of mrkdwn (the text between the brackets) as HTML: link,
 * mention, broadcast or date. Whatever is not one of those is shown as the
 * text that was sent, so nothing a message carries is silently dropped.
 */
export function renderAngleToken(inner: string, ctx: RenderContext): string {
  const bar = inner.indexOf('|');
  const target = decodeSlackEntities(bar === -1 ? inner : inner.slice(0, bar));
  const label = bar === -1 ? undefined : decodeSlackEntities(inner.slice(bar + 1));
  const html =
    target.startsWith('@') || target.startsWith('#')
      ? mention(target, label, ctx)
      : target.startsWith('!')
        ? special(target.slice(1), label)
        : link(target, label);
  return html ?? escapeHtml(`<${decodeSlackEntities(inner)}>`);
}

function mention(target: string, label: string | undefined, ctx: RenderContext): string | undefined {
  const id = target.slice(1);
  if (id === '' || /\s/.test(id)) return undefined;
  const user = target.startsWith('@');
  // The workspace's current name wins over a label baked into an old message, as in Slack.
  const name = (user ? ctx.userName(id) : ctx.channelName(id)) ?? label ?? id;
  const kind = user ? 'user' : 'channel';
  return `<span class="mention mention-${kind}">${escapeHtml(`${user ? '@' : '#'}${name}`)}</span>`;
}

function special(command: string, label: string | undefined): string | undefined {
  if (BROADCASTS.has(command)) return `<span class="mention mention-broadcast">@${command}</span>`;
  const [kind, first] = command.split('^');
  if (kind === 'subteam' && first) {
    return `<span class="mention mention-group">${escapeHtml(label ?? `@${first}`)}</span>`;
  }
  if (kind === 'date') return date(first, label);
  return undefined;
}

/**
 * Slack formats `<!date^…>` in each reader's time zone; the page has no
 * reader settings, so it shows the sender's fallback (our builders write UTC
 * there) and keeps the instant in `datetime` for a script to localise.
 */
function date(epoch: string | undefined, label: string | undefined): string | undefined {
  if (epoch === undefined || !/^-?\d{1,12}$/.test(epoch)) return undefined;
  const instant = new Date(Number(epoch) * 1000);
  if (Number.isNaN(instant.getTime())) return undefined;
  const iso = instant.toISOString();
  const shown = label ?? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
  return `<time datetime="${iso}">${escapeHtml(shown)}</time>`;
}

function link(target: string, label: string | undefined): string | undefined {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return undefined;
  }
  if (!LINK_PROTOCOLS.has(url.protocol)) return undefined;
  const text = label ? label : url.protocol === 'mailto:' ? target.replace(/^mailto:/i, '') : target;
  // An empty label would leave nothing to click, so it falls back to the address too.
  // The normalised href, not the sent string: it is what the browser would follow.
  return `<a href="${escapeHtml(url.href)}" target="_blank" rel="noopener noreferrer">${escapeHtml(text)}</a>`;
}
