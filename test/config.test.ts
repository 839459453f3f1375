import { loadConfig } from '../src/config';
import { ConfigError } from '../src/errors';

const noFile = (): string => {
  throw new Error('no such file');
};

function problemsOf(env: NodeJS.ProcessEnv, readFile: (path: string) => string = noFile): readonly string[] {
  try {
    loadConfig(env, readFile);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('loadConfig', () => {
  it('starts in sandbox mode with the documented defaults when nothing is set', () => {
    const config = loadConfig({}, noFile);
    expect(config.mode).toBe('sandbox');
    expect(config.port).toBe(3000);
    expect(config.redis).toEqual({ url: 'redis://127.0.0.1:6379', stateUrl: 'redis://127.0.0.1:6379' });
    expect(config.queuePrefix).toBe('bull');
    expect(config.workflows.map((w) => [w.id, w.queue])).toEqual([
      ['webhooks', 'webhook-delivery'],
      ['recordings', 'recording-postprocess'],
      ['billing', 'billing-housekeeping'],
    ]);
    expect(config.opsContainers).toEqual(['voiceai-tasker', 'voiceai-scaler']);
  });

  it('picks HTTP mode with a signing secret and Socket Mode with an app token', () => {
    expect(loadConfig({ SLACK_SIGNING_SECRET: 's', SLACK_BOT_TOKEN: 'xoxb-1' }, noFile).mode).toBe('http');
    expect(loadConfig({ SLACK_APP_TOKEN: 'xapp-1', SLACK_BOT_TOKEN: 'xoxb-1' }, noFile).mode).toBe('socket');
  });

  it('names every bad variable in one message, with what it expects', () => {
    const env = {
      PORT: 'eighty',
      REDIS_URL: 'not a url',
      SLACK_BOT_TOKEN: 'xoxp-user-token',
      APPROVERS: 'U123,bob',
      RECORDING_ENABLED: 'maybe',
      STRIPE_SECRET_KEY: 'pk_live_public',
      OPS_DOCKER_URL: 'docker.sock',
    };
    let message = '';
    try {
      loadConfig(env, noFile);
    } catch (error) {
      message = error instanceof Error ? error.message : '';
    }
    for (const name of Object.keys(env)) expect(message).toContain(name);
    expect(message).toContain('expected a bot token (xoxb-…)');
    expect(message).toContain('expected true or false');
    expect(message).toContain('expected unix:///var/run/docker.sock or http://host:port');
  });

  it('requires a bot token next to a signing secret, and the reverse', () => {
    expect(problemsOf({ SLACK_SIGNING_SECRET: 's' })).toEqual([
      expect.stringContaining('SLACK_BOT_TOKEN: required'),
    ]);
    expect(problemsOf({ SLACK_BOT_TOKEN: 'xoxb-1' })).toEqual([
      expect.stringContaining('SLACK_SIGNING_SECRET: required'),
    ]);
  });

  it('reports a missing partner variable even when another variable is malformed', () => {
    const problems = problemsOf({ SLACK_SIGNING_SECRET: 's', APPROVERS: 'bob' });
    expect(problems).toEqual([
      expect.stringContaining('APPROVERS'),
      expect.stringContaining('SLACK_BOT_TOKEN: required'),
    ]);
  });

  it('parses APPROVERS into user and group ids', () => {
    expect(loadConfig({ APPROVERS: ' U0AAA111, S0GROUP1 ' }, noFile).approvers).toEqual([
      'U0AAA111',
      'S0GROUP1',
    ]);
  });

  it('applies queue, handler and container overrides from STUCKJOBS_CONFIG', () => {
    const file = JSON.stringify({
      workflows: { webhooks: { queue: 'wh-v2', handlers: ['deliver'] } },
      opsContainers: ['tasker-2'],
    });
    const config = loadConfig({ STUCKJOBS_CONFIG: '/etc/stuckjobs.json' }, () => file);
    const webhooks = config.workflows.find((w) => w.id === 'webhooks');
    expect(webhooks?.queue).toBe('wh-v2');
    expect(webhooks?.handlers).toEqual(['deliver']);
    expect(webhooks?.containers).toEqual(['voiceai-tasker']);
    expect(config.workflows.find((w) => w.id === 'billing')?.queue).toBe('billing-housekeeping');
    expect(config.opsContainers).toEqual(['tasker-2']);
  });

  it('reports an unreadable or invalid STUCKJOBS_CONFIG together with env problems', () => {
    expect(problemsOf({ STUCKJOBS_CONFIG: '/missing.json', PORT: '0' })).toEqual([
      expect.stringContaining('PORT'),
      expect.stringContaining('STUCKJOBS_CONFIG: cannot read JSON from /missing.json'),
    ]);
    const bad = JSON.stringify({ workflows: { webhooks: { queue: 'has space' }, sms: {} } });
    const problems = problemsOf({ STUCKJOBS_CONFIG: '/x.json' }, () => bad);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('workflows.webhooks.queue: no spaces or colons');
  });
});
