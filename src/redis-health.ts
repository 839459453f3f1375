import type { Redis } from 'ioredis';
import type { ReplayConnection } from './redis-acl/replay-access';
import type { HealthReport } from './services-types';

async function ping(client: Redis): Promise<string> {
  try {
    return (await client.ping()) === 'PONG' ? 'ok' : 'unexpected reply';
  } catch (error) {
    return error instanceof Error ? error.message : 'unreachable';
  }
}

/**
 * What `GET /healthz` reports: every Redis role answers PING. The replay
 * connection is pinged only when it is its own; when replay is off, the
 * report says why instead of failing the check (diagnosis still runs).
 */
export async function redisHealth(
  queues: Redis,
  state: Redis,
  replay: ReplayConnection,
): Promise<HealthReport> {
  const ownReplay = replay.own && replay.redis ? replay.redis : undefined;
  const [queuesStatus, stateStatus, replayStatus] = await Promise.all([
    ping(queues),
    ping(state),
    ownReplay ? ping(ownReplay) : undefined,
  ]);
  return {
    ok: queuesStatus === 'ok' && stateStatus === 'ok' && (replayStatus ?? 'ok') === 'ok',
    redis: {
      queues: queuesStatus,
      state: stateStatus,
      ...(replayStatus ? { replay: replayStatus } : {}),
      ...(replay.redis ? {} : { replay: 'off: REQUIRE_REPLAY_REDIS_URL without REPLAY_REDIS_URL' }),
    },
  };
}
