import { z } from 'zod';
import { billingPayloadSchema } from '../workflows/billing';
import { recordingPayloadSchema } from '../workflows/recordings';

/**
 * Only the fields that name the target, so a problem elsewhere in the payload
 * (reported by the well-formed check) does not hide whether the target exists.
 * The webhook URL is taken as any string: an invalid URL is this check's own
 * `fail` ("url is not a valid http(s) URL"), not a reason to skip it.
 */
export const webhookTargetSchema = z.object({ url: z.string() });
export const recordingTargetSchema = recordingPayloadSchema.pick({ sourceKey: true });
export const billingTargetSchema = billingPayloadSchema.pick({
  stripeCustomerId: true,
  subscriptionId: true,
});

/** `sourceKey: Invalid input: …` for the first problem, for an `unknown` reason. */
export function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'invalid payload';
  const path = issue.path.map(String).join('.');
  return path === '' ? issue.message : `${path}: ${issue.message}`;
}
