import type { webApi } from '@slack/bolt';
import { incidentSummaryMessage, noteMessage } from '../../blocks/oplog';
import type { Logger } from '../../src/logger';
import type { IncidentFacts } from '../../src/runbook/oplog/types';
import type { HandlerServices } from '../../src/services';
import type { IncidentSession } from '../../src/sessions/session-store';
import { isWorkflowId } from '../../src/workflows';
import { postChecked } from '../post-message';
import { BOT_ACTOR } from './bot-actor';

/** The thread's link, or none: a summary without it is still a summary. */
async function permalinkOf(
  client: webApi.WebClient,
  log: Logger,
  session: IncidentSession,
): Promise<string | undefined> {
  try {
    const answer = await client.chat.getPermalink({
      channel: session.channelId,
      message_ts: session.threadTs,
    });
    return answer.permalink;
  } catch (err) {
    log.warn({ err }, 'no permalink for the incident thread');
    return undefined;
  }
}

/** `/stuckjobs note`: the operations-log draft as things stand, in the thread; audited. */
export async function postNote(
  services: HandlerServices,
  client: webApi.WebClient,
  session: IncidentSession,
  by: string,
): Promise<IncidentFacts> {
  const log = services.logger.child({ session: session.id });
  await services.audit({
    session: session.id,
    action: 'note',
    actor: by,
    result: 'posted',
    detail: 'operations-log draft',
  });
  const facts = await services.incidentFacts(session);
  await postChecked(
    client,
    log,
    { channel: session.channelId, threadTs: session.threadTs },
    noteMessage(facts),
  );
  return facts;
}

/**
 * The end of a replay session (runbook step 5): counts after, the
 * operations-log draft and the incident summary in the thread (the summary
 * also in the channel), then the session closes so the next diagnose opens a
 * fresh incident. Audited first, so the summary's timeline includes its end.
 */
export async function endIncident(
  services: HandlerServices,
  client: webApi.WebClient,
  session: IncidentSession,
  because: NonNullable<IncidentFacts['endedBecause']>,
  by: string,
): Promise<IncidentFacts | undefined> {
  const log = services.logger.child({ session: session.id });
  if (!(await services.sessions.claimEnd(session.id))) {
    log.info({ because }, 'incident already ending elsewhere');
    return undefined;
  }
  try {
    return await writeEnding(services, client, session, because, by, log);
  } catch (err) {
    // An ending that failed half way must not hold the incident for a day: `done` can be typed again.
    await services.sessions.releaseEnd(session.id);
    throw err;
  }
}

async function writeEnding(
  services: HandlerServices,
  client: webApi.WebClient,
  session: IncidentSession,
  because: NonNullable<IncidentFacts['endedBecause']>,
  by: string,
  log: Logger,
): Promise<IncidentFacts> {
  const endedAt = Date.now();
  const workflows = session.workflowIds.filter(isWorkflowId);
  const [countsAfter, permalink] = await Promise.all([
    services.countsNow(workflows),
    permalinkOf(client, log, session),
  ]);
  await services.audit({
    session: session.id,
    action: 'done',
    actor: by,
    result: because,
    detail: 'incident ended',
  });
  const facts = await services.incidentFacts(session, {
    endedAt,
    endedBecause: because,
    countsAfter,
    ...(permalink ? { permalink } : {}),
  });
  const thread = { channel: session.channelId, threadTs: session.threadTs };
  await postChecked(client, log, thread, noteMessage(facts));
  await services.audit({
    session: session.id,
    action: 'note',
    actor: by,
    result: 'posted',
    detail: 'operations-log draft, at the end',
  });
  await postChecked(client, log, { ...thread, broadcast: true }, incidentSummaryMessage(facts));
  await services.sessions.end(session.teamId, session.channelId, session.id);
  log.info({ because }, 'incident ended: note and summary posted');
  return facts;
}

/**
 * "Backlog cleared" ends the replay session by itself: after a verified
 * batch, when nothing of the incident's workflows waits, retries or sits given
 * up any more. Returns whether it ended.
 */
export async function endIfBacklogCleared(
  services: HandlerServices,
  client: webApi.WebClient,
  teamId: string,
  channelId: string,
  sessionId: string,
): Promise<boolean> {
  const session = await services.sessions.current(teamId, channelId);
  if (session?.id !== sessionId) return false;
  const workflows = session.workflowIds.filter(isWorkflowId);
  const counts = Object.values(await services.countsNow(workflows));
  const cleared = counts.every((c) => c.waiting + c.delayed + c.givenUp === 0);
  if (!cleared) return false;
  await endIncident(services, client, session, 'backlog-cleared', BOT_ACTOR);
  return true;
}

/**
 * The configurable idle timeout (issue 5, item 3): an open incident with no
 * audited step for `idleMs` ends by itself, with its note and summary.
 * Every replica may sweep: `claimEnd` lets exactly one write the ending.
 */
export function startIdleSweep(
  services: HandlerServices,
  client: webApi.WebClient,
  logger: Logger,
  options: { readonly idleMs: number; readonly everyMs: number; readonly now?: () => number },
): { stop(): void; sweep(): Promise<number> } {
  const now = options.now ?? Date.now;
  const sweep = async (): Promise<number> => {
    let ended = 0;
    for (const session of await services.sessions.listOpen()) {
      const since = now() - options.idleMs;
      if (session.openedAt > since) continue;
      if (await services.activeSince(session.id, since)) continue;
      // A batch awaiting approval, running or being verified is not idle, however long it takes.
      if (await services.hasOpenWork(session.id)) continue;
      if (await endIncident(services, client, session, 'idle', BOT_ACTOR)) ended += 1;
    }
    return ended;
  };
  const timer = setInterval(() => {
    sweep().catch((err: unknown) => logger.error({ err }, 'idle incident sweep failed; it runs again'));
  }, options.everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer), sweep };
}
