import { loadConfig } from '../../src/config';
import { ConfigError } from '../../src/errors';

/** RECOVERY_SWEEP_MS: how often every replica looks for work a dead one left (issue 8). */
describe('RECOVERY_SWEEP_MS', () => {
  it('defaults to the replay lease, 30 s, and takes a whole number of ms', () => {
    expect(loadConfig({}).recoverySweepMs).toBe(30_000);
    expect(loadConfig({ RECOVERY_SWEEP_MS: '500' }).recoverySweepMs).toBe(500);
  });

  it('refuses zero and non-numbers with a message naming the variable', () => {
    for (const bad of ['0', 'soon', '1.5']) {
      expect(() => loadConfig({ RECOVERY_SWEEP_MS: bad })).toThrow(ConfigError);
      expect(() => loadConfig({ RECOVERY_SWEEP_MS: bad })).toThrow(/RECOVERY_SWEEP_MS/);
    }
  });
});
