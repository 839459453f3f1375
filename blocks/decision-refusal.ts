import type { ApprovalState, DecideCode } from '../src/approvals/approval-types';
import type { BatchManifest } from '../src/approvals/batch-manifest';
import { COMMAND } from './ids';
import { mention, type NoticeText } from './mention';

export interface RefusalView {
  readonly code: Exclude<DecideCode, 'approved' | 'denied'>;
  readonly manifest?: BatchManifest;
  /** Why the clicker may not decide (from the approver rule), for `not-an-approver`. */
  readonly approverReason: string;
  /** For `not-pending`: the batch's state and who decided it. */
  readonly state?: ApprovalState;
  /** Slack user id the store recorded for the decision (mentioned only if it is a valid id). */
  readonly decidedBy?: string;
}

/** The one line the clicker reads when a click on Approve or Deny was refused: why, and what to do. */
export function decisionRefusalText(view: RefusalView): NoticeText {
  const workflow = view.manifest?.workflow ?? '<workflow>';
  switch (view.code) {
    case 'self-approval':
      return 'You asked for this batch, so you cannot approve it: a second person must. (You may deny it to withdraw it.)';
    case 'not-an-approver':
      return `You cannot decide replay batches: ${view.approverReason}.`;
    case 'hash-mismatch':
      return `This button belongs to a different version of the plan, so nothing was approved. Plan the batch again with \`${COMMAND} replay ${workflow}\`.`;
    case 'precondition-failed':
      return 'Not approved: a precondition fails right now. The batch stays open until it expires; approve again once it holds.';
    case 'expired':
      return `Batch ${view.manifest?.batchNumber ?? ''} expired before a decision: nothing was replayed. Plan it again with \`${COMMAND} replay ${workflow}\`.`;
    case 'not-pending': {
      const who = view.decidedBy ? [' by ', mention(view.decidedBy)] : [];
      return [`This batch was already ${view.state ?? 'decided'}`, ...who, ': nothing more to do.'];
    }
    case 'dry-run':
      return `This is a dry run: there is nothing to approve. Plan the batch without \`--dry-run\` to replay it.`;
    case 'wrong-channel':
      return `This approval request belongs to another channel${view.manifest ? ` (\`${view.manifest.channelId}\`)` : ''}: a click from here decides nothing and nothing was replayed. Approve or deny it in its incident thread.`;
    case 'not-found':
      return `That approval button is damaged, altered or too old: nothing was approved. Ask the requester to plan the batch again with \`${COMMAND} replay ${workflow}\`.`;
  }
}
