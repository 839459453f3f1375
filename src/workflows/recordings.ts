import { z } from 'zod';
import type { WorkflowDefinition } from './types';

export const recordingPayloadSchema = z.object({
  tenantId: z.string().min(1),
  conversationId: z.string().min(1),
  recordingId: z.string().min(1),
  sourceKey: z.string().min(1),
  outputKey: z.string().min(1),
});

export type RecordingPayload = z.infer<typeof recordingPayloadSchema>;

export const recordingsWorkflow: WorkflowDefinition<RecordingPayload> = {
  id: 'recordings',
  title: 'Recording post-processing',
  queue: 'recording-postprocess',
  handlers: ['transmux-recording', 'refine-diarisation'],
  containers: ['voiceai-tasker'],
  producer: 'internal',
  payloadSchema: recordingPayloadSchema,
  /**
   * A recording whose call ended while Ops was down never got its job. The
   * object key layout below is an ASSUMPTION: what is public about Delphi does
   * not say how it names recording objects, nor whether a recording id equals
   * its conversation id. Check one real job's payload and
   * override `workflows.recordings.enqueue` in STUCKJOBS_CONFIG if they differ;
   * the target check (HEAD on `sourceKey`) fails loudly when the layout is wrong.
   */
  enqueue: {
    jobName: 'transmux-recording',
    idLabel: 'recording id',
    template: {
      tenantId: '{tenant}',
      conversationId: '{id}',
      recordingId: '{id}',
      sourceKey: 'recordings/{tenant}/{id}/source.wav',
      outputKey: 'recordings/{tenant}/{id}/final.mp3',
    },
  },
};
