import { notConfigured, safeProbe, type ProbeOutcome } from '../../src/probes/safe-probe';

describe('safeProbe', () => {
  it('passes the body outcome through with the probe id and a latency', async () => {
    const result = await safeProbe<{ n: number }>(
      'demo',
      { timeoutMs: 1000, onTimeout: 'unknown' },
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        return { status: 'degraded', reason: 'slow today', details: { n: 3 } };
      },
    );
    expect(result).toMatchObject({
      probe: 'demo',
      status: 'degraded',
      reason: 'slow today',
      details: { n: 3 },
    });
    expect(result.latencyMs).toBeGreaterThanOrEqual(15);
  });

  it('leaves details out when the body gives none', async () => {
    const result = await safeProbe('demo', { timeoutMs: 1000, onTimeout: 'unknown' }, () =>
      Promise.resolve({ status: 'ok' as const, reason: 'fine' }),
    );
    expect(result.status).toBe('ok');
    expect('details' in result).toBe(false);
  });

  it('turns a rejection into unknown with the error message', async () => {
    const result = await safeProbe('demo', { timeoutMs: 1000, onTimeout: 'down', subject: 'Demo API' }, () =>
      Promise.reject(new Error('socket hang up')),
    );
    expect(result).toMatchObject({ probe: 'demo', status: 'unknown', reason: 'Demo API: socket hang up' });
    expect(typeof result.latencyMs).toBe('number');
  });

  it('turns a synchronous throw into the onError status', async () => {
    const result = await safeProbe('demo', { timeoutMs: 1000, onTimeout: 'unknown', onError: 'down' }, () => {
      throw new Error('boom');
    });
    expect(result).toMatchObject({ status: 'down', reason: 'demo: boom' });
  });

  it('answers onTimeout when the body is too slow, and aborts its signal', async () => {
    let seen: AbortSignal | undefined;
    const result = await safeProbe(
      'demo',
      { timeoutMs: 50, onTimeout: 'down', subject: 'Demo API' },
      (signal) => {
        seen = signal;
        return new Promise<ProbeOutcome<undefined>>(() => undefined); // never settles
      },
    );
    expect(result).toMatchObject({ status: 'down', reason: 'Demo API did not answer within 50 ms' });
    expect(result.latencyMs).toBeGreaterThanOrEqual(45);
    expect(seen?.aborted).toBe(true);
  });

  it('reports the timeout, not the abort error, when the body rejects on abort', async () => {
    const result = await safeProbe('demo', { timeoutMs: 30, onTimeout: 'unknown' }, (signal) => {
      return new Promise<ProbeOutcome<undefined>>((_resolve, reject) => {
        signal.addEventListener('abort', () => reject(new Error('This operation was aborted')));
      });
    });
    expect(result).toMatchObject({ status: 'unknown', reason: 'demo did not answer within 30 ms' });
  });

  it('names the variable to set when a probe is not configured', () => {
    expect(notConfigured('docker', 'OPS_DOCKER_URL')).toEqual({
      probe: 'docker',
      status: 'unknown',
      reason: 'not configured: set OPS_DOCKER_URL',
      latencyMs: 0,
    });
  });
});
