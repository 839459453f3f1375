import { LogLevel, type Logger as SlackLogger } from '@slack/bolt';
import type { Logger } from './logger';

const PINO_LEVEL: Record<LogLevel, string> = {
  [LogLevel.ERROR]: 'error',
  [LogLevel.WARN]: 'warn',
  [LogLevel.INFO]: 'info',
  [LogLevel.DEBUG]: 'debug',
};

/** Bolt logs through this, so its lines are pino JSON like ours and share redaction. */
export function boltLogger(logger: Logger): SlackLogger {
  const log = logger.child({ component: 'bolt' });
  const write =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (...parts: unknown[]): void => {
      // Objects become fields, not text, so pino's redaction paths apply to them.
      const error = parts.find((part): part is Error => part instanceof Error);
      const fields = Object.assign(
        {},
        ...parts.filter(
          (part): part is object => typeof part === 'object' && part !== null && !(part instanceof Error),
        ),
      ) as Record<string, unknown>;
      const text = parts
        .filter((part) => typeof part !== 'object' || part === null)
        .map(String)
        .join(' ');
      log[level]({ ...fields, ...(error ? { err: error } : {}) }, text);
    };
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    setLevel: (level: LogLevel) => {
      log.level = PINO_LEVEL[level];
    },
    getLevel: () =>
      (Object.entries(PINO_LEVEL).find(([, v]) => v === log.level)?.[0] as LogLevel) ?? LogLevel.INFO,
    setName: () => undefined,
  };
}
