import { z } from 'zod';
import type { HandlerServices } from '../../src/services';
import { postReplayPlan } from '../replay/post-plan';
import { clickedIn, parseButtonValue, workflowIdIn } from './button-value';
import type { ButtonArgs } from './types';

/** "Plan replay (canary)" on a diagnosis: the same as `/stuckjobs replay <workflow>` with no filters. */
export function planReplay(services: HandlerServices) {
  const valueSchema = z.object({ w: workflowIdIn(services.workflowIds) });
  return async ({ ack, body, action, client, respond }: ButtonArgs): Promise<void> => {
    await ack();
    const { w } = parseButtonValue(valueSchema, action.value);
    const { channelId } = clickedIn(body);
    if (!channelId) return;
    await postReplayPlan(
      services,
      { teamId: body.team?.id ?? body.user.team_id ?? '', channelId, userId: body.user.id, client, respond },
      { workflowId: w, cohort: {}, exclude: [], dryRun: false },
    );
  };
}
