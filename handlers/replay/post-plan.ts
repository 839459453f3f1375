import type { RespondFn, webApi } from '@slack/bolt';
import { approvalMessage } from '../../blocks/approval';
import { noticeMessage } from '../../blocks/notice';
import type { HandlerServices } from '../../src/services';
import type { EnqueueCommand, ReplayCommand } from '../commands/parse';
import { postChecked } from '../post-message';
import { tell } from '../tell';

export interface PlanTarget {
  readonly teamId: string;
  readonly channelId: string;
  readonly userId: string;
  readonly client: webApi.WebClient;
  readonly respond: RespondFn;
}

/**
 * `/stuckjobs replay` and the diagnosis's Plan replay button: plan, then post
 * the approval request in the incident thread, or tell the requester (only
 * them) why not and what to do.
 */
export async function postReplayPlan(
  services: HandlerServices,
  target: PlanTarget,
  request: ReplayCommand & {
    readonly enqueue?: { readonly ids: readonly string[]; readonly tenant?: string };
  },
): Promise<void> {
  const log = services.logger.child({
    channel: target.channelId,
    user: target.userId,
    workflow: request.workflowId,
  });
  const session = await services.sessions.current(target.teamId, target.channelId);
  if (!session) {
    await services.audit({
      action: 'plan',
      actor: target.userId,
      result: 'no-incident',
      detail: `${request.workflowId}: refused, no incident open in ${target.channelId}`,
    });
    await tell(
      target.respond,
      noticeMessage({
        tone: 'refused',
        message: `No incident is open in this channel. Run \`/stuckjobs diagnose ${request.workflowId}\` first: a replay is planned from a diagnosis, in its thread.`,
      }),
    );
    return;
  }
  const plan = await services.planReplay({
    scope: { teamId: target.teamId, channelId: target.channelId },
    sessionId: session.id,
    workflow: request.workflowId,
    cohort: request.cohort,
    exclude: request.exclude,
    ...(request.batchSize !== undefined ? { batchSize: request.batchSize } : {}),
    dryRun: request.dryRun,
    requestedBy: target.userId,
    ...(request.enqueue ? { enqueue: request.enqueue } : {}),
  });
  if (plan.kind === 'refused') {
    log.info({ reason: plan.reason }, 'replay plan refused');
    await tell(
      target.respond,
      noticeMessage({ tone: 'refused', message: plan.message, details: plan.details }),
    );
    return;
  }
  const { manifest } = plan;
  const message = approvalMessage({
    manifest,
    manifestHash: plan.manifestHash,
    workflowTitle: services.workflowTitle(manifest.workflow),
    ladder: {
      batchNumber: plan.ladder.batchNumber,
      maxSize: plan.ladder.maxSize,
      limitedBy: plan.ladder.limitedBy,
    },
    eligibleTotal: plan.eligibleFound,
    moreEligible: plan.moreEligible,
    excludedCount: plan.excluded.length,
    preconditions: plan.preconditions,
    notes: plan.notes,
    ...(plan.touches ? { touches: plan.touches } : {}),
  });
  let ts: string;
  try {
    ts = await postChecked(
      target.client,
      log,
      { channel: target.channelId, threadTs: session.threadTs },
      message,
    );
  } catch (err) {
    // A request nobody can see must not hold the replay's turn until it expires.
    if (!manifest.dryRun) await services.withdrawBatch(manifest.id, plan.manifestHash, target.userId);
    throw err;
  }
  await services.batchMessages.save(manifest.id, {
    channelId: target.channelId,
    threadTs: session.threadTs,
    messageTs: ts,
  });
  log.info({ batchId: manifest.id, dryRun: manifest.dryRun }, 'replay plan posted');
  await tell(
    target.respond,
    noticeMessage({
      tone: 'info',
      message: manifest.dryRun
        ? `Dry run of batch ${manifest.batchNumber} posted in the incident thread: nothing was changed.`
        : `Batch ${manifest.batchNumber} (${manifest.jobs.length} jobs) is waiting in the incident thread for a second person to approve.`,
    }),
  );
}

/** `/stuckjobs enqueue`: the same plan, approval and ladder, for jobs that were never enqueued. */
export function postEnqueuePlan(
  services: HandlerServices,
  target: PlanTarget,
  request: EnqueueCommand,
): Promise<void> {
  return postReplayPlan(services, target, {
    workflowId: request.workflowId,
    cohort: request.tenant ? { tenant: request.tenant } : {},
    exclude: [],
    dryRun: request.dryRun,
    ...(request.batchSize !== undefined ? { batchSize: request.batchSize } : {}),
    enqueue: { ids: request.ids, ...(request.tenant ? { tenant: request.tenant } : {}) },
  });
}
