import type { Config } from '../config';
import { rememberSecrets } from './known-secrets';

/**
 * Every credential in the configuration, so maskers hide it wherever an
 * upstream or a library quotes it back. Kept next to the config's shape: a new
 * secret setting belongs in this list.
 */
export function rememberConfigSecrets(config: Config): void {
  rememberSecrets(
    [
      config.slack.botToken,
      config.slack.signingSecret,
      config.slack.appToken,
      config.stripe.secretKey,
      config.signoz.apiKey,
      config.recordings.credentials?.accessKeyId,
      config.recordings.credentials?.secretAccessKey,
    ],
    [config.redis.url, config.redis.stateUrl, config.redis.replayUrl],
  );
}
