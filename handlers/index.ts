import type { App } from '@slack/bolt';
import type { Logger } from '../src/logger';
import { register as registerActions } from './actions';
import { register as registerCommands } from './commands';
import { registerErrorHandler } from './error-handler';
import type { HandlerServices } from '../src/services';

export type { HandlerServices } from '../src/services';

/** Every Slack surface registers itself here (bolt samples' listeners/index.ts). */
export function registerHandlers(app: App, services: HandlerServices, logger: Logger): void {
  registerCommands(app, services);
  registerActions(app, services);
  registerErrorHandler(app, logger);
}
