import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, HTTPReceiver, SocketModeReceiver, type CustomRoute } from '@slack/bolt';
import { registerHandlers } from '../handlers';
import type { HandlerServices } from './services';
import { boltLogger } from './bolt-logger';
import { shieldReceiver } from './request-shield';
import { ConfigError } from './errors';
import { answerHealth, startHealthServer, type HealthCheck } from './health-server';
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
  /**
   * Per Web API request, in ms (default 10 s). The client's own default is no
   * timeout at all: one call that never answers would hang a recovery pass,
   * and shutdown behind it.
   */
  readonly slackTimeoutMs?: number;
}

/** A Slack call that has not answered in this long will not answer usefully in an incident. */
export const SLACK_TIMEOUT_MS = 10_000;

export interface RunningBot {
  readonly app: App;
  /** The HTTP port actually bound (useful with port 0). */
  readonly port: number;
  stop(): Promise<void>;
}

function healthRoute(health: HealthCheck, logger: Logger): CustomRoute {
  return { path: '/healthz', method: ['GET'], handler: (_req, res) => answerHealth(health, logger, res) };
}

/** The app both transports share: receivers only carry transport; everything else is the same. */
function buildApp(
  options: BotOptions,
  receiver: HTTPReceiver | SocketModeReceiver,
  clientOptions: { slackApiUrl?: string },
  logger: ReturnType<typeof boltLogger>,
): App {
  const app = new App({
    token: options.botToken,
    receiver,
    clientOptions,
    extendedErrorHandler: true,
    logger,
  });
  registerHandlers(app, options.services, options.logger);
  return app;
}

/** Builds the Bolt app for the chosen transport and starts it. */
export async function startBot(options: BotOptions): Promise<RunningBot> {
  const logger = boltLogger(options.logger);
  const clientOptions = {
    ...(options.slackApiUrl ? { slackApiUrl: options.slackApiUrl } : {}),
    retryConfig: { retries: options.slackRetries ?? 3, factor: 2, minTimeout: 500, maxTimeout: 5_000 },
    timeout: options.slackTimeoutMs ?? SLACK_TIMEOUT_MS,
  };

  if (options.mode === 'socket') return startSocketBot(options, clientOptions, logger);
  if (!options.signingSecret) {
    throw new ConfigError('HTTP mode needs SLACK_SIGNING_SECRET', ['SLACK_SIGNING_SECRET: required']);
  }
  const receiver = new HTTPReceiver({
    signingSecret: options.signingSecret,
    endpoints: '/slack/events',
    customRoutes: [healthRoute(options.health, options.logger)],
    logger,
  });
  // The signature before any parsing, then what Bolt lets through or chokes on: test/adversarial.
  shieldReceiver(receiver, options.logger, options.signingSecret);
  const app = buildApp(options, receiver, clientOptions, logger);
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

async function startSocketBot(
  options: BotOptions,
  clientOptions: { slackApiUrl?: string },
  logger: ReturnType<typeof boltLogger>,
): Promise<RunningBot> {
  if (!options.appToken)
    throw new ConfigError('Socket Mode needs SLACK_APP_TOKEN', ['SLACK_APP_TOKEN: required']);
  // apps.connections.open ignores App.clientOptions (stack-notes.md): the receiver needs its own.
  const receiver = new SocketModeReceiver({
    appToken: options.appToken,
    logger,
    installerOptions: { clientOptions },
  });
  const app = buildApp(options, receiver, clientOptions, logger);
  const health = await startHealthServer(options.health, options.logger, {
    port: options.port,
    host: options.host,
  });
  try {
    await app.start();
  } catch (error) {
    await health.close();
    throw error;
  }
  let stopping: Promise<void> | undefined;
  const stop = async (): Promise<void> => {
    // app.stop() does not wait for the socket to close; wait for it, briefly.
    const disconnected = new Promise<void>((resolve) => {
      receiver.client.once('disconnected', () => resolve());
      setTimeout(resolve, 5_000).unref();
    });
    await (app.stop() as Promise<void>).catch(() => undefined);
    await disconnected;
    await health.close();
  };
  return { app, port: health.port, stop: () => (stopping ??= stop()) };
}
