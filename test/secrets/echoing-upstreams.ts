import { sendJson, startLoopback, type Loopback } from '../helpers/loopback';
import { healthyOpsContainers, scalarAnswer, type WindowData } from '../helpers/stand-ins';
import type { PlantedSecrets } from './planted';

/**
 * Upstreams that answer badly and carelessly: each error quotes a credential
 * back at the caller, as real services do (Stripe's "Invalid API Key
 * provided: sk_live_…", S3's SignatureDoesNotMatch XML with the access key
 * and the request's signature, an API gateway repeating the token it refused).
 * Whatever the bot makes of these answers must reach neither Slack nor the logs.
 */
export interface EchoingUpstreams {
  readonly tenant: Loopback;
  readonly signoz: Loopback;
  readonly stripe: Loopback;
  readonly s3: Loopback;
  readonly docker: Loopback;
  /** While true the tenant and SigNoz fail (with the echo); false: they recover. */
  failing: boolean;
  close(): Promise<void>;
}

const HEALTHY: WindowData = { spans: 4000, errors: 10, p95Ms: 150 };

/** The XML S3 sends for a bad signature; HEAD answers carry only its headers. */
function signatureMismatchXml(secrets: PlantedSecrets, authorization: string): string {
  const provided = /Signature=([0-9a-f]+)/.exec(authorization)?.[1] ?? '';
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SignatureDoesNotMatch</Code>` +
    `<Message>The request signature we calculated does not match the signature you provided.</Message>` +
    `<AWSAccessKeyId>${secrets.awsAccessKeyId}</AWSAccessKeyId>` +
    `<StringToSign>AWS4-HMAC-SHA256 ${secrets.awsSecretAccessKey}</StringToSign>` +
    `<SignatureProvided>${provided}</SignatureProvided></Error>`
  );
}

export async function startEchoingUpstreams(secrets: PlantedSecrets): Promise<EchoingUpstreams> {
  const state = { failing: true };
  const tenant = await startLoopback((_req, res) => {
    if (!state.failing) return res.writeHead(200).end();
    res.writeHead(503, {
      'www-authenticate': `Bearer error="invalid_token", token="${secrets.tenantEchoToken}"`,
      'content-type': 'application/json',
    });
    res.end(JSON.stringify({ error: 'upstream refused', access_token: secrets.tenantEchoToken }));
  });
  const signoz = await startLoopback((_req, res) => {
    if (!state.failing) return sendJson(res, 200, scalarAnswer(HEALTHY));
    // A raw echo, with no name in front that a pattern could key on (a 401 the probe words itself).
    sendJson(res, 500, {
      status: 'error',
      error: { message: `key ${secrets.signozApiKey} is not valid for this workspace` },
    });
  });
  const stripe = await startLoopback((req, res) => {
    const key = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    sendJson(res, 400, {
      error: {
        type: 'invalid_request_error',
        message: `Invalid request for ${req.url.split('?')[0]} with API key ${key}; secret ${secrets.stripeKey}`,
      },
    });
  });
  const s3 = await startLoopback((req, res) => {
    res.writeHead(403, {
      'content-type': 'application/xml',
      'x-amz-request-id': 'SECRETS0TEST0001',
      'x-amz-error-detail': `AWSAccessKeyId=${secrets.awsAccessKeyId}`,
    });
    res.end(
      req.method === 'HEAD' ? undefined : signatureMismatchXml(secrets, req.headers.authorization ?? ''),
    );
  });
  const docker = await healthyOpsContainers();
  const all = [tenant, signoz, stripe, s3, docker];
  return {
    tenant,
    signoz,
    stripe,
    s3,
    docker,
    get failing() {
      return state.failing;
    },
    set failing(value: boolean) {
      state.failing = value;
    },
    close: async () => {
      await Promise.allSettled(all.map((stub) => stub.close()));
    },
  };
}
