import { z } from 'zod';

/**
 * `INCIDENT_CHANNELS`: where `/stuckjobs` may run. Each entry is a channel id
 * (`C0123ABC`, `G…` for old private channels) or a name pattern with `*` as
 * the only wildcard (`inc-*`). Empty means no restriction.
 */
export type IncidentChannelRule =
  { readonly kind: 'id'; readonly id: string } | { readonly kind: 'name'; readonly pattern: string };

/** Where a command or click happened, as Slack names it. */
export interface ChannelRef {
  readonly id: string;
  /** Slash commands carry `channel_name`, clicks `channel.name`; absent when Slack leaves it out. */
  readonly name?: string;
}

const ID = /^[CG][A-Z0-9]{2,}$/;
/** Slack channel names: lowercase letters, digits, `-`, `_`, at most 80; plus our `*`. */
const NAME_PATTERN = /^[a-z0-9_*-][a-z0-9_.*-]{0,79}$/;

const ruleSchema = z
  .string()
  .transform((entry) => entry.trim().replace(/^#/, ''))
  .pipe(
    z
      .string()
      .refine(
        (entry) => ID.test(entry) || NAME_PATTERN.test(entry),
        'expected channel ids (C…) or name patterns like inc-*',
      ),
  )
  .transform((entry): IncidentChannelRule =>
    ID.test(entry) ? { kind: 'id', id: entry } : { kind: 'name', pattern: entry },
  );

/** The env value (comma-separated) to rules; what config.ts pipes `INCIDENT_CHANNELS` through. */
export const incidentChannelsSchema = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean),
  )
  .pipe(z.array(ruleSchema));

function matchesName(pattern: string, name: string): boolean {
  // Only `*` is special; everything else is literal, so a name cannot smuggle in a regex.
  const literal = pattern
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${literal}$`).test(name);
}

/** True when there is no restriction, or the channel is named by a rule. */
export function isIncidentChannel(rules: readonly IncidentChannelRule[], channel: ChannelRef): boolean {
  if (rules.length === 0) return true;
  const name = (channel.name ?? '').toLowerCase();
  return rules.some((rule) =>
    rule.kind === 'id' ? rule.id === channel.id : name !== '' && matchesName(rule.pattern, name),
  );
}

/** The allowed channels for a refusal: `` `C0123` ``, `` `#inc-*` `` (plain code: notices escape links). */
export function describeIncidentChannels(rules: readonly IncidentChannelRule[]): string {
  return rules.map((rule) => (rule.kind === 'id' ? `\`${rule.id}\`` : `\`#${rule.pattern}\``)).join(', ');
}
