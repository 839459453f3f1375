import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { ActionId } from '../../blocks/ids';
import type { HandlerServices } from '../../src/services';
import { slackApproverDirectory } from '../replay/approver-directory';
import { fullPayload } from './full-payload';
import { planReplay } from './plan-replay';
import { replayDecision } from './replay-decision';
import { showSamples } from './show-samples';

export function register(app: App, services: HandlerServices): void {
  // One directory per app, so its short cache is shared by every click.
  const directory = slackApproverDirectory(app.client);
  app.action<BlockAction<ButtonAction>>(ActionId.showSamples, showSamples(services));
  app.action<BlockAction<ButtonAction>>(ActionId.fullPayload, fullPayload(services));
  app.action<BlockAction<ButtonAction>>(ActionId.planReplay, planReplay(services));
  app.action<BlockAction<ButtonAction>>(
    ActionId.replayApprove,
    replayDecision(services, 'approve', directory),
  );
  app.action<BlockAction<ButtonAction>>(ActionId.replayDeny, replayDecision(services, 'deny', directory));
}
