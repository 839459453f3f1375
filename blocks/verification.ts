import type { KnownBlock } from '@slack/types';
import type { BatchManifest } from '../src/approvals/batch-manifest';
import type { PartStatus, Verification, VerificationPart } from '../src/runbook/verify/types';
import type { VerifyProgress } from '../src/runbook/verify/verify-batch';
import type { BuiltMessage } from './diagnosis';
import { BlockId, COMMAND } from './ids';
import { LIMITS } from './limits';
import { context, externalText, plain, section, truncate } from './text';

export interface VerificationView {
  readonly manifest: BatchManifest;
  /** While watching. */
  readonly progress?: VerifyProgress;
  /** Once judged. */
  readonly verification?: Verification;
  /** The watch failed (Redis gone, say): nothing was judged. */
  readonly failure?: string;
  /** Another watch of this batch is running; its message will carry the result. */
  readonly alreadyRunning?: boolean;
}

const partEmoji: Record<PartStatus, string> = {
  pass: ':white_check_mark:',
  fail: ':x:',
  unknown: ':grey_question:',
  skipped: ':heavy_minus_sign:',
};

const partTitle: Record<VerificationPart['name'], string> = {
  jobs: 'Replayed jobs',
  drain: 'Queue drain',
  downstream: 'Downstream effect',
  'error-rate': 'Ops error rate',
};

/** Where to look when a part fails: the runbook's own words where it has them. */
const lookAt: Record<VerificationPart['name'], string> = {
  jobs: 'read the new failure reasons (sample the failed jobs) before any other batch',
  drain: 'check the Ops workers (diagnose) — a queue that does not drain will not heal with more replays',
  downstream: 'check the target: the job ran but its effect is not there',
  'error-rate': 'check SigNoz: Ops is still failing more than before the incident',
};

const DETAILS_PER_PART = 5;

function partBlock(part: VerificationPart): string {
  const details = part.details.slice(0, DETAILS_PER_PART).map((d) => `      • ${externalText(d)}`);
  const more = part.details.length - details.length;
  if (more > 0) details.push(`      …and ${more} more`);
  return [
    `${partEmoji[part.status]} *${partTitle[part.name]}*: ${externalText(part.summary)}`,
    ...details,
  ].join('\n');
}

const headline: Record<Verification['status'], string> = {
  verified: ':white_check_mark: *Verified.* The next batch may be larger',
  'not-verified': ':x: *Not verified.* The ladder stays closed: no larger batch until this is fixed',
  inconclusive: ':grey_question: *Inconclusive.* The ladder stays closed until a verification passes',
};

/** One message per batch, edited in place: watching, then the verdict with its four parts. */
export function verificationMessage(view: VerificationView): BuiltMessage {
  const { manifest, verification, progress } = view;
  const title = `Verification of batch ${manifest.batchNumber} (${manifest.workflow})`;
  const blocks: KnownBlock[] = [
    { type: 'header', block_id: BlockId.verificationHeader, text: plain(truncate(title, LIMITS.headerText)) },
  ];
  if (view.failure !== undefined || view.alreadyRunning) {
    const line = view.alreadyRunning
      ? ':hourglass_flowing_sand: A verification of this batch is already running; its own message will carry the result.'
      : `:warning: The verification could not finish (${externalText(view.failure ?? '')}): nothing was judged, and the ladder stays where it was. Try again with \`${COMMAND} verify ${manifest.workflow}\`.`;
    blocks.push(section(BlockId.verificationResult, truncate(line, LIMITS.sectionText)));
    return { text: `${title}: ${view.alreadyRunning ? 'already running' : 'failed'}`, blocks };
  }
  if (!verification) {
    const p = progress;
    const line = p
      ? `:hourglass_flowing_sand: Watching for up to ${Math.round(p.windowMs / 1000)} s: ${p.completed} of ${p.replayed} replayed jobs completed, ${p.failedAgain} failed again (${Math.round(p.elapsedMs / 1000)} s so far).`
      : ':hourglass_flowing_sand: Watching the replayed jobs…';
    blocks.push(section(BlockId.verificationResult, line));
    return { text: `${title}: watching`, blocks };
  }
  const failing = verification.parts.filter((part) => part.status === 'fail');
  const next =
    verification.status === 'verified'
      ? `: \`${COMMAND} replay ${manifest.workflow}\` plans it.`
      : failing.length > 0
        ? `. Look at: ${failing.map((part) => lookAt[part.name]).join('; ')}. Re-check with \`${COMMAND} verify ${manifest.workflow}\`.`
        : `. Re-check with \`${COMMAND} verify ${manifest.workflow}\` once the unknowns can be told.`;
  blocks.push(
    section(
      BlockId.verificationResult,
      truncate(`${headline[verification.status]}${next}`, LIMITS.sectionText),
    ),
    section(
      BlockId.verificationParts,
      truncate(verification.parts.map(partBlock).join('\n'), LIMITS.sectionText),
    ),
    context(
      BlockId.verificationContext,
      `Batch ${manifest.id} · ${verification.replayed} replayed · watched ${Math.round((verification.finishedAt - verification.startedAt) / 1000)} s`,
    ),
  );
  return { text: `${title}: ${verification.status}`, blocks };
}
