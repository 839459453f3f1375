import { billingWorkflow } from '../../src/workflows/billing';
import {
  enqueueJobId,
  fillTemplate,
  isEnqueueId,
  isEnqueueJobIdFor,
} from '../../src/workflows/enqueue-template';
import { buildWorkflows, workflowOverridesSchema, type EnqueueTemplate } from '../../src/workflows';
import { recordingPayloadSchema, recordingsWorkflow } from '../../src/workflows/recordings';
import { webhooksWorkflow } from '../../src/workflows/webhooks';

/** The problems STUCKJOBS_CONFIG would report, as `path: message`. */
function problemsOf(raw: unknown): string[] {
  const parsed = workflowOverridesSchema.safeParse(raw);
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

const billingTemplate = (template: Record<string, string>, jobName = 'sync-subscription-usage') => ({
  workflows: { billing: { enqueue: { jobName, idLabel: 'subscription id', template } } },
});

describe('default enqueue templates', () => {
  it('builds a recordings job that passes the recordings schema, fields in template order', () => {
    const enqueue = recordingsWorkflow.enqueue!;
    expect(enqueue.jobName).toBe('transmux-recording');
    expect(recordingsWorkflow.handlers).toContain(enqueue.jobName);
    const payload = fillTemplate(enqueue.template, { id: 'rec-42', tenant: 'acme' });
    expect(JSON.stringify(payload)).toBe(
      '{"tenantId":"acme","conversationId":"rec-42","recordingId":"rec-42",' +
        '"sourceKey":"recordings/acme/rec-42/source.wav","outputKey":"recordings/acme/rec-42/final.mp3"}',
    );
    expect(recordingPayloadSchema.safeParse(payload).success).toBe(true);
  });

  it('has none for webhooks (the event body is lost) or billing (one id cannot fill customer, subscription and period)', () => {
    expect(webhooksWorkflow.enqueue).toBeUndefined();
    expect(billingWorkflow.enqueue).toBeUndefined();
    const [webhooks, recordings, billing] = buildWorkflows(undefined);
    expect([webhooks?.enqueue, recordings?.enqueue, billing?.enqueue]).toEqual([
      undefined,
      recordingsWorkflow.enqueue,
      undefined,
    ]);
  });
});

describe('enqueue ids', () => {
  it('makes deterministic BullMQ ids without `:` that are never all digits', () => {
    expect(enqueueJobId('recordings', '12345')).toBe('stuckjobs-recordings-12345');
    expect(enqueueJobId('recordings', '12345')).toBe(enqueueJobId('recordings', '12345'));
    expect(isEnqueueJobIdFor('recordings', 'stuckjobs-recordings-12345')).toBe(true);
    expect(isEnqueueJobIdFor('billing', 'stuckjobs-recordings-12345')).toBe(false);
    expect(isEnqueueJobIdFor('recordings', '12345')).toBe(false);
    expect(isEnqueueJobIdFor('recordings', 'stuckjobs-recordings-a:b')).toBe(false);
  });

  it.each(['a:b', 'a/b', 'a b', '', '.', '..', 'x'.repeat(101), 'é'])('refuses %j as an id', (id) => {
    expect(isEnqueueId(id)).toBe(false);
  });

  it.each(['rec-42', 'A.b_c-9', '007', 'x'.repeat(100)])('accepts %j as an id', (id) => {
    expect(isEnqueueId(id)).toBe(true);
  });
});

describe('enqueue overrides in STUCKJOBS_CONFIG', () => {
  const layout: EnqueueTemplate = {
    jobName: 'transmux-recording',
    idLabel: 'call id',
    template: {
      tenantId: '{tenant}',
      conversationId: '{id}',
      recordingId: '{id}',
      sourceKey: 'calls/{tenant}/{id}.wav',
      outputKey: 'calls/{tenant}/{id}.mp3',
    },
  };

  it('replaces the default template whole, keeping the other overrides', () => {
    const overrides = workflowOverridesSchema.parse({
      workflows: { recordings: { queue: 'rec-v2', enqueue: layout } },
    });
    const recordings = buildWorkflows(overrides).find((w) => w.id === 'recordings');
    expect(recordings?.queue).toBe('rec-v2');
    expect(recordings?.enqueue).toEqual(layout);
  });

  it('keeps the default template when only other fields are overridden', () => {
    const overrides = workflowOverridesSchema.parse({ workflows: { recordings: { queue: 'rec-v2' } } });
    expect(buildWorkflows(overrides).find((w) => w.id === 'recordings')?.enqueue).toEqual(
      recordingsWorkflow.enqueue,
    );
  });

  it('turns enqueue off with null', () => {
    const overrides = workflowOverridesSchema.parse({ workflows: { recordings: { enqueue: null } } });
    const recordings = buildWorkflows(overrides).find((w) => w.id === 'recordings');
    expect(recordings).toBeDefined();
    expect(recordings && 'enqueue' in recordings).toBe(false);
  });

  it('accepts a billing template whose placeholder fields only the real id can satisfy', () => {
    expect(
      problemsOf(
        billingTemplate({
          tenantId: '{tenant}',
          stripeCustomerId: 'cus_{id}',
          subscriptionId: 'sub_Fixed1',
          period: '2025-06',
        }),
      ),
    ).toEqual([]);
  });

  it.each<[string, unknown, string]>([
    [
      'a job name that is not a handler',
      { workflows: { recordings: { enqueue: { ...layout, jobName: 'transcode' } } } },
      'workflows.recordings.enqueue.jobName: transcode is not a handler',
    ],
    [
      'a job name outside overridden handlers',
      { workflows: { recordings: { handlers: ['refine-diarisation'], enqueue: layout } } },
      'workflows.recordings.enqueue.jobName: transmux-recording is not a handler',
    ],
    [
      'an unknown placeholder',
      {
        workflows: {
          recordings: { enqueue: { ...layout, template: { ...layout.template, outputKey: '{bucket}/x' } } },
        },
      },
      'workflows.recordings.enqueue.template.outputKey: unknown placeholder {bucket}',
    ],
    [
      'no {id} anywhere',
      {
        workflows: {
          recordings: {
            enqueue: {
              ...layout,
              template: {
                tenantId: 'a',
                conversationId: 'c',
                recordingId: 'r',
                sourceKey: 's',
                outputKey: 'o',
              },
            },
          },
        },
      },
      'workflows.recordings.enqueue.template: no field uses {id}',
    ],
    [
      'a field the schema requires',
      billingTemplate({ tenantId: '{tenant}', stripeCustomerId: 'cus_{id}', subscriptionId: 'sub_A1' }),
      'workflows.billing.enqueue.template.period: the payload schema says',
    ],
    [
      'a constant the schema refuses',
      billingTemplate({
        tenantId: '{tenant}',
        stripeCustomerId: 'cus_{id}',
        subscriptionId: 'sub_A1',
        period: 'June',
      }),
      'workflows.billing.enqueue.template.period: the payload schema says: expected a billing period YYYY-MM',
    ],
    [
      'an unknown key (strict)',
      { workflows: { recordings: { enqueue: { ...layout, attempts: 3 } } } },
      'workflows.recordings.enqueue: Unrecognized key',
    ],
    [
      'a numeric field name',
      {
        workflows: { recordings: { enqueue: { ...layout, template: { ...layout.template, '1': '{id}' } } } },
      },
      'workflows.recordings.enqueue.template.1',
    ],
    [
      'an empty template',
      { workflows: { recordings: { enqueue: { ...layout, template: {} } } } },
      'workflows.recordings.enqueue.template: at least one field',
    ],
    [
      'a job name with a colon',
      { workflows: { recordings: { enqueue: { ...layout, jobName: 'a:b' } } } },
      'workflows.recordings.enqueue.jobName: no spaces or colons',
    ],
  ])('refuses %s', (_label, raw, expected) => {
    const problems = problemsOf(raw);
    expect(problems.some((p) => p.startsWith(expected))).toBe(true);
  });
});
