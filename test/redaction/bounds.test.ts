import { cutText } from '../../src/redaction/bounds';

describe('cutText', () => {
  it('keeps a text that fits as it is', () => {
    expect(cutText('short text', 64)).toEqual({ kept: 'short text', cut: 0 });
  });

  it('drops the word the cut would split, so no partial secret escapes the maskers', () => {
    const secret = `xoxb-${'1234567890'.repeat(5)}`;
    const text = `failed with ${secret} again`;
    const { kept, cut } = cutText(text, 30);
    expect(kept).toBe('failed with ');
    expect(cut).toBe(text.length - kept.length);
  });

  it('drops at most the last 512 characters of one endless word', () => {
    const { kept, cut } = cutText('a'.repeat(10_000), 2_000);
    expect(kept).toHaveLength(2_000 - 512);
    expect(cut).toBe(10_000 - 1_488);
  });
});
