import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/**
 * Paths that may hold a secret anywhere we log. pino removes them before
 * serialisation, so a careless `log.info({ config })` cannot leak a token.
 */
export const REDACTED_PATHS: readonly string[] = [
  'token',
  '*.token',
  'secret',
  '*.secret',
  'password',
  '*.password',
  'authorization',
  '*.authorization',
  '*.headers.authorization',
  '*.headers["signoz-api-key"]',
  '*.headers["x-slack-signature"]',
  'config.slack.botToken',
  'config.slack.signingSecret',
  'config.slack.appToken',
  'config.stripe.secretKey',
  'config.signoz.apiKey',
  'config.redis.url',
  'config.redis.stateUrl',
  '*.SLACK_BOT_TOKEN',
  '*.SLACK_SIGNING_SECRET',
  '*.SLACK_APP_TOKEN',
  '*.STRIPE_SECRET_KEY',
  '*.SIGNOZ_API_KEY',
];

/** `destination` lets tests read the lines exactly as production would write them. */
export function createLogger(options: LoggerOptions = {}, destination?: DestinationStream): Logger {
  const settings: LoggerOptions = {
    name: 'stuckjobs',
    level: 'info',
    redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
    ...options,
  };
  return destination ? pino(settings, destination) : pino(settings);
}

/** A logger that drops everything: tests and benchmarks that do not read logs. */
export const silentLogger: Logger = pino({ level: 'silent' });
