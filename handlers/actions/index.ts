import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { ActionId } from '../../blocks/ids';
import type { HandlerServices } from '../../src/services';
import { incidentChannelOnly, oncePerDelivery } from '../guards';
import { slackApproverDirectory } from '../replay/approver-directory';
import { fullPayload } from './full-payload';
import { planReplay } from './plan-replay';
import { replayDecision } from './replay-decision';
import { showSamples } from './show-samples';
import { unknownAction, unknownActionIds } from './unknown-action';

export function register(app: App, services: HandlerServices): void {
  // One directory per app, so its short cache is shared by every click.
  const directory = slackApproverDirectory(app.client);
  // Per risk level: every click is acted on once; clicks that start work also need an incident
  // channel; Approve and Deny are bound to their manifest's team and channel (decide-batch.ts).
  const once = oncePerDelivery(services);
  const inIncident = incidentChannelOnly(services);
  app.action<BlockAction<ButtonAction>>(ActionId.showSamples, once, inIncident, showSamples(services));
  app.action<BlockAction<ButtonAction>>(ActionId.fullPayload, once, inIncident, fullPayload(services));
  app.action<BlockAction<ButtonAction>>(ActionId.planReplay, once, inIncident, planReplay(services));
  app.action<BlockAction<ButtonAction>>(
    ActionId.replayApprove,
    once,
    replayDecision(services, 'approve', directory),
  );
  app.action<BlockAction<ButtonAction>>(
    ActionId.replayDeny,
    once,
    replayDecision(services, 'deny', directory),
  );
  // Last: a click no listener above owns (an altered or foreign action id) still gets an answer.
  app.action(unknownActionIds(), unknownAction(services));
}
