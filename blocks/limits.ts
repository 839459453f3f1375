/** Slack's documented Block Kit limits (reference/slack-notes.md). */
export const LIMITS = {
  blocksPerMessage: 50,
  sectionText: 3000,
  fieldsPerSection: 10,
  fieldText: 2000,
  headerText: 150,
  contextElements: 10,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  url: 3000,
  id: 255,
  /** Unofficial (`msg_blocks_too_long`): keep the whole message's text well under it. */
  totalText: 12_000,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  fallbackText: 40_000,
} as const;

export interface SlackMessage {
  readonly text?: string;
  readonly blocks?: readonly unknown[];
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null;
const textOf = (value: unknown): string | undefined =>
  isObject(value) && typeof value.text === 'string' ? value.text : undefined;

/**
 * Every way a message breaks Slack's limits, as readable strings; empty when
 * it is valid. Pure, so tests run it over every message the bot sends and the
 * emulator refuses what Slack would refuse.
 */
export function findBlockKitViolations(message: SlackMessage): string[] {
  const problems: string[] = [];
  if (!message.text || message.text.trim() === '') problems.push('fallback text is missing');
  else if (message.text.length > LIMITS.fallbackText) problems.push('fallback text is too long');
  const blocks = message.blocks ?? [];
  if (blocks.length > LIMITS.blocksPerMessage) {
    problems.push(`${blocks.length} blocks (at most ${LIMITS.blocksPerMessage})`);
  }
  // Slack: block ids are unique in a message; action ids only within their block.
  const blockIds = new Set<string>();
  let actionIds = new Set<string>();
  let totalText = 0;
  const checkText = (where: string, value: unknown, max: number, min = 1): void => {
    const text = textOf(value);
    if (text === undefined) {
      problems.push(`${where}: text object missing`);
      return;
    }
    totalText += text.length;
    if (text.length < min) problems.push(`${where}: empty text`);
    if (text.length > max) problems.push(`${where}: ${text.length} characters (at most ${max})`);
  };
  const checkId = (where: string, id: unknown, seen: Set<string>): void => {
    if (id === undefined) return;
    if (typeof id !== 'string' || id.length === 0 || id.length > LIMITS.id) {
      problems.push(`${where}: bad id`);
      return;
    }
    if (seen.has(id)) problems.push(`${where}: duplicate id ${id}`);
    seen.add(id);
  };

  blocks.forEach((block, index) => {
    const where = `block ${index}`;
    if (!isObject(block) || typeof block.type !== 'string') {
      problems.push(`${where}: not a block`);
      return;
    }
    checkId(`${where} block_id`, block.block_id, blockIds);
    actionIds = new Set<string>();
    switch (block.type) {
      case 'header':
        checkText(`${where} header`, block.text, LIMITS.headerText);
        break;
      case 'section': {
        const fields = Array.isArray(block.fields) ? block.fields : [];
        if (block.text === undefined && fields.length === 0)
          problems.push(`${where}: section without text or fields`);
        if (block.text !== undefined) checkText(`${where} section`, block.text, LIMITS.sectionText);
        if (fields.length > LIMITS.fieldsPerSection)
          problems.push(`${where}: ${fields.length} fields (at most 10)`);
        fields.forEach((field, i) => checkText(`${where} field ${i}`, field, LIMITS.fieldText));
        if (isObject(block.accessory)) checkElement(`${where} accessory`, block.accessory);
        break;
      }
      case 'context': {
        const elements = Array.isArray(block.elements) ? block.elements : [];
        if (elements.length === 0 || elements.length > LIMITS.contextElements) {
          problems.push(`${where}: ${elements.length} context elements (1 to 10)`);
        }
        elements.forEach((element, i) => {
          if (isObject(element) && element.type !== 'image')
            checkText(`${where} element ${i}`, element, LIMITS.sectionText);
        });
        break;
      }
      case 'actions': {
        const elements = Array.isArray(block.elements) ? block.elements : [];
        if (elements.length === 0 || elements.length > LIMITS.actionsElements) {
          problems.push(`${where}: ${elements.length} action elements (1 to 25)`);
        }
        elements.forEach((element, i) => checkElement(`${where} element ${i}`, element));
        break;
      }
      case 'divider':
      case 'image':
      case 'rich_text':
        break;
      default:
        problems.push(`${where}: unsupported block type ${block.type}`);
    }
  });

  function checkElement(where: string, element: unknown): void {
    if (!isObject(element)) {
      problems.push(`${where}: not an element`);
      return;
    }
    checkId(`${where} action_id`, element.action_id, actionIds);
    if (element.type === 'button') {
      checkText(`${where} button`, element.text, LIMITS.buttonText);
      if (typeof element.value === 'string' && element.value.length > LIMITS.buttonValue) {
        problems.push(`${where}: button value too long`);
      }
      if (typeof element.url === 'string' && element.url.length > LIMITS.url)
        problems.push(`${where}: url too long`);
      if (isObject(element.confirm)) {
        checkText(`${where} confirm title`, element.confirm.title, LIMITS.confirmTitle);
        checkText(`${where} confirm text`, element.confirm.text, LIMITS.confirmText);
        checkText(`${where} confirm button`, element.confirm.confirm, LIMITS.confirmButton);
        checkText(`${where} deny button`, element.confirm.deny, LIMITS.confirmButton);
      }
    }
  }

  if (totalText > LIMITS.totalText)
    problems.push(`${totalText} characters of block text (keep under ${LIMITS.totalText})`);
  return problems;
}

/** Characters of text in text objects anywhere inside `blocks` (what Slack counts toward msg_blocks_too_long). */
export function blockTextLength(blocks: readonly unknown[]): number {
  let total = 0;
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (isObject(value)) {
      if ((value.type === 'mrkdwn' || value.type === 'plain_text') && typeof value.text === 'string') {
        total += value.text.length;
      } else Object.values(value).forEach(walk);
    }
  };
  walk(blocks);
  return total;
}
