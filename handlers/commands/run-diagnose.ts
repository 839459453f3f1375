import type { RespondFn, webApi } from '@slack/bolt';
import { diagnosisMessage } from '../../blocks/diagnosis';
import type { HandlerServices } from '../../src/services';
import type { WorkflowId } from '../../src/workflows/types';
import { findingsOf } from '../../src/runbook/oplog/findings';
import { postChecked } from '../post-message';

export interface DiagnoseContext {
  readonly teamId: string;
  readonly channelId: string;
  readonly userId: string;
  readonly client: webApi.WebClient;
  readonly respond: RespondFn;
}

/** Diagnose, post (into the open incident's thread if there is one), and open a session otherwise. */
export async function runDiagnose(
  services: HandlerServices,
  context: DiagnoseContext,
  request: { readonly workflowIds?: readonly WorkflowId[]; readonly fresh?: boolean },
): Promise<void> {
  const log = services.logger.child({ channel: context.channelId, user: context.userId });
  const [open, diagnosis] = await Promise.all([
    request.fresh ? undefined : services.sessions.current(context.teamId, context.channelId),
    services.diagnose({ workflowIds: request.workflowIds }),
  ]);
  const message = diagnosisMessage({ diagnosis, requestedBy: context.userId });
  const ts = await postChecked(
    context.client,
    log,
    { channel: context.channelId, threadTs: open?.threadTs },
    message,
  );

  await services.audit({
    session: open?.id ?? diagnosis.id,
    action: 'diagnose',
    actor: context.userId,
    result: 'posted',
    detail: diagnosis.workflows.map((w) => `${w.id}: ${w.verdict.headline}`).join('; '),
  });
  if (open) {
    // Slash commands carry no thread, so the channel's open incident continues in its thread.
    log.info(
      { diagnosis: diagnosis.id, incident: open.id },
      'diagnosis posted into the open incident thread',
    );
    await context.respond({
      response_type: 'ephemeral',
      replace_original: false,
      text: 'An incident is open in this channel, so I posted the diagnosis in its thread. To start a fresh incident instead, type `/stuckjobs diagnose --new`.',
    });
    return;
  }
  await services.sessions.open({
    id: diagnosis.id,
    teamId: context.teamId,
    channelId: context.channelId,
    threadTs: ts,
    requestedBy: context.userId,
    openedAt: diagnosis.finishedAt,
    workflowIds: diagnosis.workflows.map((w) => w.id),
    baseline: diagnosis.upstream.signoz?.details?.baseline,
    findings: findingsOf(diagnosis),
  });
  log.info({ diagnosis: diagnosis.id, ts }, 'diagnosis posted; incident session opened');
}
