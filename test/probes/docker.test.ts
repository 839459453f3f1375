import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDockerProbe, formatDuration } from '../../src/probes/docker';
import { closedPortUrl, sendJson, startLoopback, type Loopback } from '../helpers/loopback';
import { dockerApi as dockerApiAt, type Fake } from '../helpers/stand-ins';

const dockerApi = (containers: readonly Fake[]) => dockerApiAt(containers, NOW);

const NOW = Date.parse('2030-01-01T12:00:00Z');
const ago = (ms: number) => new Date(NOW - ms).toISOString();

const containers = ['voiceai-tasker', 'voiceai-scaler'];
const probeAt = (url: string, timeoutMs = 2000) =>
  createDockerProbe({ url, containers, timeoutMs, now: () => NOW });

describe('docker probe', () => {
  let api: Loopback | undefined;
  afterEach(async () => {
    await api?.close();
    api = undefined;
  });

  it('is unknown and names OPS_DOCKER_URL when not configured', async () => {
    const result = await createDockerProbe({ containers, timeoutMs: 100 })();
    expect(result).toMatchObject({
      probe: 'docker',
      status: 'unknown',
      reason: 'not configured: set OPS_DOCKER_URL',
    });
  });

  it('is ok when every container runs healthy or without a healthcheck', async () => {
    api = await dockerApi([
      { id: 'a1', name: 'voiceai-tasker', status: 'running', health: 'healthy' },
      { id: 'b2', name: 'voiceai-scaler', status: 'running' },
    ]);
    const result = await probeAt(api.url)();
    expect(result.status).toBe('ok');
    expect(result.reason).toBe(
      'all 2 containers running: voiceai-tasker healthy, voiceai-scaler no healthcheck',
    );
    expect(result.latencyMs).toEqual(expect.any(Number));
    expect(result.details?.containers[0]).toEqual({
      name: 'voiceai-tasker',
      state: 'running',
      health: 'healthy',
      restartCount: 0,
      uptimeMs: 3 * 3_600_000,
    });
    const list = api.seen.find((r) => r.url.startsWith('/containers/json'))!;
    const filters = JSON.parse(new URL(list.url, 'http://x').searchParams.get('filters')!) as {
      name: string[];
    };
    expect(filters.name).toEqual(['^/voiceai-tasker$', '^/voiceai-scaler$']);
    expect(list.url).toContain('all=1');
  });

  it('is degraded for an unhealthy container and says how often it restarted', async () => {
    api = await dockerApi([
      {
        id: 'a1',
        name: 'voiceai-tasker',
        status: 'running',
        health: 'unhealthy',
        restarts: 7,
        startedAt: ago(150_000),
      },
      { id: 'b2', name: 'voiceai-scaler', status: 'running', health: 'healthy' },
    ]);
    const result = await probeAt(api.url)();
    expect(result.status).toBe('degraded');
    expect(result.reason).toBe('voiceai-tasker unhealthy (restarted 7 times, up 2 minutes)');
  });

  it('is degraded for a crash-looping container even when it reports healthy', async () => {
    api = await dockerApi([
      {
        id: 'a1',
        name: 'voiceai-tasker',
        status: 'running',
        health: 'healthy',
        restarts: 4,
        startedAt: ago(60_000),
      },
      { id: 'b2', name: 'voiceai-scaler', status: 'restarting', restarts: 2 },
    ]);
    const result = await probeAt(api.url)();
    expect(result.status).toBe('degraded');
    expect(result.reason).toContain('voiceai-tasker crash-looping (restarted 4 times, up 1 minute)');
    expect(result.reason).toContain('voiceai-scaler restarting (restarted 2 times)');
  });

  it('is down when a container exited or is missing, matching names exactly', async () => {
    api = await dockerApi([
      { id: 'old', name: 'voiceai-tasker-old', status: 'running', health: 'healthy' },
      { id: 'b2', name: 'voiceai-scaler', status: 'exited', restarts: 1 },
    ]);
    const result = await probeAt(api.url)();
    expect(result.status).toBe('down');
    expect(result.reason).toBe(
      'voiceai-tasker missing (no container with this name); voiceai-scaler exited (restarted 1 time)',
    );
    expect(result.details?.containers.map((c) => c.state)).toEqual(['missing', 'exited']);
    expect(api.seen.some((r) => r.url.includes('/containers/old/'))).toBe(false);
  });

  it('is unknown when the Docker API answers an error', async () => {
    api = await startLoopback((_req, res) => sendJson(res, 500, { message: 'daemon busy' }));
    const result = await probeAt(api.url)();
    expect(result).toMatchObject({ status: 'unknown', reason: 'Docker API answered HTTP 500 to list' });
  });

  it('is unknown when the Docker API cannot be reached', async () => {
    const url = await closedPortUrl();
    const result = await probeAt(url)();
    expect(result.status).toBe('unknown');
    expect(result.reason).toBe(`cannot reach Docker API at ${url}: connection refused (ECONNREFUSED)`);
  });

  it('is unknown when the Docker API does not answer in time', async () => {
    api = await startLoopback(() => undefined); // holds every request open
    const result = await probeAt(api.url, 150)();
    expect(result).toMatchObject({
      status: 'unknown',
      reason: `Docker API at ${api.url} did not answer within 150 ms`,
    });
    expect(result.latencyMs).toBeGreaterThanOrEqual(140);
  });

  it('talks to the Engine API over a unix socket', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stuckjobs-docker-'));
    const socket = join(dir, 'docker.sock');
    try {
      api = await startLoopback((req, res) => {
        if (req.url.startsWith('/containers/json')) {
          return sendJson(res, 200, [
            { Id: 'a1', Names: ['/voiceai-tasker'] },
            { Id: 'b2', Names: ['/voiceai-scaler'] },
          ]);
        }
        sendJson(res, 200, { RestartCount: 0, State: { Status: 'running', StartedAt: ago(60_000) } });
      }, socket);
      const result = await probeAt(`unix://${socket}`)();
      expect(result.status).toBe('ok');
      expect(result.details?.containers.map((c) => c.uptimeMs)).toEqual([60_000, 60_000]);
      expect(api.seen).toHaveLength(3);
    } finally {
      await api?.close();
      api = undefined;
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('formats uptimes the way an operator says them', () => {
    expect(formatDuration(5_000)).toBe('5 seconds');
    expect(formatDuration(60_000)).toBe('1 minute');
    expect(formatDuration(90 * 60_000)).toBe('90 minutes');
    expect(formatDuration(3 * 3_600_000)).toBe('3 hours');
    expect(formatDuration(3 * 86_400_000)).toBe('3 days');
  });
});
