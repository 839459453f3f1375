import { UTCDate } from '@date-fns/utc';
import { format } from 'date-fns';

/** `2024-06-01 12:00:00 UTC`: the same clock as the audit lines in Slack. */
export function utc(ms: number): string {
  return format(new UTCDate(ms), "yyyy-MM-dd HH:mm:ss 'UTC'");
}
