import { BlockId } from '../../blocks/ids';
import type { RecordedCall, SlackEmulator } from '../../src/sandbox';

/** The parts of a posted block the end-to-end tests read. */
export type Block = {
  block_id?: string;
  text?: { text: string };
  fields?: { text: string }[];
  elements?: { text?: string }[];
  accessory?: { action_id: string; value: string };
};

export function blocksOf(call: RecordedCall): Block[] {
  return (call.args.blocks ?? []) as Block[];
}

/** Every text of one block (text, fields, context elements), one per line. */
export function textOfBlock(call: RecordedCall, blockId: string): string {
  const block = blocksOf(call).find((b) => b.block_id === blockId);
  if (!block) throw new Error(`no block ${blockId} in ${JSON.stringify(call.args.blocks).slice(0, 2000)}`);
  return [
    block.text?.text,
    ...(block.fields ?? []).map((f) => f.text),
    ...(block.elements ?? []).map((e) => e.text),
  ]
    .filter(Boolean)
    .join('\n');
}

/** The diagnoses Slack accepted since call index `from` (a refused post is not one). */
export function diagnosisPosts(emulator: SlackEmulator, from: number): RecordedCall[] {
  return emulator.calls
    .slice(from)
    .filter(
      (c) =>
        c.method === 'chat.postMessage' &&
        c.response.ok === true &&
        blocksOf(c).some((b) => b.block_id === BlockId.diagnosisHeader),
    );
}
