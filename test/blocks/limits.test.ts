import { findBlockKitViolations } from '../../blocks/limits';

const section = (text: string, id?: string) => ({
  type: 'section',
  ...(id ? { block_id: id } : {}),
  text: { type: 'mrkdwn', text },
});

describe('findBlockKitViolations', () => {
  it('accepts a small valid message', () => {
    expect(findBlockKitViolations({ text: 'hi', blocks: [section('hello')] })).toEqual([]);
  });

  it('finds each broken limit', () => {
    const problems = findBlockKitViolations({
      text: '',
      blocks: [
        ...Array.from({ length: 50 }, (_, i) => section('ok', `b${i}`)),
        section('x'.repeat(3001), 'b0'),
        { type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } },
        {
          type: 'section',
          text: { type: 'mrkdwn', text: 'f' },
          fields: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'x' })),
        },
        {
          type: 'actions',
          elements: [
            {
              type: 'button',
              action_id: 'a',
              text: { type: 'plain_text', text: 'b'.repeat(76) },
              value: 'v'.repeat(2001),
            },
          ],
        },
        { type: 'context', elements: [] },
        { type: 'video' },
      ],
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'fallback text is missing',
        '56 blocks (at most 50)',
        'block 50 block_id: duplicate id b0',
        'block 50 section: 3001 characters (at most 3000)',
        'block 51 header: 151 characters (at most 150)',
        'block 52: 11 fields (at most 10)',
        'block 53 element 0 button: 76 characters (at most 75)',
        'block 53 element 0: button value too long',
        'block 54: 0 context elements (1 to 10)',
        'block 55: unsupported block type video',
      ]),
    );
  });

  it('checks confirmation dialogs on buttons', () => {
    const confirm = {
      title: { type: 'plain_text', text: 't'.repeat(101) },
      text: { type: 'plain_text', text: 'ok' },
      confirm: { type: 'plain_text', text: 'Approve' },
      deny: { type: 'plain_text', text: 'Cancel' },
    };
    const problems = findBlockKitViolations({
      text: 'x',
      blocks: [
        {
          type: 'actions',
          elements: [{ type: 'button', action_id: 'a', text: { type: 'plain_text', text: 'Go' }, confirm }],
        },
      ],
    });
    expect(problems).toEqual(['block 0 element 0 confirm title: 101 characters (at most 100)']);
  });
});
