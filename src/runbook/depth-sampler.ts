import type { Logger } from '../logger';
import type { DepthReading } from '../queues/types';
import type { TrendReadings } from './trend';

/** A hard bound on readings kept per queue, whatever the interval and the diagnoses' own readings. */
const MAX_KEPT = 64;

export interface DepthSamplerOptions {
  /** The queues to watch (each workflow's queue). */
  readonly queues: readonly string[];
  /** One O(1) depth reading of one queue. */
  readonly readDepth: (queue: string) => Promise<DepthReading>;
  /** Time between two rounds of readings. */
  readonly intervalMs: number;
  /** Readings older than this are dropped: a stalled sampler must not stretch a trend's window. */
  readonly keepMs: number;
  /** Redis commands one reading issues; only for the cost figure. */
  readonly commandsPerReading: number;
  readonly logger: Logger;
}

export interface DepthSamplerStats {
  readonly queues: number;
  readonly intervalMs: number;
  readonly readings: number;
  readonly failures: number;
  /** Redis commands the sampler has issued so far. */
  readonly commands: number;
  /** Its steady cost: queues × commands per reading × rounds per minute. */
  readonly commandsPerMinute: number;
}

/**
 * Reads each queue's depth every few seconds and keeps the last readings, so
 * a diagnosis can measure its trend against a reading already taken instead
 * of watching the queues before it answers. The cost is fixed (a handful of
 * O(1) reads per queue per round, whatever the backlog) and a round never
 * overlaps the previous one.
 */
export class DepthSampler implements TrendReadings {
  private readonly rings = new Map<string, DepthReading[]>();
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;
  private closed = false;
  private readings = 0;
  private failures = 0;
  private readonly log: Logger;

  constructor(private readonly options: DepthSamplerOptions) {
    this.log = options.logger.child({ component: 'depth-sampler' });
  }

  /** Takes the first readings at once, then one round every interval. Idempotent. */
  start(): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => this.tick(), this.options.intervalMs);
    // The sampler never keeps a process alive on its own (a CLI run, a test).
    this.timer.unref();
    this.tick();
    this.log.info(
      { queues: this.options.queues, intervalMs: this.options.intervalMs, ...this.costFigures() },
      'depth sampler started',
    );
  }

  /** The newest reading taken at least `minAgeMs` before `at`, if one is kept. */
  before(queue: string, at: number, minAgeMs: number): DepthReading | undefined {
    const ring = this.fresh(queue, at);
    for (let i = ring.length - 1; i >= 0; i--) {
      const reading = ring[i];
      if (reading && at - reading.at >= minAgeMs) return reading;
    }
    return undefined;
  }

  /** The oldest reading kept that was taken no later than `at`. */
  earliest(queue: string, at: number): DepthReading | undefined {
    return this.fresh(queue, at).find((reading) => reading.at <= at);
  }

  /** A reading now, kept like the sampler's own. */
  async read(queue: string): Promise<DepthReading> {
    const reading = await this.options.readDepth(queue);
    this.readings++;
    this.keep(queue, reading);
    return reading;
  }

  stats(): DepthSamplerStats {
    return {
      queues: this.options.queues.length,
      intervalMs: this.options.intervalMs,
      readings: this.readings,
      failures: this.failures,
      commands: (this.readings + this.failures) * this.options.commandsPerReading,
      ...this.costFigures(),
    };
  }

  /** Stops the rounds and waits for one in flight; idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.round;
  }

  private costFigures(): { commandsPerMinute: number } {
    const { queues, commandsPerReading, intervalMs } = this.options;
    return { commandsPerMinute: Math.round((queues.length * commandsPerReading * 60_000) / intervalMs) };
  }

  private tick(): void {
    // A slow Redis must not pile rounds up.
    if (this.round || this.closed) return;
    this.round = Promise.all(this.options.queues.map((queue) => this.sampleOne(queue))).then(() => {
      this.round = undefined;
    });
  }

  private async sampleOne(queue: string): Promise<void> {
    try {
      await this.read(queue);
    } catch (err) {
      // A diagnosis then falls back to watching; the sampler tries again next round.
      this.failures++;
      this.log.warn({ err, queue }, 'depth reading failed');
    }
  }

  private keep(queue: string, reading: DepthReading): void {
    const ring = [...this.fresh(queue, reading.at), reading].sort((a, b) => a.at - b.at);
    this.rings.set(queue, ring.slice(-MAX_KEPT));
  }

  /** Readings within `keepMs` of `at`, oldest first. */
  private fresh(queue: string, at: number): DepthReading[] {
    return (this.rings.get(queue) ?? []).filter((reading) => at - reading.at <= this.options.keepMs);
  }
}
