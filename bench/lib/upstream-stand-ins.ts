import type { Config } from '../../src/config';
import { listen, type Listening } from '../../src/sandbox/demo/listen';
import { startS3StandIn, type S3StandIn } from '../../src/sandbox/demo/s3-stand-in';
import { startDemoStandIns, type DemoStandIns } from '../../src/sandbox/demo/stand-ins';
import { startStripeStandIn, type StripeStandIn } from '../../src/sandbox/demo/stripe-stand-in';

/**
 * Healthy upstreams on loopback for a benchmark: the demo world's Docker
 * Engine and SigNoz stand-ins, its S3 and Stripe, and a tenant endpoint that
 * answers 200 to any path (the seeded webhook jobs point at
 * `<tenantBaseUrl>/<tenant>/<webhook>`). `configure` points a loaded Config
 * at them, as the sandbox's demo world does.
 */
export interface UpstreamStandIns {
  /** Give this to seedBacklog as `webhookUrl`. */
  readonly tenantBaseUrl: string;
  /** Requests each stand-in answered, for a sanity check that the probes ran. */
  requests(): { readonly tenants: number; readonly s3: number };
  configure(config: Config): Config;
  close(): Promise<void>;
}

export async function startUpstreamStandIns(): Promise<UpstreamStandIns> {
  const started: { close(): Promise<void> }[] = [];
  let tenantRequests = 0;
  try {
    const demo: DemoStandIns = await startDemoStandIns();
    started.push(demo);
    const s3: S3StandIn = await startS3StandIn();
    started.push(s3);
    const stripe: StripeStandIn = await startStripeStandIn();
    started.push(stripe);
    const tenants: Listening = await listen((req, _body, res) => {
      tenantRequests++;
      res.writeHead(req.method === 'HEAD' || req.method === 'POST' ? 200 : 405);
      res.end();
    });
    started.push(tenants);
    return {
      tenantBaseUrl: `${tenants.url}/hooks`,
      requests: () => ({ tenants: tenantRequests, s3: s3.requests.length }),
      configure: (config) => ({
        ...config,
        signoz: { ...config.signoz, url: demo.signozUrl, apiKey: undefined },
        opsDockerUrl: demo.dockerUrl,
        recordings: {
          enabled: true,
          bucket: s3.bucket,
          s3Endpoint: s3.url,
          region: config.recordings.region,
          credentials: { ...s3.credentials },
        },
        stripe: { secretKey: stripe.secretKey, apiUrl: stripe.url },
        webhookProbeAllowPrivate: true,
      }),
      close: async () => {
        await Promise.allSettled(started.map((s) => s.close()));
      },
    };
  } catch (error) {
    await Promise.allSettled(started.map((s) => s.close()));
    throw error;
  }
}
