import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { usageMessage } from '../../blocks/usage';
import { UsageError } from '../../src/errors';
import { maskFreeText } from '../../src/redaction';
import type { HandlerServices } from '../../src/services';
import {
  inIncidentChannel,
  isRepeatedDelivery,
  notAnIncidentChannelMessage,
  repeatedDeliveryMessage,
} from '../guards';
import { postSamples } from '../post-samples';
import { parseCommandText, type ParsedCommand } from './parse';
import { postEnqueuePlan, postReplayPlan } from '../replay/post-plan';
import { runAudit } from './run-audit';
import { runClosing } from './run-closing';
import { runDiagnose } from './run-diagnose';
import { runVerify } from './run-verify';

export type CommandArgs = AllMiddlewareArgs & SlackCommandMiddlewareArgs;

/** `/stuckjobs …`: ack at once, then do the slow part. */
export function stuckjobsCommand(services: HandlerServices) {
  return async ({ command, ack, client, respond }: CommandArgs): Promise<void> => {
    let parsed: ParsedCommand;
    try {
      parsed = parseCommandText(command.text, services.workflowIds);
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      // The message quotes what was typed, and people paste keys into the wrong place.
      const problem = maskFreeText(error.message);
      await ack({
        response_type: 'ephemeral',
        ...usageMessage({ problem, workflowIds: services.workflowIds }),
      });
      return;
    }
    const where = { teamId: command.team_id, channelId: command.channel_id, userId: command.user_id };
    if (parsed.kind !== 'help') {
      // A copy of a signed request, then the channel rule: both refuse before any work starts.
      const what = `command ${parsed.kind}`;
      if (await isRepeatedDelivery(services, command.trigger_id, { user: command.user_id, what })) {
        await ack({ response_type: 'ephemeral', ...repeatedDeliveryMessage() });
        return;
      }
      if (!inIncidentChannel(services, { id: command.channel_id, name: command.channel_name })) {
        await ack({ response_type: 'ephemeral', ...notAnIncidentChannelMessage(services) });
        return;
      }
    }
    switch (parsed.kind) {
      case 'help':
        await ack({ response_type: 'ephemeral', ...usageMessage({ workflowIds: services.workflowIds }) });
        return;
      case 'diagnose': {
        const seconds = Math.ceil(services.trendWindowMs / 1000);
        await ack({
          response_type: 'ephemeral',
          // The trend comes from readings taken in the background; only right after a start does
          // the diagnosis still wait for them, which is why the window is named here.
          text: `Diagnosing ${parsed.workflowIds?.join(', ') ?? 'all workflows'}: the queues, their trend over the last ${seconds} s, and the upstreams…`,
        });
        await runDiagnose(services, { ...where, client, respond }, parsed);
        return;
      }
      case 'replay': {
        await ack({
          response_type: 'ephemeral',
          text: `Planning ${parsed.request.dryRun ? 'a dry run of ' : ''}a replay of ${parsed.request.workflowId}: checking the sample gate, the ladder, eligible jobs and preconditions…`,
        });
        await postReplayPlan(services, { ...where, client, respond }, parsed.request);
        return;
      }
      case 'enqueue': {
        await ack({
          response_type: 'ephemeral',
          text: `Planning to enqueue ${parsed.request.ids.length} ${parsed.request.workflowId} job(s)…`,
        });
        await postEnqueuePlan(services, { ...where, client, respond }, parsed.request);
        return;
      }
      case 'verify':
        await ack({
          response_type: 'ephemeral',
          text: `Verifying the latest ${parsed.workflowId} batch again…`,
        });
        await runVerify(services, { ...where, client, respond }, parsed.workflowId);
        return;
      case 'note':
      case 'done':
        await ack({
          response_type: 'ephemeral',
          text:
            parsed.kind === 'note'
              ? 'Writing the operations-log draft from the record…'
              : 'Ending the incident: counting what is left, then the note and the summary…',
        });
        await runClosing(services, { ...where, client, respond }, parsed.kind);
        return;
      case 'audit':
        await ack();
        await runAudit(services, respond, parsed.count);
        return;
      case 'sample': {
        await ack({
          response_type: 'ephemeral',
          text: `Sampling ${parsed.request.workflowId} (read-only) and checking payloads, targets and handlers…`,
        });
        const open = await services.sessions.current(command.team_id, command.channel_id);
        await postSamples(services, client, { ...where, threadTs: open?.threadTs }, parsed.request);
        return;
      }
    }
  };
}
