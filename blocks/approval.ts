import type { ActionsBlock, Button, ConfirmationDialog, KnownBlock } from '@slack/types';
import { z } from 'zod';
import type { BatchManifest } from '../src/approvals/batch-manifest';
import type { CohortSummary } from '../src/runbook/inspect/types';
import { batchIdSchema, sha256HexSchema } from '../src/approvals/batch-manifest';
import { count, plural } from '../src/runbook/format';
import type { BuiltMessage } from './diagnosis';
import { ActionId, BlockId } from './ids';
import { LIMITS } from './limits';
import { context, escapeMrkdwn, externalText, plain, section, slackDate, truncate } from './text';

export interface ApprovalView {
  readonly manifest: BatchManifest;
  /** `manifestHash(manifest)`, passed in so the message carries exactly the digest the store recorded. */
  readonly manifestHash: string;
  readonly workflowTitle: string;
  readonly ladder: { readonly batchNumber: number; readonly maxSize: number; readonly limitedBy: string };
  /** Jobs the planner found eligible before the ladder capped the batch. */
  readonly eligibleTotal: number;
  /** The planner stopped looking: at least `eligibleTotal` are eligible, maybe more. */
  readonly moreEligible?: boolean;
  /** Jobs left out by failed checks or cohort filters, so the approver knows the batch is not "everything". */
  readonly excludedCount: number;
  /** Preconditions that held at plan time, each shown with a ✓. */
  readonly preconditions?: readonly string[];
  /** What the approver should know that does not stop the plan (jobs still retrying…). */
  readonly notes?: readonly string[];
  /** What the batch's jobs touch, so the approver sees the blast radius, not just ids. */
  readonly touches?: CohortSummary;
}

export type ApprovalOutcome = 'approved' | 'denied' | 'expired';

export interface ApprovalOutcomeView {
  readonly manifest: BatchManifest;
  readonly outcome: ApprovalOutcome;
  /** Who decided; for `expired`, whoever (or whatever) noticed. */
  readonly by: string;
  readonly at: number;
  /** While an approved batch runs: jobs settled so far (the one message edited in place). */
  readonly progress?: { readonly done: number; readonly total: number };
  /** Once it ran (or could not): the result line, and per-job notes such as jobs left out. */
  readonly result?: { readonly line: string; readonly details?: readonly string[] };
}

/** Enough ids for an approver to spot-check without crowding the message; the manifest holds the rest. */
const SHOWN_JOB_IDS = 10;
/** One job id may be 256 characters; cap each so ten fit a context element with room to spare. */
const JOB_ID_MAX = 120;
/** Lines under an outcome (jobs left out and why) before "…and N more". */
const SHOWN_DETAILS = 10;
/** Cohort labels come from the operator and the queue: cap them so the summary stays readable. */
const COHORT_TEXT_MAX = 700;

/**
 * The button value: compact JSON of batch id and manifest hash. It binds the
 * click to one frozen manifest (invariant 2); the handler re-reads the manifest
 * by id and refuses when the hash no longer matches. The value arrives back
 * from Slack as an untrusted string, so this schema does the JSON parse too.
 */
export const approvalButtonValue = z
  .string()
  .max(LIMITS.buttonValue)
  .transform((raw, ctx) => {
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'approval button value is not JSON' });
      return z.NEVER;
    }
  })
  .pipe(z.strictObject({ b: batchIdSchema, h: sha256HexSchema }));

export type ApprovalButtonValue = z.output<typeof approvalButtonValue>;

export function approvalButtonValueOf(manifest: BatchManifest, manifestHash: string): string {
  return JSON.stringify({ b: manifest.id, h: manifestHash });
}

/** Readable reasons for the ladder's LadderLimit values; anything else is shown as given. */
// A Map, not an object literal: `limitedBy` is a free string and must never hit `constructor` and friends.
const ladderReasons: ReadonlyMap<string, string> = new Map([
  ['first-batch', 'first batch of this replay (canary)'],
  ['previous-unverified', 'the previous batch is not verified yet'],
  ['next-step', 'next step after a verified batch'],
  ['last-step', 'last step of the ladder'],
  ['max', 'the configured maximum batch size'],
]);

export function approvalMessage(view: ApprovalView): BuiltMessage {
  const { manifest } = view;
  const blocks: KnownBlock[] = [header(manifest, view.workflowTitle)];
  if (manifest.dryRun) {
    blocks.push(
      section(
        BlockId.approvalDryRun,
        ':test_tube: *Dry run: nothing will be replayed.* This shows what the batch would contain; no approval is needed.',
      ),
    );
  }
  blocks.push(
    section(BlockId.approvalSummary, summaryText(view)),
    jobsContext(view.manifest, view.manifestHash),
  );
  // A dry run has nothing to approve: buttons would suggest a click could replay something.
  if (!manifest.dryRun) blocks.push(actionsBlock(view));
  return { text: fallbackText(view), blocks };
}

