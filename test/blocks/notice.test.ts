import { decisionRefusalText } from '../../blocks/decision-refusal';
import { mention } from '../../blocks/mention';
import { noticeMessage } from '../../blocks/notice';

/** The notice's mrkdwn body (one section). */
function bodyOf(message: ReturnType<typeof noticeMessage>): string {
  const [block] = message.blocks;
  if (block?.type !== 'section' || !block.text) throw new Error('notice has no section text');
  return block.text.text;
}

const refusal = (decidedBy: string) =>
  noticeMessage({
    tone: 'refused',
    message: decisionRefusalText({ code: 'not-pending', approverReason: '', state: 'approved', decidedBy }),
  });

describe('notice mentions', () => {
  it('renders the decider of an already decided batch as a live mention, in the body and the fallback', () => {
    const message = refusal('U0APPROVER');
    expect(bodyOf(message)).toBe(
      ':no_entry: This batch was already approved by <@U0APPROVER>: nothing more to do.',
    );
    expect(message.text).toBe('This batch was already approved by <@U0APPROVER>: nothing more to do.');
    expect(bodyOf(refusal('W0GRIDUSER'))).toContain('by <@W0GRIDUSER>:');
  });

  it('shows a decider id that is not a Slack user id as escaped text, never as mrkdwn', () => {
    const body = bodyOf(refusal('U123|x> <!channel'));
    expect(body).toContain('by U123|x&gt; &lt;!channel: nothing more to do.');
    expect(body).not.toMatch(/<[@!]/);
  });

  it('keeps mention-looking text from a payload or a user escaped, in the headline and the details', () => {
    const message = noticeMessage({
      tone: 'refused',
      message: ['Job says <@U123|x> and <!channel>, asked by ', mention('U0REQUESTER'), '.'],
      details: ['payload field: <@U999> <!here> <https://evil.example|click>'],
      mention: 'U0REQUESTER',
    });
    const body = bodyOf(message);
    expect(body).toContain('&lt;@U123|x&gt; and &lt;!channel&gt;, asked by <@U0REQUESTER>.');
    expect(body).toContain('&lt;@U999&gt; &lt;!here&gt; &lt;https://evil.example|click&gt;');
    expect(body.startsWith(':no_entry: <@U0REQUESTER> Job says')).toBe(true);
    // Exactly the two mentions the bot wrote itself are live.
    expect(body.match(/<[@!#]/g)).toEqual(['<@', '<@']);
    expect(message.text).not.toMatch(/<!|<@U123|<@U999/);
  });

  it('does not mention an addressee whose id is malformed', () => {
    const body = bodyOf(noticeMessage({ tone: 'done', message: 'done', mention: '<!everyone>' }));
    expect(body).toBe(':white_check_mark: &lt;!everyone&gt; done');
  });

  it('keeps the spaces between parts and turns control characters into spaces', () => {
    const body = bodyOf(noticeMessage({ tone: 'info', message: ['a\nb ', mention('U0X1'), ' c'] }));
    expect(body).toBe(':information_source: a b <@U0X1> c');
  });
});
