import type { Redis } from 'ioredis';
import { resumeAndReport } from '../../handlers/replay/resume';
import { loadConfig } from '../../src/config';
import { silentLogger } from '../../src/logger';
import { createServices, type Services } from '../../src/services';
import { testRedisUrl } from '../helpers/redis';
import type { SweepClient } from './sweep-stubs';

/** The real services on the test Redis, with placeholder Slack credentials (a sweep is given its own client). */
export function sweepServices(statePrefix: string, queuePrefix: string, name: string): Services {
  const config = loadConfig({
    REDIS_URL: testRedisUrl(),
    STATE_PREFIX: statePrefix,
    QUEUE_PREFIX: queuePrefix,
    SLACK_BOT_TOKEN: `xoxb-${name}`,
    SLACK_SIGNING_SECRET: `${name}-secret`,
  });
  return createServices(config, silentLogger, undefined, { sampleTrends: false });
}

/** Records the name of every command a connection sends (pipelines and scripts included). */
function recordCommands(redis: Redis, into: string[]): () => void {
  const send = redis.sendCommand.bind(redis);
  const spy = jest.spyOn(redis, 'sendCommand').mockImplementation((...args) => {
    into.push(args[0].name.toLowerCase());
    return send(...args);
  });
  return () => spy.mockRestore();
}

export interface MeteredSweep {
  readonly report: Awaited<ReturnType<typeof resumeAndReport>>;
  /** Names of the commands sent on the state connection, in order. */
  readonly stateCommands: string[];
  /** Names of the commands sent on the queue connection, in order. */
  readonly queueCommands: string[];
}

/** One recovery sweep, with the commands it sends on each connection recorded. */
export async function meteredSweep(services: Services, client: SweepClient): Promise<MeteredSweep> {
  // Connected first, so the handshake is not counted as the sweep's.
  await Promise.all([services.redis.state.ping(), services.redis.queues.ping()]);
  const stateCommands: string[] = [];
  const queueCommands: string[] = [];
  const stops = [
    recordCommands(services.redis.state, stateCommands),
    recordCommands(services.redis.queues, queueCommands),
  ];
  try {
    const report = await resumeAndReport(services, client, silentLogger);
    return { report, stateCommands, queueCommands };
  } finally {
    for (const stop of stops) stop();
  }
}
