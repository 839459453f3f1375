import {
  recordingPayloadSchema,
  recordingsWorkflow,
  type RecordingPayload,
} from '../../workflows/recordings';
import type { DemoSlice } from './demo-slice';

/**
 * The demo incident, recordings slice: post-processing timed out reading
 * sources from the bucket during the outage and gave up; those sources are
 * still there. A few jobs name a source that was never uploaded: their
 * replay can only fail again, and the bot's target check must say so.
 * Keys follow the default layout `recordings/<tenant>/<id>/source.wav` → `final.mp3`.
 */

export const RECORDINGS_QUEUE = recordingsWorkflow.queue;
export const RECORDINGS_JOB_NAME = 'transmux-recording';
/** Given up after a read timeout; the source object exists. */
export const GIVEN_UP_RECORDINGS_JOBS = 8;
/** Given up because the source object does not exist (it still does not). */
export const MISSING_SOURCE_RECORDINGS_JOBS = 3;
export const RECORDINGS_ATTEMPTS = 3;

const TENANTS = ['acme', 'globex'] as const;

export interface DemoRecording {
  readonly jobId: string;
  readonly payload: RecordingPayload;
  /** Whether the stand-in bucket holds `payload.sourceKey`. */
  readonly sourcePresent: boolean;
}

/** The reason the demo worker (and the seed) gives for a source that is not there. */
export const noSuchKeyReason = (key: string): string =>
  `NoSuchKey: The specified key does not exist. (${key})`;

export const sourceTimeoutReason = (key: string): string =>
  `TimeoutError: the request socket timed out after 30000 ms of inactivity (GetObject ${key})`;

function recording(i: number, sourcePresent: boolean): DemoRecording {
  const tenant = TENANTS[i % TENANTS.length]!;
  const id = `rec_${tenant}_${String(i + 1).padStart(3, '0')}`;
  const payload = recordingPayloadSchema.parse({
    tenantId: tenant,
    conversationId: id,
    recordingId: id,
    sourceKey: `recordings/${tenant}/${id}/source.wav`,
    outputKey: `recordings/${tenant}/${id}/final.mp3`,
  });
  return { jobId: `transmux-${id}`, payload, sourcePresent };
}

export function demoRecordings(): readonly DemoRecording[] {
  const total = GIVEN_UP_RECORDINGS_JOBS + MISSING_SOURCE_RECORDINGS_JOBS;
  return Array.from({ length: total }, (_, i) => recording(i, i < GIVEN_UP_RECORDINGS_JOBS));
}

/** A tiny valid WAV (16-bit mono, 8 kHz) of `samples` zero samples, different per recording. */
export function demoWav(recordingId: string, samples = 800): Buffer {
  const data = Buffer.alloc(samples * 2);
  data.write(recordingId.slice(0, data.length), 'latin1');
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8, 'latin1');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(8000, 24);
  header.writeUInt32LE(16000, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

export function recordingsSlice(): DemoSlice {
  const recordings = demoRecordings();
  const present = new Set(recordings.filter((r) => r.sourcePresent).map((r) => r.payload.sourceKey));
  return {
    queue: RECORDINGS_QUEUE,
    jobs: recordings.map((r) => ({
      name: RECORDINGS_JOB_NAME,
      data: r.payload,
      opts: { jobId: r.jobId, attempts: RECORDINGS_ATTEMPTS },
    })),
    reasonFor: (data) => {
      const { sourceKey } = recordingPayloadSchema.parse(data);
      return present.has(sourceKey) ? sourceTimeoutReason(sourceKey) : noSuchKeyReason(sourceKey);
    },
  };
}
