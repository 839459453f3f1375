import { z } from 'zod';
import { escapeMrkdwn } from '../../blocks/text';
import { UsageError } from '../../src/errors';
import type { HandlerServices } from '../../src/services';
import { clickedIn, parseButtonValue, workflowIdIn } from './button-value';
import type { ButtonArgs } from './types';

/**
 * "Full payload" on a truncated sample: the whole redacted payload as a
 * snippet file in the thread. A file keeps any size readable and stays on
 * record with the incident, which a modal would not.
 */
export function fullPayload(services: HandlerServices) {
  const valueSchema = z.object({
    w: workflowIdIn(services.workflowIds),
    st: z.enum(['failed', 'delayed', 'waiting']),
    j: z.string().min(1).max(1000),
  });
  return async ({ ack, body, action, client, respond }: ButtonArgs): Promise<void> => {
    await ack();
    const { w, st, j } = parseButtonValue(valueSchema, action.value);
    const { channelId, threadTs } = clickedIn(body);
    if (!channelId || !threadTs)
      throw new UsageError(
        'I could not tell where that button was clicked; type `/stuckjobs sample <workflow>` again.',
      );
    const payload = await services.fullPayload(w, st, j);
    if (!payload) {
      await respond({
        response_type: 'ephemeral',
        replace_original: false,
        text: `Job ${escapeMrkdwn(j)} is no longer ${st}: it was retried, removed or finished since the sample.`,
      });
      return;
    }
    await client.files.uploadV2({
      channel_id: channelId,
      thread_ts: threadTs,
      filename: `${w}-job-${j.replace(/[^\w.-]+/g, '_').slice(0, 80)}.${payload.kind === 'json' ? 'json' : 'txt'}`,
      title: `${w} job ${j.slice(0, 80)} (${st}), redacted`,
      content: payload.text || '(empty)',
      initial_comment: `Full payload of ${w} job ${escapeMrkdwn(j)} for <@${body.user.id}>, secrets and personal data redacted (${payload.redactions} value(s)).`,
    });
    services.logger.info({ workflow: w, job: j, user: body.user.id }, 'full redacted payload uploaded');
  };
}
