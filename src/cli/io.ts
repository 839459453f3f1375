/** Where the CLI writes: `process.stdout`/`process.stderr`, or a test's buffers. */
export interface CliStream {
  write(chunk: string): unknown;
  readonly isTTY?: boolean;
}

export interface CliIo {
  readonly stdout: CliStream;
  readonly stderr: CliStream;
  readonly env: NodeJS.ProcessEnv;
}

/** Colour only for a person at a terminal: a TTY, `NO_COLOR` unset or empty (no-color.org), not `TERM=dumb`. */
export function wantsColour(io: CliIo): boolean {
  return io.stdout.isTTY === true && !io.env.NO_COLOR && io.env.TERM !== 'dumb';
}

/** Who ran the CLI, for the audit stream: `cli:<login>`, never a Slack id. */
export function cliActor(env: NodeJS.ProcessEnv): string {
  const login = (env.USER ?? env.LOGNAME ?? env.USERNAME ?? '').replace(/[^A-Za-z0-9._-]/g, '').slice(0, 60);
  return `cli:${login || 'unknown'}`;
}
