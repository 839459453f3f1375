import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { ActionId } from '../../blocks/ids';
import type { HandlerServices } from '../../src/services';
import { fullPayload } from './full-payload';
import { showSamples } from './show-samples';

export function register(app: App, services: HandlerServices): void {
  app.action<BlockAction<ButtonAction>>(ActionId.showSamples, showSamples(services));
  app.action<BlockAction<ButtonAction>>(ActionId.fullPayload, fullPayload(services));
}
