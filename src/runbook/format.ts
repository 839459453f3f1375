import { formatDistanceStrict } from 'date-fns';

/** 1204 -> "1,204"; estimates read from a sample get a "≈". */
export function count(value: number, exact = true): string {
  const rounded = Math.round(value).toLocaleString('en-US');
  return exact ? rounded : `≈${rounded}`;
}

export function perMinute(value: number): string {
  if (value === 0) return '0/min';
  if (value < 1) return `${value.toFixed(1)}/min`;
  return `${Math.round(value).toLocaleString('en-US')}/min`;
}

/** "about 9 minutes" style, from a duration in ms. */
export function duration(ms: number): string {
  return formatDistanceStrict(0, Math.max(0, ms), { roundingMethod: 'ceil' });
}

/** "3 hours" since a ms epoch, as seen at `now`. */
export function age(since: number, now: number): string {
  return formatDistanceStrict(since, Math.max(since, now));
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return n === 1 ? one : many;
}
