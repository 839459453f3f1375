/**
 * Recordings, downstream: the post-processed output exists. One `HeadObject`
 * on the payload's `outputKey` in RECORDINGS_BUCKET per distinct key, at most
 * `limit` at once, each with its own deadline.
 *
 * 200 is a `pass`; 404 is a `fail` naming the key. A 404 from a HEAD cannot
 * tell a missing key from a missing bucket, but a replay of recordings needs
 * a healthy bucket before it runs (DESIGN.md invariant 5), so the bucket is
 * not asked again here. 403 (without s3:ListBucket S3 hides a missing object
 * behind it), 5xx, a timeout or an unreachable store are `unknown`: they say
 * nothing about the object. A payload without `outputKey` is `unknown`.
 * Without RECORDINGS_BUCKET the check is `skipped`.
 */
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { withDeadline } from '../../../checks/deadline';
import { s3Answer, type S3Answer } from '../../../checks/s3-errors';
import { firstIssue } from '../../../checks/target-fields';
import { createRecordingsS3Client } from '../../../probes/s3-client';
import { recordingPayloadSchema } from '../../../workflows/recordings';
import type { RecordingTargetOptions } from '../../../checks/recording-target';
import type { CompletedJob } from '../types';
import type { JobFinding, WorkflowDownstream } from './index';

/** The recording check's settings without its cache: a verification asks afresh every time. */
export type RecordingsDownstreamOptions = Omit<RecordingTargetOptions, 'cacheTtlMs'>;

const outputSchema = recordingPayloadSchema.pick({ outputKey: true });

const EFFECT = 'output object exists';

const notConfigured: WorkflowDownstream = {
  effect: EFFECT,
  find: () => Promise.resolve({ kind: 'skipped', reason: 'not configured: set RECORDINGS_BUCKET' }),
  close: () => Promise.resolve(),
};

export function createRecordingsDownstream(options: RecordingsDownstreamOptions): WorkflowDownstream {
  const { bucket, s3Endpoint, region, timeoutMs, credentials, limit } = options;
  if (bucket === undefined) return notConfigured;
  // One client for the checks' life; one attempt per request: a check reports, it does not insist.
  const client = createRecordingsS3Client({ region, s3Endpoint, timeoutMs, credentials });

  const head = (key: string): Promise<S3Answer> =>
    limit(() =>
      withDeadline<S3Answer>(
        timeoutMs,
        async (abortSignal) => {
          await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), { abortSignal });
          return { kind: 'found' };
        },
        {
          onTimeout: () => ({ kind: 'other', text: `S3 did not answer within ${timeoutMs} ms` }),
          onError: (error) => s3Answer(error, `output object ${key}`, timeoutMs),
        },
      ),
    );

  const findingFor = async (
    job: CompletedJob,
    answers: Map<string, Promise<S3Answer>>,
  ): Promise<JobFinding> => {
    const parsed = outputSchema.safeParse(job.data);
    if (!parsed.success)
      return { jobId: job.id, status: 'unknown', text: `not checked: ${firstIssue(parsed.error)}` };
    const key = parsed.data.outputKey;
    // Jobs of one call that name the same object share one HEAD.
    let answer = answers.get(key);
    if (answer === undefined) {
      answer = head(key);
      answers.set(key, answer);
    }
    const outcome = await answer;
    if (outcome.kind === 'found')
      return { jobId: job.id, status: 'pass', text: `output object ${key} exists` };
    if (outcome.kind === 'missing')
      return { jobId: job.id, status: 'fail', text: `output object ${key} does not exist` };
    return { jobId: job.id, status: 'unknown', text: outcome.text };
  };

  return {
    effect: EFFECT,
    async find(jobs) {
      const answers = new Map<string, Promise<S3Answer>>();
      return { kind: 'checked', jobs: await Promise.all(jobs.map((job) => findingFor(job, answers))) };
    },
    close: () => {
      client.destroy();
      return Promise.resolve();
    },
  };
}
