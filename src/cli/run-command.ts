import type { HandlerServices } from '../services';
import type { CliCommand } from './command';
import { diagnosisExitCode, toCliDiagnosis, type Mask } from './diagnose-view';
import { ExitCode } from './exit-codes';
import { renderAudit, type CliAudit } from './render-audit';
import { renderDiagnosis } from './render-diagnose';
import { renderReplay } from './render-replay';
import { renderSample } from './render-sample';
import { toCliReplay } from './replay-view';
import { toCliSample } from './sample-view';
import type { Style } from './style';

/** The incident session and Slack scope the CLI's samples and dry runs live in: never a channel's. */
export const CLI_SESSION = 'cli';
export const CLI_SCOPE = { teamId: 'cli', channelId: 'cli' } as const;

export type CliServices = Pick<
  HandlerServices,
  'diagnose' | 'sample' | 'planReplay' | 'audit' | 'auditLatest'
>;

export interface CliContext {
  /** `cli:<login>`: who asked, in the audit stream. */
  readonly actor: string;
  readonly mask: Mask;
}

/** One command's answer: a JSON document for `--json`, lines for people, and the exit status. */
export interface CliOutput {
  readonly exitCode: ExitCode;
  readonly document: object;
  render(style: Style): string[];
}

export async function runCommand(
  services: CliServices,
  command: Exclude<CliCommand, { kind: 'help' }>,
  context: CliContext,
): Promise<CliOutput> {
  const { actor, mask } = context;
  switch (command.kind) {
    case 'diagnose': {
      const diagnosis = await services.diagnose(
        command.workflowIds ? { workflowIds: command.workflowIds } : {},
      );
      // Invariant 7: every action is audited, from a terminal too.
      await services.audit({
        session: CLI_SESSION,
        action: 'diagnose',
        actor,
        result: 'printed',
        detail: diagnosis.workflows.map((w) => `${w.id}: ${w.verdict.headline}`).join('; '),
      });
      const document = toCliDiagnosis(diagnosis, mask);
      return {
        exitCode: diagnosisExitCode(diagnosis),
        document,
        render: (style) => renderDiagnosis(document, style),
      };
    }
    case 'sample': {
      const { outcome, gate } = await services.sample(CLI_SCOPE, command.request, actor);
      const document = toCliSample(outcome, gate, mask);
      await services.audit({
        session: CLI_SESSION,
        action: 'sample',
        actor,
        result: document.blocked ? 'blocked' : 'clean',
        detail: `${command.request.workflowId} ${command.request.state}: ${outcome.jobs.length} job(s) sampled${gate.length > 0 ? `, ${gate.length} block(s) standing` : ''}`,
      });
      return {
        exitCode: document.blocked ? ExitCode.NeedsAction : ExitCode.Healthy,
        document,
        render: (style) => renderSample(document, style),
      };
    }
    case 'replay-dry-run': {
      // Always a dry run: the CLI has no path to a batch that could be approved (planReplay audits it).
      const result = await services.planReplay({
        scope: CLI_SCOPE,
        sessionId: CLI_SESSION,
        workflow: command.workflowId,
        cohort: command.cohort,
        exclude: command.exclude,
        ...(command.batchSize !== undefined ? { batchSize: command.batchSize } : {}),
        dryRun: true,
        requestedBy: actor,
      });
      const document = toCliReplay(result, mask);
      return {
        exitCode: document.result === 'planned' ? ExitCode.Healthy : ExitCode.NeedsAction,
        document,
        render: (style) => renderReplay(document, style),
      };
    }
    case 'audit': {
      const entries = await services.auditLatest(command.count);
      const document: CliAudit = {
        command: 'audit',
        exitCode: 0,
        entries: entries.map((entry) => ({ ...entry, detail: mask(entry.detail) })),
      };
      return { exitCode: ExitCode.Healthy, document, render: (style) => renderAudit(document, style) };
    }
  }
}
