// Date helpers on luxon. Meta reports days in the ad account's time zone (facts §4.2), so "today"
// and every day boundary is computed in that zone, never in the machine's.
import { DateTime, Interval } from 'luxon';
import { ConfigError } from './errors.js';

/** ISO day (YYYY-MM-DD) of `now` in the IANA zone `tz`. */
export function dayInZone(now: Date, tz: string): string {
  const dt = DateTime.fromJSDate(now, { zone: tz });
  if (!dt.isValid) throw new ConfigError(`Unknown time zone "${tz}"`, { hint: 'Use an IANA zone name such as America/Los_Angeles.' });
  return dt.toISODate()!;
}

export function parseDay(day: string): DateTime {
  const dt = DateTime.fromISO(day, { zone: 'utc' });
  if (!dt.isValid || !/^\d{4}-\d{2}-\d{2}/.test(day)) throw new ConfigError(`"${day}" is not a date (YYYY-MM-DD expected)`);
  return dt.startOf('day');
}

/** A strict calendar day (YYYY-MM-DD, a date that exists) from user input; ConfigError naming `what` otherwise. */
export function parseIsoDay(value: string, what: string): string {
  const dt = /^\d{4}-\d{2}-\d{2}$/.test(value) ? DateTime.fromISO(value, { zone: 'utc' }) : undefined;
  if (!dt?.isValid) throw new ConfigError(`${what} "${value}" is not a calendar day`, { hint: 'Use YYYY-MM-DD, e.g. 2026-11-20.' });
  return value;
}

export function addDays(day: string, n: number): string {
  return parseDay(day).plus({ days: n }).toISODate()!;
}

export function addMonths(day: string, n: number): string {
  return parseDay(day).plus({ months: n }).toISODate()!;
}

/** Inclusive number of days from `since` to `until`. */
export function daysBetween(since: string, until: string): number {
  return Math.round(parseDay(until).diff(parseDay(since), 'days').days) + 1;
}

export function minDay(a: string, b: string): string {
  return a <= b ? a : b;
}
export function maxDay(a: string, b: string): string {
  return a >= b ? a : b;
}

/** Every day from since to until inclusive (ISO strings). */
export function* eachDay(since: string, until: string): Generator<string> {
  for (let d = since; d <= until; d = addDays(d, 1)) yield d;
}

/** Splits [since, until] into consecutive windows of at most `size` days. */
export function splitRange(since: string, until: string, size: number): Array<{ since: string; until: string }> {
  const out: Array<{ since: string; until: string }> = [];
  for (let s = since; s <= until; s = addDays(s, size)) out.push({ since: s, until: minDay(addDays(s, size - 1), until) });
  return out;
}

/** RFC 3339 timestamp with milliseconds and Z (Singer time_extracted). */
export function rfc3339(d: Date): string {
  return d.toISOString();
}

/** Graph datetimes look like 2024-06-01T10:00:00+0000; normalise to RFC 3339 UTC. */
export function graphTimeToRfc3339(value: string): string {
  const dt = DateTime.fromISO(value, { setZone: true });
  if (!dt.isValid) {
    const alt = DateTime.fromFormat(value, "yyyy-MM-dd'T'HH:mm:ssZZZ", { setZone: true });
    if (!alt.isValid) return value;
    return alt.toUTC().toISO({ suppressMilliseconds: true })!;
  }
  return dt.toUTC().toISO({ suppressMilliseconds: true })!;
}

export function unixSeconds(rfc: string): number {
  return Math.floor(DateTime.fromISO(rfc, { setZone: true }).toSeconds());
}

export function intervalDays(since: string, until: string): number {
  return Interval.fromDateTimes(parseDay(since), parseDay(until)).length('days');
}
