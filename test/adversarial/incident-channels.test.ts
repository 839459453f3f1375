import { loadConfig } from '../../src/config';
import { ConfigError } from '../../src/errors';
import { describeIncidentChannels, isIncidentChannel } from '../../src/incident-channels';

const noFile = (): string => {
  throw new Error('no such file');
};

function problemsOf(env: NodeJS.ProcessEnv): readonly string[] {
  try {
    loadConfig(env, noFile);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('INCIDENT_CHANNELS', () => {
  it('is unset by default: no rules, and every channel is allowed (today’s behaviour)', () => {
    const { incidentChannels } = loadConfig({}, noFile);
    expect(incidentChannels).toEqual([]);
    expect(isIncidentChannel(incidentChannels, { id: 'C0RANDOM', name: 'random' })).toBe(true);
    expect(
      isIncidentChannel(loadConfig({ INCIDENT_CHANNELS: '  ' }, noFile).incidentChannels, { id: 'C1' }),
    ).toBe(true);
  });

  it('reads channel ids and name patterns, comma-separated, with spaces and a leading # tolerated', () => {
    const { incidentChannels } = loadConfig({ INCIDENT_CHANNELS: 'C0123ABC, #inc-*,G0PRIVATE' }, noFile);
    expect(incidentChannels).toEqual([
      { kind: 'id', id: 'C0123ABC' },
      { kind: 'name', pattern: 'inc-*' },
      { kind: 'id', id: 'G0PRIVATE' },
    ]);
    expect(describeIncidentChannels(incidentChannels)).toBe('`C0123ABC`, `#inc-*`, `G0PRIVATE`');
  });

  it('stops the start naming INCIDENT_CHANNELS when an entry is neither an id nor a name pattern', () => {
    for (const value of ['inc ops', 'C0123ABC,<!channel>', 'Inc-*', 'x'.repeat(81)]) {
      expect(problemsOf({ INCIDENT_CHANNELS: value })).toEqual([
        expect.stringMatching(
          /^INCIDENT_CHANNELS\.\d+: expected channel ids \(C…\) or name patterns like inc-\*$/,
        ),
      ]);
    }
  });

  it('matches ids exactly and names by pattern, with * the only wildcard', () => {
    const rules = loadConfig({ INCIDENT_CHANNELS: 'C0WARROOM,inc-*,ops.room' }, noFile).incidentChannels;
    expect(isIncidentChannel(rules, { id: 'C0WARROOM', name: 'war-room' })).toBe(true);
    expect(isIncidentChannel(rules, { id: 'C0WARROOMX', name: 'x' })).toBe(false);
    expect(isIncidentChannel(rules, { id: 'C1', name: 'inc-2026-11-28-ops' })).toBe(true);
    expect(isIncidentChannel(rules, { id: 'C1', name: 'INC-ops' })).toBe(true);
    expect(isIncidentChannel(rules, { id: 'C1', name: 'incident' })).toBe(false);
    expect(isIncidentChannel(rules, { id: 'C1', name: 'random-inc-1' })).toBe(false);
    // `.` is literal, not a regex wildcard.
    expect(isIncidentChannel(rules, { id: 'C1', name: 'ops.room' })).toBe(true);
    expect(isIncidentChannel(rules, { id: 'C1', name: 'opsXroom' })).toBe(false);
    // A click or command without a channel name matches id rules only.
    expect(isIncidentChannel(rules, { id: 'C1' })).toBe(false);
  });
});