/** Replaces the approval message after a decision: the buttons go so nobody clicks a settled batch. */
export function approvalOutcomeMessage(view: ApprovalOutcomeView): BuiltMessage {
  const { manifest } = view;
  const jobs = `${count(manifest.jobs.length)} ${plural(manifest.jobs.length, 'job')}`;
  const by = `<@${escapeMrkdwn(view.by)}>`;
  const when = slackDate(view.at);
  const running = view.progress
    ? ` (${count(view.progress.done)} of ${count(view.progress.total)} done)`
    : '';
  const line =
    view.outcome === 'approved'
      ? manifest.dryRun
        ? `:white_check_mark: *Approved* by ${by} ${when}. Dry run: nothing will be replayed.`
        : view.result
          ? `:white_check_mark: *Approved* by ${by} ${when} — ${externalText(view.result.line)}`
          : `:white_check_mark: *Approved* by ${by} ${when}: replaying ${jobs}…${running}`
      : view.outcome === 'denied'
        ? `:no_entry_sign: *Denied* by ${by} ${when}: nothing was replayed.`
        : `:hourglass: *Expired* ${when} without a decision: nothing was replayed. Plan the batch again to continue.`;
  const details = (view.result?.details ?? []).slice(0, SHOWN_DETAILS).map((d) => `• ${externalText(d)}`);
  const hidden = (view.result?.details?.length ?? 0) - details.length;
  if (hidden > 0) details.push(`…and ${count(hidden)} more (the journal has every job)`);
  const body = [line, ...details, `Requested by <@${escapeMrkdwn(manifest.requestedBy)}>.`].join('\n');
  const blocks: KnownBlock[] = [
    header(manifest, manifest.workflow),
    section(BlockId.approvalOutcome, truncate(body, LIMITS.sectionText)),
    jobsContext(manifest),
  ];
  const text = `${batchNoun(manifest)} ${manifest.batchNumber} of ${manifest.workflow}: ${view.outcome} (${view.result?.line ?? jobs})`;
  return { text: externalText(text), blocks };
}

/** An enqueue batch adds jobs that never existed; the reader must not mistake it for a replay. */
function batchNoun(manifest: BatchManifest): string {
  return manifest.kind === 'enqueue' ? 'Enqueue batch' : 'Replay batch';
}

function header(manifest: BatchManifest, workflowTitle: string): KnownBlock {
  const suffix = manifest.dryRun ? ' (dry run)' : '';
  return {
    type: 'header',
    block_id: BlockId.approvalHeader,
    text: plain(
      truncate(
        `${batchNoun(manifest)} ${manifest.batchNumber}: ${singleLineTitle(workflowTitle)}${suffix}`,
        LIMITS.headerText,
      ),
    ),
  };
}

/** Header text is plain_text, so no mrkdwn escaping, but control characters still go. */
function singleLineTitle(title: string): string {
  return title.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
}

function cohortText(manifest: BatchManifest): string {
  const parts: string[] = [];
  for (const key of ['tenant', 'reason', 'handler'] as const) {
    const value = manifest.cohort[key];
    // Backticks would close the code span early; the value is already masked and escaped.
    if (value) parts.push(`${key} \`${externalText(value).replace(/`/g, "'")}\``);
  }
  return parts.length > 0
    ? truncate(parts.join(' · '), COHORT_TEXT_MAX)
    : 'all eligible jobs (no cohort filter)';
}

