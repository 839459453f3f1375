import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { diagnosisMessage } from '../../blocks/diagnosis';
import { findBlockKitViolations } from '../../blocks/limits';
import { usageMessage } from '../../blocks/usage';
import { CodedError, ErrorCode, UsageError } from '../../src/errors';
import type { HandlerServices } from '../../src/services';
import { parseCommandText, type ParsedCommand } from './parse';

export type CommandArgs = AllMiddlewareArgs & SlackCommandMiddlewareArgs;

/** `/stuckjobs …`: ack at once, then do the slow part. */
export function stuckjobsCommand(services: HandlerServices) {
  return async ({ command, ack, client, respond }: CommandArgs): Promise<void> => {
    let parsed: ParsedCommand;
    try {
      parsed = parseCommandText(command.text, services.workflowIds);
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      await ack({
        response_type: 'ephemeral',
        ...usageMessage({ problem: error.message, workflowIds: services.workflowIds }),
      });
      return;
    }
    if (parsed.kind === 'help') {
      await ack({ response_type: 'ephemeral', ...usageMessage({ workflowIds: services.workflowIds }) });
      return;
    }

    const seconds = Math.ceil(services.trendWindowMs / 1000);
    await ack({
      response_type: 'ephemeral',
      text: `Diagnosing ${parsed.workflowIds?.join(', ') ?? 'all workflows'}: watching the queues for about ${seconds} s…`,
    });
    const log = services.logger.child({ channel: command.channel_id, user: command.user_id });
    const [open, diagnosis] = await Promise.all([
      parsed.fresh ? undefined : services.sessions.current(command.team_id, command.channel_id),
      services.diagnose({ workflowIds: parsed.workflowIds }),
    ]);
    const message = diagnosisMessage({ diagnosis, requestedBy: command.user_id });
    const problems = findBlockKitViolations(message);
    if (problems.length > 0) {
      // A builder bug must not cost the operator the answer: post the text alone.
      log.error(
        { problems, diagnosis: diagnosis.id },
        'diagnosis blocks broke Slack limits; posting text only',
      );
    }
    const posted = await client.chat.postMessage({
      channel: command.channel_id,
      text: message.text,
      ...(problems.length === 0 ? { blocks: message.blocks } : {}),
      ...(open ? { thread_ts: open.threadTs } : {}),
      unfurl_links: false,
    });
    if (!posted.ts) throw new CodedError(ErrorCode.UpstreamFailed, 'chat.postMessage returned no ts');

    if (open) {
      // Slash commands carry no thread, so the channel's open incident continues in its thread.
      log.info(
        { diagnosis: diagnosis.id, session: open.id },
        'diagnosis posted into the open incident thread',
      );
      await respond({
        response_type: 'ephemeral',
        replace_original: false,
        text: 'An incident is open in this channel, so I posted the diagnosis in its thread. To start a fresh incident instead, type `/stuckjobs diagnose --new`.',
      });
      return;
    }
    await services.sessions.open({
      id: diagnosis.id,
      teamId: command.team_id,
      channelId: command.channel_id,
      threadTs: posted.ts,
      requestedBy: command.user_id,
      openedAt: diagnosis.finishedAt,
      workflowIds: diagnosis.workflows.map((w) => w.id),
      baseline: diagnosis.upstream.signoz?.details?.baseline,
    });
    log.info({ diagnosis: diagnosis.id, ts: posted.ts }, 'diagnosis posted; incident session opened');
  };
}
