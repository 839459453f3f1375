import type { SeedJob } from '../helpers/bullmq-fixtures';
import type { PlantedSecrets } from './planted';

/**
 * Given-up jobs of all three workflows with secrets in every corner a payload
 * and a failure can hold them: a headers map, a URL's query and path, a deep
 * password, a PEM, a card number, bare tokens in prose, the failure reason and
 * (through `new Error(reason)`) the stack trace.
 */

/** Long enough that the sample preview is cut and offers "Full payload". */
const FILLER = Array.from(
  { length: 40 },
  (_, i) => `Transcript line ${i}: the caller asked about the invoice.`,
).join(' ');

export function webhookJobs(secrets: PlantedSecrets, tenantUrl: string, count: number): SeedJob[] {
  const url = `${tenantUrl}/hooks/t-acme?token=${secrets.webhookQueryToken}`;
  const reason =
    `HTTP 401 from ${url}: {"error":"invalid_token","access_token":"${secrets.tenantEchoToken}"} ` +
    `(sent Authorization: Bearer ${secrets.failureReasonToken})`;
  return Array.from({ length: count }, (_, i) => ({
    name: 'deliver-webhook',
    data: {
      tenantId: 't-acme',
      webhookId: `wh-${i}`,
      url,
      event: 'call.ended',
      headers: {
        Authorization: `Bearer ${secrets.bearerToken}`,
        'X-Api-Key': secrets.apiKeyHeader,
        'Content-Type': 'application/json',
      },
      body: {
        transcript: FILLER,
        notify: `https://hooks.slack.com/services/T0TENANT/B0HOOKS/${secrets.slackWebhookPathToken}`,
        note: `forwarded with ${secrets.payloadSlackToken} and user jwt ${secrets.jwt}`,
        signing: { pem: secrets.privateKey },
        customer: {
          payment: { card: { number: secrets.cardNumber, brand: 'visa' }, pan: Number(secrets.cardNumber) },
        },
        a: { b: { c: { d: { e: { f: { credentials: { password: secrets.deepPassword } } } } } } },
      },
    },
    // One job in two also fails with a connection string in its reason (and so in its stack).
    failWith:
      i % 2 === 0
        ? reason
        : `${reason}; retry via redis://ops:${secrets.stackPassword}@10.0.0.5:6379/0 refused`,
  }));
}

export function recordingJobs(secrets: PlantedSecrets): SeedJob[] {
  return [1, 2].map((i) => ({
    name: 'transmux-recording',
    data: {
      tenantId: 't-rec',
      conversationId: `conv-${i}`,
      recordingId: `rec-${i}`,
      sourceKey: `raw/t-rec/rec-${i}.wav`,
      outputKey: `final/t-rec/rec-${i}.mp3`,
      aws: { accessKeyId: secrets.awsAccessKeyId, secretAccessKey: secrets.awsSecretAccessKey },
    },
    failWith:
      `SignatureDoesNotMatch: AWSAccessKeyId=${secrets.awsAccessKeyId} ` +
      `aws_secret_access_key=${secrets.awsSecretAccessKey} (key ${secrets.awsAccessKeyId})`,
  }));
}

export function billingJobs(secrets: PlantedSecrets): SeedJob[] {
  return [1, 2].map((i) => ({
    name: 'sync-subscription-usage',
    data: {
      tenantId: 't-bill',
      stripeCustomerId: `cus_Secret${i}`,
      subscriptionId: `sub_Secret${i}`,
      period: '2026-10',
      stripe: { apiKey: secrets.stripeKey },
    },
    failWith: `StripeConnectionError: could not reach Stripe with ${secrets.stripeKey}`,
  }));
}
