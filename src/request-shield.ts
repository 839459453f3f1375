import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HTTPReceiver } from '@slack/bolt';
import { z } from 'zod';
import type { Logger } from './logger';
import { headerRefusal, type Refusal, signatureRefusal } from './request-signature';

export { MAX_CLOCK_SKEW_S, type Refusal } from './request-signature';

/** Bolt's own default (HTTPModuleFunctions.defaultBodyLimit): the shield reads no more than Bolt would. */
export const BODY_LIMIT_BYTES = 4 * 1024 * 1024;

const id = z.string().min(1).max(255);

/**
 * The parts of an interactive payload Bolt's built-in middleware and our
 * listeners read without checking (`actions` must be an array of objects
 * with an `action_id`, ids are strings). Loose: everything else passes.
 */
const interactivePayload = z.looseObject({
  type: z.string().max(100),
  user: z.looseObject({ id }).optional(),
  team: z.looseObject({ id }).nullish(),
  channel: z.looseObject({ id }).nullish(),
  actions: z.array(z.looseObject({ action_id: z.string(), value: z.string().optional() })).optional(),
  trigger_id: z.string().max(255).optional(),
  response_url: z.string().max(2000).optional(),
});

/** A click: who clicked and which action are what every listener starts from. */
const blockActions = interactivePayload.extend({
  type: z.literal('block_actions'),
  user: z.looseObject({ id }),
  actions: z.array(z.looseObject({ action_id: z.string(), value: z.string().optional() })).min(1),
});

/** Slash-command forms: every field once (a repeated one would reach the listener as an array). */
function repeatedField(form: URLSearchParams): string | undefined {
  const seen = new Set<string>();
  for (const key of form.keys()) {
    if (seen.has(key)) return key;
    seen.add(key);
  }
  return undefined;
}

/** Slack's probe is `ssl_check=1&token=<verification token>`: a few dozen bytes. */
export const SSL_CHECK_LIMIT_BYTES = 1024;

const SSL_CHECK_FIELDS: ReadonlySet<string> = new Set(['ssl_check', 'token']);

/**
 * Slack's unsigned probe of the request URL (it checks the certificate, and
 * expects a 200). Bolt 5.1's HTTPReceiver answers `ssl_check=1` with 200
 * before its signature check and processes nothing; the shield answers it the
 * same way itself, but only for a body that is exactly the probe: `ssl_check`
 * once and `1`, at most a `token`, nothing else. A forged command or payload
 * with `ssl_check=1` added is not one, and is refused as unsigned. Small, so
 * an unsigned body costs at most {@link SSL_CHECK_LIMIT_BYTES} to look at.
 */
export function isSslCheck(headers: IncomingMessage['headers'], rawBody: string): boolean {
  if (headers['content-type'] !== 'application/x-www-form-urlencoded') return false;
  if (rawBody.length > SSL_CHECK_LIMIT_BYTES) return false;
  const form = new URLSearchParams(rawBody);
  if (repeatedField(form) !== undefined) return false;
  for (const key of form.keys()) if (!SSL_CHECK_FIELDS.has(key)) return false;
  return form.get('ssl_check') === '1';
}

/**
 * What Bolt 5's HTTP receiver does not refuse by itself, found by
 * test/adversarial, checked only on a request whose signature holds (see
 * {@link refusalFor}): a `payload` that is JSON but not an object (`null`
 * makes the receiver throw outside its try: the request is never answered
 * and the rejection goes unhandled), a payload whose `actions` or ids are not
 * the shape Bolt's middleware assumes (it throws a TypeError), and a form
 * field sent twice (it arrives as an array). Pure, so it is tested without a
 * server.
 */
export function shapeRefusal(headers: IncomingMessage['headers'], rawBody: string): Refusal | undefined {
  const contentType = headers['content-type'];
  let parsed: unknown;
  try {
    if (contentType === 'application/x-www-form-urlencoded') {
      const form = new URLSearchParams(rawBody);
      const repeated = repeatedField(form);
      if (repeated !== undefined)
        return { status: 400, reason: `form field ${repeated.slice(0, 40)} repeated` };
      const payload = form.get('payload');
      if (payload === null) return undefined;
      parsed = JSON.parse(payload);
    } else {
      parsed = JSON.parse(rawBody);
    }
  } catch {
    // Bolt answers 400 to unparseable bodies itself.
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { status: 400, reason: 'payload is not a JSON object' };
  }
  const typed = 'type' in parsed ? parsed.type : undefined;
  const schema = typed === 'block_actions' ? blockActions : interactivePayload;
  if (typed !== undefined && !schema.safeParse(parsed).success) {
    return { status: 400, reason: 'payload fields of the wrong shape' };
  }
  return undefined;
}

/**
 * The signature first (Slack's v0 HMAC, the 5-minute window both ways, where
 * Bolt's own check is one-sided), then the shape: parsing up to 4 MB of JSON
 * costs the event loop, so only a request Slack signed gets that far.
 */
