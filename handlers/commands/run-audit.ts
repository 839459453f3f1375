import type { RespondFn } from '@slack/bolt';
import { auditMessage } from '../../blocks/audit';
import type { HandlerServices } from '../../src/services';
import { tell } from '../tell';

/** `/stuckjobs audit [n]`: only the person who asked sees it; the stream itself is never edited. */
export async function runAudit(services: HandlerServices, respond: RespondFn, count: number): Promise<void> {
  await tell(respond, auditMessage(await services.auditLatest(count)));
}
