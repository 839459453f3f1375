import type { PrivateRedis } from '../../bench/lib/private-redis';

export interface ArmedCrash {
  /** Resolves with the command that triggered the crash, once redis-server is gone. */
  readonly fired: Promise<string[]>;
  /** Stops watching without crashing (the command never came). */
  disarm(): void;
}

/**
 * SIGKILLs the private redis-server the moment MONITOR shows a command that
 * `matches`: the crash lands at a named step of the bot's work (a claim, a
 * journal write, a move) instead of at a guessed delay. MONITOR reports a
 * command once it has run, so the step itself is durable (fsync always) and
 * whatever came after it in the same run is not.
 */
export async function crashOnCommand(
  redis: PrivateRedis,
  matches: (args: readonly string[]) => boolean,
): Promise<ArmedCrash> {
  const monitor = await redis.client.monitor();
  monitor.on('error', () => undefined);
  let fire: (args: string[]) => void = () => undefined;
  const fired = new Promise<string[]>((resolve) => (fire = resolve));
  let done = false;
  const disarm = (): void => {
    done = true;
    monitor.disconnect();
  };
  monitor.on('monitor', (_time: string, args: string[]) => {
    if (done || !matches(args)) return;
    done = true;
    void redis.kill({ crash: true }).then(() => {
      monitor.disconnect();
      fire(args);
    });
  });
  return { fired, disarm };
}
