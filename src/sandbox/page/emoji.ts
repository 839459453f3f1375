/**
 * The Slack shortcodes our messages use (and a few common ones), as Slack
 * shows them. An unknown shortcode stays the text that was sent, as in a
 * workspace without that custom emoji.
 */
const EMOJI: ReadonlyMap<string, string> = new Map([
  ['white_check_mark', '✅'],
  ['heavy_check_mark', '✔️'],
  ['x', '❌'],
  ['warning', '⚠️'],
  ['information_source', 'ℹ️'],
  ['grey_question', '❔'],
  ['question', '❓'],
  ['scissors', '✂️'],
  ['hourglass', '⌛'],
  ['hourglass_flowing_sand', '⏳'],
  ['no_entry', '⛔'],
  ['no_entry_sign', '🚫'],
  ['test_tube', '🧪'],
  ['red_circle', '🔴'],
  ['large_yellow_circle', '🟡'],
  ['large_green_circle', '🟢'],
  ['white_circle', '⚪'],
  ['heavy_minus_sign', '➖'],
  ['rotating_light', '🚨'],
  ['memo', '📝'],
  ['mag', '🔍'],
  ['lock', '🔒'],
  ['tada', '🎉'],
  ['thread', '🧵'],
]);

export function emojiFor(name: string): string | undefined {
  return EMOJI.get(name);
}
