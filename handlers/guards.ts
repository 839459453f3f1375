import type { BlockAction, ButtonAction, Middleware, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { BuiltMessage } from '../blocks/diagnosis';
import { COMMAND } from '../blocks/ids';
import { noticeMessage } from '../blocks/notice';
import { describeIncidentChannels, isIncidentChannel, type ChannelRef } from '../src/incident-channels';
import type { HandlerServices } from '../src/services';
import { clickedIn } from './actions/button-value';
import { tell } from './tell';

/**
 * Cross-cutting refusals shared by commands and clicks (STYLE: middleware
 * factories, not `if`s copied into each listener). Each answers in words and
 * changes nothing.
 */

export const REPEATED_DELIVERY_TEXT =
  'I already handled this exact request (a copy of it arrived again): nothing was done twice. If you meant to do it again, type the command or click the button again.';

/** The same signed request again: true when this one should be answered with a refusal and dropped. */
export async function isRepeatedDelivery(
  services: Pick<HandlerServices, 'deliveries' | 'logger'>,
  triggerId: unknown,
  who: { readonly user: string; readonly what: string },
): Promise<boolean> {
  // Slack always sends one; without it there is nothing to remember (the other rules still apply).
  if (typeof triggerId !== 'string' || triggerId === '') return false;
  if (await services.deliveries.firstDelivery(triggerId)) return false;
  services.logger.warn({ user: who.user, what: who.what }, 'repeated delivery of a signed request refused');
  return true;
}

export function repeatedDeliveryMessage(): BuiltMessage {
  return noticeMessage({ tone: 'refused', message: REPEATED_DELIVERY_TEXT });
}

/** `/stuckjobs` outside INCIDENT_CHANNELS: where it may run instead, and what to do. */
export function notAnIncidentChannelMessage(
  services: Pick<HandlerServices, 'incidentChannels'>,
): BuiltMessage {
  return noticeMessage({
    tone: 'refused',
    message: `${COMMAND} runs only in incident channels (${describeIncidentChannels(services.incidentChannels)}), so nothing was done here. Run it in the incident's channel, or open one with a matching name; \`${COMMAND} help\` works anywhere.`,
  });
}

export function inIncidentChannel(
  services: Pick<HandlerServices, 'incidentChannels'>,
  channel: ChannelRef,
): boolean {
  return isIncidentChannel(services.incidentChannels, channel);
}

type ButtonMiddleware = Middleware<SlackActionMiddlewareArgs<BlockAction<ButtonAction>>>;

/** Every click: a copy of one already handled is acked and refused before any listener runs. */
export function oncePerDelivery(services: HandlerServices): ButtonMiddleware {
  return async ({ body, ack, respond, next }) => {
    const repeated = await isRepeatedDelivery(services, body.trigger_id, {
      user: body.user.id,
      what: `click ${body.actions[0]?.action_id ?? ''}`,
    });
    if (!repeated) return next();
    await ack();
    await tell(respond, repeatedDeliveryMessage());
  };
}

/**
 * Clicks that start work in a channel (samples, a plan) follow the command's
 * channel rule; Approve and Deny are bound to their manifest's channel instead.
 */
export function incidentChannelOnly(services: HandlerServices): ButtonMiddleware {
  return async ({ body, ack, respond, next }) => {
    const channel = { id: clickedIn(body).channelId ?? '', name: body.channel?.name };
    if (inIncidentChannel(services, channel)) return next();
    await ack();
    await tell(respond, notAnIncidentChannelMessage(services));
  };
}
