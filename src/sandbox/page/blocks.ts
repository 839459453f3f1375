import { blockSchema, type Block } from './block-schemas';
import { renderButton, renderContextElement, renderTextObject, typeName } from './elements';
import { attr, escapeHtml } from './html';
import type { RenderContext } from './render-context';

/**
 * A message's `blocks` as HTML. The input is whatever the app sent the
 * emulator, so it is parsed here; a block that is unknown or malformed shows
 * as a visible note in its place, so a reader sees that something was not
 * rendered instead of a message that silently lost a part.
 */
export function renderBlocks(blocks: unknown, ctx: RenderContext): string {
  if (!Array.isArray(blocks)) return note('blocks', 'not a list of blocks');
  return blocks
    .map((raw: unknown) => {
      const parsed = blockSchema.safeParse(raw);
      return parsed.success ? renderBlock(parsed.data, ctx) : unsupportedBlock(raw);
    })
    .join('');
}

function renderBlock(block: Block, ctx: RenderContext): string {
  const open = (kind: string) =>
    `<div class="block block-${kind}"${attr('data-block-id', block.block_id ?? '')}>`;
  switch (block.type) {
    case 'header':
      return `${open('header')}<h3>${renderTextObject(block.text, ctx)}</h3></div>`;
    case 'divider':
      return `${open('divider')}<hr></div>`;
    case 'context':
      return `${open('context')}${block.elements.map((e) => renderContextElement(e, ctx)).join('')}</div>`;
    case 'actions':
      return `${open('actions')}${block.elements.map((e) => renderButton(e, block.block_id, ctx)).join('')}</div>`;
    case 'section': {
      const text = block.text ? `<div class="section-text">${renderTextObject(block.text, ctx)}</div>` : '';
      // Two columns, as Slack lays out section fields; the page stylesheet makes `.fields` a grid.
      const fields = block.fields?.length
        ? `<div class="fields">${block.fields.map((f) => `<div class="field">${renderTextObject(f, ctx)}</div>`).join('')}</div>`
        : '';
      const accessory =
        block.accessory === undefined
          ? ''
          : `<div class="accessory">${renderButton(block.accessory, block.block_id, ctx)}</div>`;
      return `${open('section')}<div class="section-body">${text}${fields}</div>${accessory}</div>`;
    }
  }
}

function unsupportedBlock(raw: unknown): string {
  const type = typeName(raw);
  const known = blockSchema.options.some((option) => option.shape.type.value === type);
  return note(type, known ? 'malformed block' : 'unsupported block');
}

function note(type: string, what: string): string {
  return `<div class="block unsupported">[${what}: ${escapeHtml(type)}]</div>`;
}