function summaryText(view: ApprovalView): string {
  const { manifest, ladder } = view;
  const size = manifest.jobs.length;
  const excluded =
    view.excludedCount > 0 ? ` (${count(view.excludedCount)} excluded by checks or filters)` : '';
  const eligible = view.moreEligible ? `at least ${count(view.eligibleTotal)}` : count(view.eligibleTotal);
  const reason = ladderReasons.get(ladder.limitedBy) ?? externalText(ladder.limitedBy);
  const lines = [
    `*Requested by* <@${escapeMrkdwn(manifest.requestedBy)}>`,
    `*Cohort* ${cohortText(manifest)}`,
    `*Jobs* ${count(size)} of ${eligible} eligible${excluded}`,
    `*Ladder* batch ${ladder.batchNumber}, at most ${count(ladder.maxSize)} ${plural(ladder.maxSize, 'job')}: limited by ${reason}`,
    `*Expires* ${slackDate(manifest.expiresAt)}`,
  ];
  if (!manifest.dryRun) {
    lines.push(
      `Needs approval by an allowed approver other than <@${escapeMrkdwn(manifest.requestedBy)}>. ${manifest.kind === 'enqueue' ? 'Approving adds exactly these jobs, once each.' : 'Approving replays exactly these jobs, once.'}`,
    );
  }
  if (view.touches) lines.push(`*Touches* ${touchesText(view.touches)}`);
  if (view.preconditions && view.preconditions.length > 0) {
    lines.push(
      `*Preconditions* ${view.preconditions.map((p) => `:heavy_check_mark: ${externalText(p)}`).join('  ')}`,
    );
  }
  // Notes come from outside and may be long: they go last, so only they can be cut.
  for (const note of view.notes ?? []) lines.push(`:information_source: ${externalText(note)}`);
  return truncate(lines.join('\n'), LIMITS.sectionText);
}

/** The top three of each dimension, one line: enough to see that the batch is what was meant. */
function touchesText(touches: CohortSummary): string {
  const part = (label: string, counts: CohortSummary['byTenant']) =>
    counts.length === 0
      ? ''
      : `${label} ${counts
          .slice(0, 3)
          .map((c) => `\`${truncate(externalText(c.key).replace(/`/g, "'"), 60, '…')}\` ×${count(c.count)}`)
          .join(', ')}`;
  return [part('tenant', touches.byTenant), part('reason', touches.byReason), part('host', touches.byHost)]
    .filter(Boolean)
    .join(' · ');
}

function jobsContext(manifest: BatchManifest, hash?: string) {
  const shown = manifest.jobs
    .slice(0, SHOWN_JOB_IDS)
    .map((job) => `\`${truncate(externalText(job.id).replace(/`/g, "'"), JOB_ID_MAX, '…')}\``);
  const more = manifest.jobs.length - shown.length;
  const ids = `*Job ids:* ${shown.join(', ')}${more > 0 ? ` …and ${count(more)} more` : ''}`;
  // The short hash lets an approver match this message to the audit log entry.
  const binding = `Batch ${escapeMrkdwn(manifest.id)}${hash ? ` · manifest ${escapeMrkdwn(hash.slice(0, 12))}` : ''}`;
  return context(BlockId.approvalJobs, ids, binding);
}

function actionsBlock(view: ApprovalView): ActionsBlock {
  const value = approvalButtonValueOf(view.manifest, view.manifestHash);
  const approve: Button = {
    type: 'button',
    action_id: ActionId.replayApprove,
    text: plain('Approve'),
    style: 'primary',
    value,
    confirm: confirmDialog(view),
  };
  const deny: Button = {
    type: 'button',
    action_id: ActionId.replayDeny,
    text: plain('Deny'),
    style: 'danger',
    value,
  };
  return { type: 'actions', block_id: BlockId.approvalActions, elements: [approve, deny] };
}

/** The last stop before a real replay: say how many jobs, and that the requester cannot be the approver. */
function confirmDialog(view: ApprovalView): ConfirmationDialog {
  const size = view.manifest.jobs.length;
  const jobs = `${count(size)} ${plural(size, 'job')}`;
  const title = singleLineTitle(view.workflowTitle);
  // The rule goes first and is never truncated; only the details give way if space runs short.
  const rule = `Approving replays exactly ${jobs}. You cannot approve a batch you asked for: the approver must be a second person.`;
  const details = ` Workflow: ${truncate(title, 80, '…')}, batch ${view.manifest.batchNumber} (${view.manifest.id}).`;
  return {
    title: plain(truncate(`Replay ${jobs}?`, LIMITS.confirmTitle)),
    text: plain(`${rule}${truncate(details, LIMITS.confirmText - rule.length, '…')}`),
    confirm: plain(`Approve ${jobs}`.length <= LIMITS.confirmButton ? `Approve ${jobs}` : 'Approve'),
    deny: plain('Cancel'),
    style: 'primary',
  };
}

function fallbackText(view: ApprovalView): string {
  const { manifest } = view;
  const jobs = `${count(manifest.jobs.length)} ${plural(manifest.jobs.length, 'job')}`;
  const text = manifest.dryRun
    ? `Dry run of replay batch ${manifest.batchNumber} of ${view.workflowTitle} (${jobs}): nothing will be replayed`
    : `Approval needed: replay batch ${manifest.batchNumber} of ${view.workflowTitle} (${jobs})`;
  return `${externalText(text)}, requested by <@${escapeMrkdwn(manifest.requestedBy)}>`;
}
