import type { RespondFn } from '@slack/bolt';
import type { BuiltMessage } from '../blocks/diagnosis';

/** An answer only the person who typed or clicked sees; the message they acted on stays as it is. */
export async function tell(respond: RespondFn, message: BuiltMessage): Promise<void> {
  await respond({ response_type: 'ephemeral', replace_original: false, ...message });
}
