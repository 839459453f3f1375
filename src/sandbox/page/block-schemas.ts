import { z } from 'zod';

/**
 * Lenient Block Kit shapes for display, not validation (blocks/limits.ts does
 * that): unknown keys are ignored, and a part that fails to parse is shown as
 * unsupported by the renderer rather than failing the whole message. Elements
 * stay `unknown` here so one odd element degrades alone, not its block.
 */
export const textObjectSchema = z.object({
  type: z.enum(['plain_text', 'mrkdwn']),
  text: z.string(),
});
export type TextObject = z.output<typeof textObjectSchema>;

/** An unknown style renders as a default button rather than hiding the button. */
const styleSchema = z.enum(['primary', 'danger']).optional().catch(undefined);

/** Title, confirm and deny are optional here; the renderer fills Slack-like defaults. */
export const confirmSchema = z.object({
  title: textObjectSchema.optional(),
  text: textObjectSchema,
  confirm: textObjectSchema.optional(),
  deny: textObjectSchema.optional(),
  style: styleSchema,
});
export type Confirm = z.output<typeof confirmSchema>;

/**
 * A malformed `confirm` fails the whole button on purpose: dropping it would
 * turn a guarded click (Approve) into an unguarded one.
 */
export const buttonSchema = z.object({
  type: z.literal('button'),
  action_id: z.string().optional(),
  text: textObjectSchema,
  value: z.string().optional(),
  style: styleSchema,
  confirm: confirmSchema.optional(),
});

const blockId = z.string().optional();

export const blockSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('header'), block_id: blockId, text: textObjectSchema }),
  z.object({
    type: z.literal('section'),
    block_id: blockId,
    text: textObjectSchema.optional(),
    fields: z.array(textObjectSchema).optional(),
    accessory: z.unknown().optional(),
  }),
  z.object({ type: z.literal('context'), block_id: blockId, elements: z.array(z.unknown()) }),
  z.object({ type: z.literal('divider'), block_id: blockId }),
  z.object({ type: z.literal('actions'), block_id: blockId, elements: z.array(z.unknown()) }),
]);
export type Block = z.output<typeof blockSchema>;

/** Just enough of anything to name it in an "unsupported" note. */
export const typedSchema = z.object({ type: z.string() });