export function refusalFor(
  headers: IncomingMessage['headers'],
  rawBody: string,
  nowSeconds: number,
  signingSecret: string,
): Refusal | undefined {
  return signatureRefusal(headers, rawBody, nowSeconds, signingSecret) ?? shapeRefusal(headers, rawBody);
}

class TooLarge extends Error {}

/** The request went away before its body ended: there is no one left to answer. */
class Gone extends Error {}

/**
 * Settles on the first of end, error, over the limit, or close: a request torn
 * down without `end` or `error` (destroyed by the server, a timeout, a proxy)
 * would otherwise leave the promise, its buffers and its listeners waiting for ever.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      // Stop keeping it; the rest is drained and dropped so the 413 reaches the sender.
      req.off('data', onData);
      req.resume();
      reject(new TooLarge(`body over ${limit} bytes`));
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
    // After `end` this is a no-op: a promise settles once.
    req.on('close', () => reject(new Gone('request closed before its body ended')));
  });
}

function answer(res: ServerResponse, status: number): void {
  if (res.headersSent) return;
  // A refused request's connection is not reused: what follows it on the socket is not trusted.
  res.writeHead(status, { connection: 'close' });
  res.end();
}

/** Logging must not be what leaves a request unanswered. */
function tryLog(write: () => void): void {
  try {
    write();
  } catch {
    // The logger itself failed; the answer below still goes out.
  }
}

/**
 * Reads each request to `endpoint` first and refuses what {@link refusalFor}
 * names, a bad signature before anything is parsed; everything else goes on to
 * Bolt with its body already read (Bolt uses a request's `rawBody` when it is
 * there, and checks the signature again). Slack's SSL check (see
 * {@link isSslCheck}) is answered 200 here, as Bolt would, without reaching
 * Bolt. A request that goes away before its body ends is dropped unanswered.
 * Other routes pass untouched.
 */
export function shieldReceiver(
  receiver: Pick<HTTPReceiver, 'requestListener'>,
  logger: Logger,
  signingSecret: string,
  endpoint = '/slack/events',
): void {
  const bolt = receiver.requestListener;
  const refuse = (res: ServerResponse, refusal: Refusal): void => {
    tryLog(() => logger.warn({ status: refusal.status, reason: refusal.reason }, 'Slack request refused'));
    answer(res, refusal.status);
  };
  const answerSslCheck = (res: ServerResponse): void => {
    tryLog(() => logger.info('Slack SSL check answered'));
    if (res.headersSent) return;
    res.writeHead(200);
    res.end();
  };
  /** The body could not be read: gone (nobody to answer), too large, or broken. */
  const unreadable = (req: IncomingMessage, res: ServerResponse, error: unknown): void => {
    if (error instanceof Gone || req.destroyed) {
      tryLog(() => logger.warn({ err: error }, 'Slack request dropped: the sender went away'));
      res.destroy();
      return;
    }
    tryLog(() => logger.warn({ err: error }, 'Slack request body unreadable'));
    answer(res, error instanceof TooLarge ? 413 : 400);
  };
  /** Whatever throws past the handlers above (Bolt's listener, answering) ends here: never an unhandled rejection. */
  const settle = (handled: Promise<void>, res: ServerResponse): void => {
    handled.catch((error: unknown) => {
      tryLog(() => logger.error({ err: error }, 'Slack request shield failed'));
      try {
        answer(res, 500);
      } catch {
        res.destroy();
      }
    });
  };
  receiver.requestListener = (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method !== 'POST' || path !== endpoint) {
      bolt(req, res);
      return;
    }
    const early = headerRefusal(req.headers, Math.floor(Date.now() / 1000));
    if (early) {
      // Unsigned or stale: refused before the body is buffered; what was sent is drained and dropped.
      // Only a form small enough to be Slack's unsigned SSL check is read first, and at most that much.
      const declared = Number(req.headers['content-length'] ?? 0);
      const mayBeSslCheck =
        req.headers['content-type'] === 'application/x-www-form-urlencoded' &&
        !(declared > SSL_CHECK_LIMIT_BYTES);
      if (!mayBeSslCheck) {
        req.resume();
        refuse(res, early);
        return;
      }
      const probed = readBody(req, SSL_CHECK_LIMIT_BYTES).then(
        (raw) => (isSslCheck(req.headers, raw.toString('utf8')) ? answerSslCheck(res) : refuse(res, early)),
        (error: unknown) => (error instanceof TooLarge ? refuse(res, early) : unreadable(req, res, error)),
      );
      settle(probed, res);
      return;
    }
    const handled = readBody(req, BODY_LIMIT_BYTES).then(
      (raw) => {
        const text = raw.toString('utf8');
        if (isSslCheck(req.headers, text)) {
          answerSslCheck(res);
          return;
        }
        const refusal = refusalFor(req.headers, text, Math.floor(Date.now() / 1000), signingSecret);
        if (refusal) {
          refuse(res, refusal);
          return;
        }
        Object.assign(req, { rawBody: raw });
        bolt(req, res);
      },
      (error: unknown) => unreadable(req, res, error),
    );
    settle(handled, res);
  };
}
