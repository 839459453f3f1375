import type { Logger } from '../src/logger';
import type { Diagnosis } from '../src/runbook/diagnosis';
import type { DiagnoseRequest } from '../src/runbook/diagnose';
import type { SessionStore } from '../src/sessions/session-store';
import type { WorkflowId } from '../src/workflows/types';

/** What listeners may call: the engine's entry points, never its parts. */
export interface HandlerServices {
  readonly workflowIds: readonly WorkflowId[];
  readonly diagnose: (request: DiagnoseRequest) => Promise<Diagnosis>;
  readonly sessions: SessionStore;
  /** Shown in the acknowledgement so nobody wonders whether the bot heard them. */
  readonly trendWindowMs: number;
  readonly logger: Logger;
}
