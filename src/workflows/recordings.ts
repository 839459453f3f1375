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
};
