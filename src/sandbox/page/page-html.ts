import type { SandboxWorld } from '../world';
import { findChannel, findUser } from '../world';
import { attr, escapeHtml } from './html';
import { PAGE_SCRIPT } from './page-script';
import { BLOCK_STYLES } from './styles';

const PAGE_STYLES = `
body { margin: 0; font: 15px/1.4 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1d1c1d; }
header { display: flex; align-items: center; gap: 16px; padding: 8px 16px; background: #3f0e40; color: #fff; }
header h1 { font-size: 17px; margin: 0; flex: 1; }
main { display: flex; flex: 1; min-height: 0; }
body { display: flex; flex-direction: column; height: 100vh; }
.pane { flex: 2; display: flex; flex-direction: column; min-width: 0; }
#thread { flex: 1; border-left: 1px solid #ddd; }
.pane-head { display: flex; justify-content: space-between; padding: 8px 16px; border-bottom: 1px solid #ddd; font-weight: 700; }
.messages { flex: 1; overflow-y: auto; padding: 8px 16px; }
.message { padding: 6px 0; border-bottom: 1px solid #f2f2f2; }
.message.ephemeral { background: #f8f8fb; }
.author { font-weight: 700; }
.note { color: #616061; font-weight: 400; font-size: 12px; }
.replies { color: #1264a3; font-size: 13px; }
#composer { display: flex; gap: 8px; padding: 8px 16px; border-top: 1px solid #ddd; }
#composer-input { flex: 1; padding: 8px; font: inherit; }
[hidden] { display: none !important; }
#intro { margin: 0; padding: 8px 16px; background: #fff8e5; border-bottom: 1px solid #ecd9a6; font-size: 14px; }
#intro p { margin: 2px 0; }
#status { color: #e01e5a; padding: 0 16px; min-height: 1.4em; }
dialog { max-width: 460px; border: 1px solid #ccc; border-radius: 8px; }
`;

export interface PageOptions {
  /** Offer "Reset demo" (POST /reset). */
  readonly resettable: boolean;
  /** Lines about the rehearsal shown above the channel; escaped here. */
  readonly intro: readonly string[];
}

/** The one page: channel, thread pane, composer, person switch; the script fills it from /state. */
export function renderPage(
  world: SandboxWorld,
  options: PageOptions = { resettable: false, intro: [] },
): string {
  const channel = findChannel(world, world.incidentChannelId)?.name ?? world.incidentChannelId;
  const person = (id: string, role: string) =>
    `<option${attr('value', id)}>${escapeHtml(findUser(world, id)?.displayName ?? id)} (${role})</option>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>#${escapeHtml(channel)} · stuckjobs sandbox</title>
<style>${BLOCK_STYLES}${PAGE_STYLES}</style></head>
<body>
<header><h1>#${escapeHtml(channel)}</h1>
<label>Acting as <select id="person">${person(world.requesterId, 'requester')}${person(world.approverId, 'approver')}</select></label>${
    options.resettable ? '<button type="button" class="button" id="reset">Reset demo</button>' : ''
  }</header>${
    options.intro.length > 0
      ? `<div id="intro">${options.intro.map((line) => `<p>${escapeHtml(line)}</p>`).join('')}</div>`
      : ''
  }
<main>
<section class="pane" id="channel"><div id="messages" class="messages"></div>
<div id="status" role="status"></div>
<form id="composer"><input id="composer-input" autocomplete="off" placeholder="/stuckjobs help"><button class="button primary" type="submit">Send</button></form>
</section>
<section class="pane" id="thread" hidden><div class="pane-head">Thread <button type="button" class="button" id="close-thread">Close</button></div>
<div id="thread-messages" class="messages"></div></section>
</main>
<dialog id="confirm"><form method="dialog"><h3 id="confirm-title"></h3><div id="confirm-body"></div>
<p><button id="confirm-no" class="button" value="no"></button> <button id="confirm-yes" class="button primary" value="yes"></button></p></form></dialog>
<script>${PAGE_SCRIPT}</script>
</body></html>`;
}
