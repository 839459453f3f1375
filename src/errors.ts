import { randomBytes } from 'node:crypto';

/** Every error the bot raises on purpose carries one of these codes. */
export enum ErrorCode {
  ConfigInvalid = 'stuckjobs_config_invalid',
  UsageInvalid = 'stuckjobs_usage_invalid',
  UnknownWorkflow = 'stuckjobs_unknown_workflow',
  UpstreamFailed = 'stuckjobs_upstream_failed',
  Timeout = 'stuckjobs_timeout',
  Unknown = 'stuckjobs_unknown',
}

export class CodedError extends Error {
  override name = 'CodedError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A mistake in what the user typed: the message tells them what to type instead. */
export class UsageError extends CodedError {
  override name = 'UsageError';
  constructor(message: string) {
    super(ErrorCode.UsageInvalid, message);
  }
}

export class ConfigError extends CodedError {
  override name = 'ConfigError';
  constructor(
    message: string,
    readonly problems: readonly string[],
  ) {
    super(ErrorCode.ConfigInvalid, message);
  }
}

export class TimeoutError extends CodedError {
  override name = 'TimeoutError';
  constructor(what: string, ms: number) {
    super(ErrorCode.Timeout, `${what} did not answer within ${ms} ms`);
  }
}

export function asCodedError(error: unknown): CodedError {
  if (error instanceof CodedError) return error;
  if (error instanceof Error) return new CodedError(ErrorCode.Unknown, error.message, { cause: error });
  return new CodedError(ErrorCode.Unknown, String(error));
}

/** Short enough to read aloud on a call, unique enough to find one log line. */
export function newCorrelationId(): string {
  return `sj-${randomBytes(5).toString('hex')}`;
}

/** Duck-typed: errors from another realm (a vm, a worker) are not `instanceof Error`. */
export function errorMessage(error: unknown): string {
  if (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { message?: unknown }).message === 'string'
  ) {
    return (error as { message: string }).message;
  }
  return String(error);
}
