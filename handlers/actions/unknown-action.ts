import type { AllMiddlewareArgs, SlackActionMiddlewareArgs } from '@slack/bolt';
import { ActionId, COMMAND } from '../../blocks/ids';
import { noticeMessage } from '../../blocks/notice';
import type { HandlerServices } from '../../src/services';
import { tell } from '../tell';

/** Any action id but ours: Bolt would otherwise leave the click unanswered and Slack show an error. */
export function unknownActionIds(): RegExp {
  const ours = Object.values(ActionId).map((id) => id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^(?!(?:${ours.join('|')})$)`, 's');
}

export const UNKNOWN_ACTION_TEXT = `That button is not one of mine, or was altered: nothing was done. Type \`${COMMAND} help\` to see the commands.`;

/** Acks and says so; the id itself is logged (cut short), never echoed back. */
export function unknownAction(services: Pick<HandlerServices, 'logger'>) {
  return async ({
    ack,
    action,
    body,
    respond,
  }: AllMiddlewareArgs & SlackActionMiddlewareArgs): Promise<void> => {
    await ack();
    const actionId = 'action_id' in action && typeof action.action_id === 'string' ? action.action_id : '';
    services.logger.warn(
      { actionId: actionId.slice(0, 100), user: body.user.id },
      'click on an unknown action id',
    );
    if (body.response_url)
      await tell(respond, noticeMessage({ tone: 'refused', message: UNKNOWN_ACTION_TEXT }));
  };
}
