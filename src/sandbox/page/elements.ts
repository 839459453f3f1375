import { buttonSchema, textObjectSchema, typedSchema, type Confirm, type TextObject } from './block-schemas';
import { attr, escapeHtml, plainToHtml } from './html';
import { renderMrkdwn } from './mrkdwn';
import type { RenderContext } from './render-context';

/**
 * What `data-confirm` holds, for the page script to show before sending the
 * click. Title and labels are plain strings for `textContent`; `html` is the
 * body already rendered (and escaped) here, as mrkdwn allows formatting.
 */
export interface ConfirmData {
  readonly title: string;
  readonly html: string;
  readonly confirm: string;
  readonly deny: string;
  readonly style?: 'primary' | 'danger';
}

export function renderTextObject(text: TextObject, ctx: RenderContext): string {
  return text.type === 'mrkdwn' ? renderMrkdwn(text.text, ctx) : plainToHtml(text.text);
}

/** Slack's own labels when a dialog leaves them out. */
export function confirmData(confirm: Confirm, ctx: RenderContext): ConfirmData {
  return {
    title: confirm.title?.text ?? 'Are you sure?',
    html: renderTextObject(confirm.text, ctx),
    confirm: confirm.confirm?.text ?? 'Yes',
    deny: confirm.deny?.text ?? 'Cancel',
    ...(confirm.style ? { style: confirm.style } : {}),
  };
}

/**
 * A button carries what a click must send back as `block_actions` (action id,
 * block id, value); `data-value` is absent, not empty, when the button has none.
 */
export function renderButton(element: unknown, blockId: string | undefined, ctx: RenderContext): string {
  const parsed = buttonSchema.safeParse(element);
  if (!parsed.success) return unsupportedElement(element);
  const button = parsed.data;
  const classes = button.style ? `button ${button.style}` : 'button';
  return (
    `<button type="button" class="${classes}"` +
    attr('data-action-id', button.action_id ?? '') +
    attr('data-block-id', blockId ?? '') +
    (button.value === undefined ? '' : attr('data-value', button.value)) +
    (button.confirm ? attr('data-confirm', JSON.stringify(confirmData(button.confirm, ctx))) : '') +
    `>${renderTextObject(button.text, ctx)}</button>`
  );
}

/** Context elements: text objects; anything else (images…) is named, not dropped. */
export function renderContextElement(element: unknown, ctx: RenderContext): string {
  const parsed = textObjectSchema.safeParse(element);
  return parsed.success
    ? `<span class="context-element">${renderTextObject(parsed.data, ctx)}</span>`
    : unsupportedElement(element);
}

export function typeName(value: unknown): string {
  const parsed = typedSchema.safeParse(value);
  // Capped: the name is for a human note, and a hostile payload could be long.
  return parsed.success ? parsed.data.type.slice(0, 60) : 'unknown';
}

export function unsupportedElement(element: unknown): string {
  return `<span class="unsupported">[unsupported element: ${escapeHtml(typeName(element))}]</span>`;
}
