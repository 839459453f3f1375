/**
 * `stuckjobs` on the command line: diagnose, sample, replay --dry-run and audit
 * with the bot's engine and configuration, for when Slack is the thing that is
 * down. Read-only towards Delphi; real replays stay behind Slack approval.
 * Exit status: 0 healthy, 1 needs action, 2 error (see exit-codes.ts, help.ts).
 */
import { loadConfig, type Config } from '../config';
import { asCodedError, ConfigError, UsageError } from '../errors';
import { createLogger } from '../logger';
import { createServices, type Services } from '../services';
import { readArgs, type CliArgs } from './args';
import { parseCli, type CliCommand } from './command';
import { maskWith } from './diagnose-view';
import { ExitCode } from './exit-codes';
import { helpText } from './help';
import { cliActor, wantsColour, type CliIo } from './io';
import { reachRedis } from './reach-redis';
import { runCommand } from './run-command';
import { createStyle } from './style';

export type { CliIo, CliStream } from './io';
export { ExitCode } from './exit-codes';
export { cliDiagnosisSchema, type CliDiagnosis } from './diagnose-schema';

/** Runs one command line (without `node` and the script) and says what the exit status should be. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  const args = readArgs(argv);
  const first = args.words[0]?.toLowerCase();
  if (args.help || first === 'help') {
    io.stdout.write(helpText());
    return ExitCode.Healthy;
  }
  if (first === undefined) {
    io.stderr.write(helpText());
    return ExitCode.Error;
  }
  let config: Config;
  let command: CliCommand;
  try {
    config = loadConfig(io.env);
    command = parseCli(
      args.words,
      config.workflows.map((w) => w.id),
    );
  } catch (error) {
    if (error instanceof UsageError) return fail(io, args, error.message, error.code);
    if (error instanceof ConfigError) return fail(io, args, error.message, error.code);
    throw error;
  }
  if (command.kind === 'help') {
    io.stdout.write(helpText(config.workflows.map((w) => w.id)));
    return ExitCode.Healthy;
  }
  return runConnected(io, args, config, command);
}

async function runConnected(
  io: CliIo,
  args: CliArgs,
  config: Config,
  command: Exclude<CliCommand, { kind: 'help' }>,
): Promise<ExitCode> {
  // The engine logs for operators of a server; at a terminal only when asked for.
  const logger = createLogger({ level: io.env.LOG_LEVEL ? config.logLevel : 'silent' }, io.stderr);
  let services: Services | undefined;
  try {
    services = createServices(config, logger, undefined, { sampleTrends: false });
    const unreachable = await reachRedis(services, config);
    if (unreachable) return fail(io, args, unreachable, 'stuckjobs_redis_unreachable');
    const output = await runCommand(services, command, {
      actor: cliActor(io.env),
      mask: maskWith(config.redactExtraKeys),
    });
    io.stdout.write(
      args.json
        ? `${JSON.stringify(output.document, null, 2)}\n`
        : `${output.render(createStyle(wantsColour(io))).join('\n')}\n`,
    );
    return output.exitCode;
  } catch (error) {
    const coded = asCodedError(error);
    return fail(io, args, coded.message, coded.code);
  } finally {
    await services?.close();
  }
}

/** The message on stderr; with `--json`, also a JSON document on stdout, so a script always gets one. */
function fail(io: CliIo, args: CliArgs, message: string, code: string): ExitCode {
  io.stderr.write(`stuckjobs: ${message}\n`);
  if (args.json) {
    const document = { command: args.words[0] ?? null, exitCode: ExitCode.Error, error: { code, message } };
    io.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
  }
  return ExitCode.Error;
}
