import { Agent, request } from 'undici';
import { z } from 'zod';
import { errorMessage } from '../errors';
import { describeNetworkError, errorCode, oneLine } from './net-errors';
import { notConfigured, safeProbe, type ProbeOutcome } from './safe-probe';
import type { ContainerHealth, DockerDetails, ProbeResult, ProbeStatus } from './types';

export interface DockerProbeOptions {
  /** `unix:///var/run/docker.sock` or `http://host:port` (OPS_DOCKER_URL). */
  readonly url?: string;
  /** Exact container names, without Docker's leading `/`. */
  readonly containers: readonly string[];
  readonly timeoutMs: number;
  readonly now?: () => number;
}

/** A container that restarted at least this often and came up this recently is crash-looping. */
export const CRASH_LOOP_RESTARTS = 3;
export const CRASH_LOOP_UPTIME_MS = 10 * 60_000;

const listSchema = z.array(z.object({ Id: z.string(), Names: z.array(z.string()).nullish() }));
const inspectSchema = z.object({
  RestartCount: z.number().int().nonnegative().default(0),
  State: z.object({
    Status: z.string(),
    StartedAt: z.string().optional(),
    Health: z.object({ Status: z.string() }).nullish(),
  }),
});

interface Endpoint {
  readonly origin: string;
  readonly socketPath?: string;
}

function endpointOf(url: string): Endpoint {
  if (url.startsWith('unix://'))
    return { origin: 'http://localhost', socketPath: url.slice('unix://'.length) };
  return { origin: url.replace(/\/+$/, '') };
}

/**
 * Health of the Ops containers through the Docker Engine API. `unknown` when the
 * API cannot be asked: a missing answer is not evidence that the containers are down.
 */
export function createDockerProbe(options: DockerProbeOptions): () => Promise<ProbeResult<DockerDetails>> {
  const { url, containers, timeoutMs, now = Date.now } = options;
  return async () => {
    if (url === undefined) return notConfigured('docker', 'OPS_DOCKER_URL');
    if (containers.length === 0) return notConfigured('docker', 'opsContainers in STUCKJOBS_CONFIG');
    const subject = `Docker API at ${url}`;
    return safeProbe('docker', { timeoutMs, onTimeout: 'unknown', subject }, async (signal) => {
      const endpoint = endpointOf(url);
      const dispatcher = new Agent(
        endpoint.socketPath ? { connect: { socketPath: endpoint.socketPath } } : {},
      );
      try {
        const getJson = async (path: string): Promise<{ status: number; body: unknown }> => {
          const res = await request(`${endpoint.origin}${path}`, { method: 'GET', dispatcher, signal });
          const body: unknown = res.statusCode === 200 ? await res.body.json() : await res.body.text();
          return { status: res.statusCode, body };
        };
        return await inspectAll(getJson, containers, now());
      } catch (error) {
        if (signal.aborted) throw error;
        if (errorCode(error) === undefined)
          return { status: 'unknown', reason: `${subject}: ${oneLine(errorMessage(error))}` };
        return { status: 'unknown', reason: `cannot reach ${subject}: ${describeNetworkError(error)}` };
      } finally {
        await dispatcher.destroy().catch(() => undefined);
      }
    });
  };
}

type GetJson = (path: string) => Promise<{ status: number; body: unknown }>;

async function inspectAll(
  getJson: GetJson,
  names: readonly string[],
  nowMs: number,
): Promise<ProbeOutcome<DockerDetails>> {
  // Docker's name filter is a regex over names that start with `/`: anchor it, then match exactly below.
  const filters = JSON.stringify({
    name: names.map((n) => `^/${n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`),
  });
  const list = await getJson(`/containers/json?all=1&filters=${encodeURIComponent(filters)}`);
  if (list.status !== 200)
    return { status: 'unknown', reason: `Docker API answered HTTP ${list.status} to list` };
  const parsed = listSchema.safeParse(list.body);
  if (!parsed.success)
    return { status: 'unknown', reason: 'Docker API answered an unexpected container list' };

  const health = await Promise.all(
    names.map(async (name): Promise<ContainerHealth> => {
      const found = parsed.data.find((c) => (c.Names ?? []).includes(`/${name}`));
      const missing: ContainerHealth = { name, state: 'missing', health: 'none', restartCount: 0 };
      if (!found) return missing;
      const res = await getJson(`/containers/${encodeURIComponent(found.Id)}/json`);
      if (res.status === 404) return missing; // removed between the two calls
      const info = res.status === 200 ? inspectSchema.safeParse(res.body) : undefined;
      if (!info?.success) throw new Error(`unexpected answer (HTTP ${res.status}) inspecting ${name}`);
      const { State, RestartCount } = info.data;
      const started = State.StartedAt ? Date.parse(State.StartedAt) : NaN;
      const base = {
        name,
        state: State.Status,
        health: State.Health?.Status ?? 'none',
        restartCount: RestartCount,
      };
      return State.Status === 'running' && Number.isFinite(started)
        ? { ...base, uptimeMs: Math.max(0, nowMs - started) }
        : base;
    }),
  );
  return summarise(health);
}

export function containerStatus(c: ContainerHealth): ProbeStatus {
  if (c.state === 'restarting') return 'degraded';
  if (c.state !== 'running') return 'down'; // missing, exited, dead, created, paused, removing
  if (c.health === 'unhealthy' || c.health === 'starting') return 'degraded';
  const crashLooping =
    c.restartCount >= CRASH_LOOP_RESTARTS && c.uptimeMs !== undefined && c.uptimeMs < CRASH_LOOP_UPTIME_MS;
  return crashLooping ? 'degraded' : 'ok';
}

function describe(c: ContainerHealth, status: ProbeStatus): string {
  if (c.state === 'missing') return `${c.name} missing (no container with this name)`;
  const label =
    c.state !== 'running'
      ? c.state
      : c.health === 'unhealthy' || c.health === 'starting'
        ? c.health
        : status === 'ok'
          ? 'running'
          : 'crash-looping';
  const facts = [`restarted ${c.restartCount} ${c.restartCount === 1 ? 'time' : 'times'}`];
  if (c.uptimeMs !== undefined) facts.push(`up ${formatDuration(c.uptimeMs)}`);
  return `${c.name} ${label} (${facts.join(', ')})`;
}

function summarise(containers: readonly ContainerHealth[]): ProbeOutcome<DockerDetails> {
  const rank: Record<ProbeStatus, number> = { down: 3, degraded: 2, unknown: 1, ok: 0 };
  const judged = containers.map((c) => ({ c, status: containerStatus(c) }));
  const bad = judged.filter((j) => j.status !== 'ok').sort((a, b) => rank[b.status] - rank[a.status]);
  const details = { containers };
  if (bad.length > 0) {
    return { status: bad[0]!.status, reason: bad.map((j) => describe(j.c, j.status)).join('; '), details };
  }
  const each = containers.map((c) => `${c.name} ${c.health === 'none' ? 'no healthcheck' : c.health}`);
  return { status: 'ok', reason: `all ${containers.length} containers running: ${each.join(', ')}`, details };
}

export function formatDuration(ms: number): string {
  const units: readonly [number, string][] = [
    [86_400_000, 'day'],
    [3_600_000, 'hour'],
    [60_000, 'minute'],
  ];
  for (const [size, unit] of units) {
    const n = Math.floor(ms / size);
    if (n >= (unit === 'minute' ? 1 : 2)) return `${n} ${unit}${n === 1 ? '' : 's'}`;
  }
  const s = Math.floor(ms / 1000);
  return `${s} second${s === 1 ? '' : 's'}`;
}
