import { z } from 'zod';
import { DEFAULT_SAMPLE } from '../../src/runbook/inspect/sample';
import type { HandlerServices } from '../../src/services';
import { postSamples } from '../post-samples';
import { clickedIn, parseButtonValue, workflowIdIn } from './button-value';

import type { ButtonArgs } from './types';

/** "Show samples" on a diagnosis: default samples of the state the button names, into the incident thread. */
export function showSamples(services: HandlerServices) {
  const valueSchema = z.object({
    w: workflowIdIn(services.workflowIds),
    st: z.enum(['failed', 'delayed', 'waiting']).default('failed'),
  });
  return async ({ ack, body, action, client }: ButtonArgs): Promise<void> => {
    await ack();
    const { w, st } = parseButtonValue(valueSchema, action.value);
    const { channelId, threadTs } = clickedIn(body);
    if (!channelId) return;
    await postSamples(
      services,
      client,
      {
        teamId: body.team?.id ?? body.user.team_id ?? '',
        channelId,
        userId: body.user.id,
        threadTs,
      },
      { workflowId: w, state: st, count: DEFAULT_SAMPLE, cohort: {} },
    );
  };
}
