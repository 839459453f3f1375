import { errorMessage } from '../errors';
import { describeNetworkError, errorCode, oneLine } from '../probes/net-errors';

/** How an S3 call ended, before a workflow decides what that means for its target. */
export type S3Answer =
  | { readonly kind: 'found' }
  | { readonly kind: 'missing' }
  /** Anything else: the text says what happened, for an `unknown`. */
  | { readonly kind: 'other'; readonly text: string };

/** Duck-typed: SDK errors thrown in another realm (jest's) are not `instanceof Error`. */
function httpStatusOf(error: unknown): number | undefined {
  const meta = (error as { $metadata?: { httpStatusCode?: unknown } } | null)?.$metadata;
  return typeof meta?.httpStatusCode === 'number' ? meta.httpStatusCode : undefined;
}

function nameOf(error: unknown): string {
  const name = (error as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : '';
}

/**
 * Classifies a failed HEAD (object or bucket). A HEAD has no error body, so
 * S3 can only say 404; which thing is missing is the caller's to find out.
 */
export function s3Answer(error: unknown, what: string, timeoutMs: number): S3Answer {
  const http = httpStatusOf(error);
  if (http === 404) return { kind: 'missing' };
  // Without s3:ListBucket, S3 answers 403 for a missing object too: a 403 proves nothing either way.
  if (http === 403)
    return { kind: 'other', text: `access denied to ${what} (HTTP 403): cannot tell whether it exists` };
  if (http === 301)
    return { kind: 'other', text: `the bucket is in another region (HTTP 301): check AWS_REGION` };
  if (http !== undefined && http >= 500)
    return { kind: 'other', text: `S3 store error (HTTP ${http}) on ${what}` };
  if (http !== undefined) return { kind: 'other', text: `S3 refused HEAD on ${what} (HTTP ${http})` };
  const name = nameOf(error);
  if (name === 'CredentialsProviderError')
    return { kind: 'other', text: `no AWS credentials to check ${what}: ${oneLine(errorMessage(error))}` };
  if (name === 'TimeoutError' || name === 'RequestTimeout')
    return { kind: 'other', text: `S3 did not answer within ${timeoutMs} ms` };
  if (errorCode(error) !== undefined)
    return { kind: 'other', text: `cannot reach S3: ${describeNetworkError(error)}` };
  return { kind: 'other', text: `HEAD on ${what} failed: ${oneLine(errorMessage(error))}` };
}
