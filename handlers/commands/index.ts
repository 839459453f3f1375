import type { App } from '@slack/bolt';
import { COMMAND } from '../../blocks/ids';
import type { HandlerServices } from '../../src/services';
import { stuckjobsCommand } from './stuckjobs';

export function register(app: App, services: HandlerServices): void {
  app.command(COMMAND, stuckjobsCommand(services));
}
