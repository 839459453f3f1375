import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { redactValue, UNREADABLE } from './redaction';

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
  'config.redis.replayUrl',
  '*.SLACK_BOT_TOKEN',
  '*.SLACK_SIGNING_SECRET',
  '*.SLACK_APP_TOKEN',
  '*.STRIPE_SECRET_KEY',
  '*.SIGNOZ_API_KEY',
];

/**
 * Paths catch secrets by where they sit; these catch them by what they look like,
 * wherever they sit: an upstream error that quotes a connection string or a token
 * in its message, a failure reason logged as a field, a token in the message text.
 * Every field gets the payload previews' rules (`redactValue`); `err` first goes
 * through pino's own serializer, so it keeps its shape (type, message, stack).
 */
const redactingFormatters: NonNullable<LoggerOptions['formatters']> = {
  bindings: (bindings) => redactValue(bindings) as Record<string, unknown>,
  log: (object) => {
    try {
      const { err, ...fields } = object;
      const redacted = redactValue(fields) as Record<string, unknown>;
      return err === undefined ? redacted : { ...redacted, err };
    } catch {
      // A merge object whose keys cannot be read (a hostile Proxy): the line is still written.
      return { fields: UNREADABLE };
    }
  },
};

const redactingSerializers: NonNullable<LoggerOptions['serializers']> = {
  err: (err: unknown) => {
    try {
      return redactValue(pino.stdSerializers.err(err as Error));
    } catch {
      return redactValue(err);
    }
  },
  // Through the same bounds as fields: a 4 MB message is cut before it is masked.
  msg: (msg: unknown) => redactValue(msg),
};

/**
 * The last guard: whatever pino itself does with an argument (an `instanceof`
 * on a Proxy, a getter), a log call never throws into the code that logged.
 * The line is replaced by one that says so.
 */
const neverThrowingHooks: NonNullable<LoggerOptions['hooks']> = {
  logMethod(args, method) {
    try {
      method.apply(this, args);
    } catch {
      // Not the error: reading it may be what threw.
      method.call(this, { logFailure: true }, 'a log line could not be written');
    }
  },
};

/** `destination` lets tests read the lines exactly as production would write them. */
export function createLogger(options: LoggerOptions = {}, destination?: DestinationStream): Logger {
  const settings: LoggerOptions = {
    name: 'stuckjobs',
    level: 'info',
    redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
    formatters: redactingFormatters,
    serializers: redactingSerializers,
    hooks: neverThrowingHooks,
    ...options,
  };
  const logger = destination ? pino(settings, destination) : pino(settings);
  return redactingChildren(logger);
}

/**
 * pino applies `formatters.bindings` to the root's base bindings only, never to a
 * child's: so `child()` redacts its bindings itself. Set on the root as an own
 * property, it is inherited by every descendant (pino makes children with
 * `Object.create(parent)`), and `this` stays the logger it is called on.
 */
function redactingChildren(logger: Logger): Logger {
  type Child = (this: Logger, bindings: pino.Bindings, options?: pino.ChildLoggerOptions) => Logger;
  // pino types `child` generically over custom levels, which this logger has none of.
  const pinoChild = Reflect.get(logger, 'child') as unknown as Child;
  const child: Child = function (bindings, options) {
    return pinoChild.call(this, redactValue(bindings) as pino.Bindings, options);
  };
  Object.defineProperty(logger, 'child', { value: child, writable: true, configurable: true });
  return logger;
}

/** A logger that drops everything: tests and benchmarks that do not read logs. */
export const silentLogger: Logger = pino({ level: 'silent' });
