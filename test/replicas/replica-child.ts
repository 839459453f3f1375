/**
 * One replica of the real bot in a process of its own: the configuration from
 * the environment (as `src/main.ts` reads it) and `startRuntime` in HTTP mode,
 * so the replicas test can run two on one Redis and SIGKILL one of them.
 * Started by spawn-replica.ts. Prints `ready <port>` on stdout once it serves;
 * logs go to stderr. SIGTERM stops it the way main.ts does.
 *
 * Test hooks, both off unless set (the kill test needs a batch that is still
 * running when the parent's SIGKILL lands; see crash-child.ts for the same idea):
 * - REPLICA_CHUNK_SIZE: jobs per chunk script (default the executor's 100),
 *   so a 10-job batch moves in several steps;
 * - REPLICA_STEP_DELAY_MS: a pause before each chunk's journal copy.
 */
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import * as replayChunk from '../../src/runbook/replay/replay-chunk';
import { RedisBatchJournal } from '../../src/runbook/replay/journal';
import { startRuntime } from '../../src/runtime';

function numberFrom(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number`);
  return value;
}

function installTestHooks(): void {
  const chunkSize = numberFrom('REPLICA_CHUNK_SIZE');
  if (chunkSize !== undefined) {
    // The executor reads the module's export at call time; no option reaches it from the runtime.
    Object.defineProperty(replayChunk, 'DEFAULT_CHUNK_SIZE', { value: chunkSize });
  }
  const delayMs = numberFrom('REPLICA_STEP_DELAY_MS');
  if (delayMs !== undefined && delayMs > 0) {
    const writeMany = RedisBatchJournal.prototype.writeMany;
    RedisBatchJournal.prototype.writeMany = async function slowWriteMany(
      this: RedisBatchJournal,
      ...args: Parameters<RedisBatchJournal['writeMany']>
    ): Promise<void> {
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      return writeMany.apply(this, args);
    };
  }
}

async function main(): Promise<void> {
  installTestHooks();
  const loaded = loadConfig();
  // Port 0: the system picks a free one and the parent reads it from stdout (no race for a port).
  const config = { ...loaded, port: 0 };
  const logger = createLogger({ level: config.logLevel }, process.stderr);
  const runtime = await startRuntime(config, logger);
  process.stdout.write(`ready ${runtime.port}\n`);
  const shutdown = (): void => {
    runtime.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `replica failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
