import type { Redis } from 'ioredis';
import type { Logger } from './logger';

/**
 * Slack's signature check accepts the same signed request again for five
 * minutes (Bolt only refuses timestamps older than that), so a captured
 * request can be delivered twice. Every slash command and click carries a
 * `trigger_id` Slack mints per invocation, inside the signed body: a copy has
 * the same one, and changing it breaks the signature. Remembering it once
 * (`SET NX`) makes a copy a no-op. Socket Mode redeliveries carry it too.
 */
export interface DeliveryGuard {
  /** True the first time an id is seen within the window; false for a copy. */
  firstDelivery(triggerId: string): Promise<boolean>;
}

/**
 * Twice Bolt's five-minute acceptance window, so a copy of a genuine request
 * (stamped by Slack's clock, a little off ours) is refused for as long as its
 * signature is accepted.
 */
export const DELIVERY_MEMORY_MS = 10 * 60_000;

/** Trigger ids are ~60 characters; a longer one is not Slack's, and the cut keeps the key small. */
const MAX_ID = 200;

/**
 * The guard runs before `ack()`, and Slack gives up on an ack after 3 s: a
 * paused or hung state Redis must not spend them (the 5 s command timeout
 * would, and the command then fails with operation_timeout). Past this the
 * request counts as new, as when Redis answers with an error.
 */
export const DELIVERY_GUARD_WAIT_MS = 1_000;

export class RedisDeliveryGuard implements DeliveryGuard {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {}

  async firstDelivery(triggerId: string): Promise<boolean> {
    const id = triggerId.slice(0, MAX_ID);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer within ${DELIVERY_GUARD_WAIT_MS} ms`)),
        DELIVERY_GUARD_WAIT_MS,
      );
    });
    try {
      const set = this.redis.set(`${this.prefix}:delivery:${id}`, '1', 'PX', DELIVERY_MEMORY_MS, 'NX');
      // The SET may still land later; it only remembers the id.
      set.catch(() => undefined);
      return (await Promise.race([set, late])) === 'OK';
    } catch (err) {
      // Defence in depth, not the safety rule: approvals are decided once by the store, plans
      // one open batch at a time. A state Redis that cannot answer this fails the request itself.
      this.logger.warn({ err }, 'delivery guard unavailable: treating the request as new');
      return true;
    } finally {
      clearTimeout(timer);
    }
  }
}
