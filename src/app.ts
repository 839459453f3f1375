import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, HTTPReceiver, type CustomRoute } from '@slack/bolt';
import { registerHandlers } from '../handlers';
import type { HandlerServices } from './services';
import { boltLogger } from './bolt-logger';
import { ConfigError } from './errors';
import type { Logger } from './logger';
import type { HealthReport } from './services';

export interface BotOptions {
  readonly mode: 'http' | 'socket';
  readonly botToken: string;
  readonly signingSecret?: string;
  readonly appToken?: string;
  /** Another Slack Web API base (the sandbox emulator). */
  readonly slackApiUrl?: string;
  readonly port: number;
  /** Interface to bind in HTTP mode; all of them unless set (tests and the sandbox use loopback). */
  readonly host?: string;
  readonly services: HandlerServices;
  readonly health: () => Promise<HealthReport>;
  readonly logger: Logger;
  /**
   * Web API retries. Slack's client default retries for about 30 minutes; in an
   * incident a late answer is a wrong answer, so we retry briefly.
   */
  readonly slackRetries?: number;
}

export interface RunningBot {
  readonly app: App;
  /** The HTTP port actually bound (useful with port 0). */
  readonly port: number;
  stop(): Promise<void>;
}

function healthRoute(health: () => Promise<HealthReport>, logger: Logger): CustomRoute {
  return {
    path: '/healthz',
    method: ['GET'],
    handler: (_req, res) => {
      health()
        .catch((err: unknown) => {
          logger.warn({ err }, 'health check failed');
          return { ok: false } satisfies HealthReport;
        })
        .then((report) => {
          res.writeHead(report.ok ? 200 : 503, { 'content-type': 'application/json' });
          res.end(JSON.stringify(report));
        })
        .catch(() => res.destroy());
    },
  };
}

/** Builds the Bolt app for the chosen transport and starts it. */
export async function startBot(options: BotOptions): Promise<RunningBot> {
  const logger = boltLogger(options.logger);
  const clientOptions = {
    ...(options.slackApiUrl ? { slackApiUrl: options.slackApiUrl } : {}),
    retryConfig: { retries: options.slackRetries ?? 3, factor: 2, minTimeout: 500, maxTimeout: 5_000 },
  };
  const customRoutes = [healthRoute(options.health, options.logger)];

  if (options.mode === 'socket') {
    if (!options.appToken)
      throw new ConfigError('Socket Mode needs SLACK_APP_TOKEN', ['SLACK_APP_TOKEN: required']);
    const app = new App({
      token: options.botToken,
      appToken: options.appToken,
      socketMode: true,
      clientOptions,
      // apps.connections.open ignores App.clientOptions (stack-notes.md).
      installerOptions: { clientOptions, port: options.port },
      customRoutes,
      extendedErrorHandler: true,
      logger,
    });
    registerHandlers(app, options.services, options.logger);
    await app.start();
    let stoppingSocket: Promise<void> | undefined;
    return {
      app,
      port: options.port,
      stop: () => (stoppingSocket ??= (app.stop() as Promise<void>).catch(() => undefined)),
    };
  }

  if (!options.signingSecret) {
    throw new ConfigError('HTTP mode needs SLACK_SIGNING_SECRET', ['SLACK_SIGNING_SECRET: required']);
  }
  const receiver = new HTTPReceiver({
    signingSecret: options.signingSecret,
    endpoints: '/slack/events',
    customRoutes,
    logger,
  });
  const app = new App({
    token: options.botToken,
    receiver,
    clientOptions,
    extendedErrorHandler: true,
    logger,
  });
  registerHandlers(app, options.services, options.logger);
  const server = (await app.start(
    options.host ? { port: options.port, host: options.host } : options.port,
  )) as unknown as Server;
  const port = (server.address() as AddressInfo).port;
  let stopping: Promise<void> | undefined;
  return {
    app,
    port,
    stop: () => (stopping ??= (app.stop() as Promise<void>).catch(() => undefined)),
  };
}
