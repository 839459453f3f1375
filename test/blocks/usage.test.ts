import { randomBytes } from 'node:crypto';
import { BlockId } from '../../blocks/ids';
import { usageMessage } from '../../blocks/usage';
import { rememberSecrets } from '../../src/redaction';

const WORKFLOWS = ['webhooks', 'recordings'];

describe('usageMessage', () => {
  it('lists the commands and the workflows, with a plain usage line as fallback text', () => {
    const message = usageMessage({ workflowIds: WORKFLOWS });
    expect(message.blocks.map((block) => block.block_id)).toEqual([BlockId.usage, BlockId.usageNote]);
    expect(JSON.stringify(message.blocks)).toContain('`webhooks`, `recordings`');
    expect(message.text).toMatch(/^Usage: \/stuckjobs diagnose/);
  });

  it('shows a problem first, escaped and cut at 500 characters', () => {
    const problem = `<!channel> ${'x'.repeat(600)}`;
    const message = usageMessage({ problem, workflowIds: WORKFLOWS });
    const [first] = message.blocks;
    expect(first?.block_id).toBe(BlockId.error);
    const text = JSON.stringify(first);
    expect(text).toContain('&lt;!channel&gt;');
    expect(text).not.toContain('<!channel>');
    expect(text).toContain('… (truncated)');
    expect(message.text.startsWith(problem)).toBe(true);
  });

  it('is pure: the same view builds the same message whatever secrets the process remembers', () => {
    const pasted = `pasted-${randomBytes(12).toString('hex')}`;
    const view = { problem: `Unknown state ${pasted}`, workflowIds: WORKFLOWS };
    const before = usageMessage(view);
    rememberSecrets([pasted]);
    expect(usageMessage(view)).toEqual(before);
    // Masking what was typed is the handler's job (handlers/commands/stuckjobs.ts).
    expect(before.text).toContain(pasted);
  });
});
