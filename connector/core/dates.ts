// Calendar days and Graph date-times as plain UTC arithmetic. Meta reports days in the ad account's
// time zone (facts §4.2), so "today" is computed in that zone, never in the machine's. No date
// library and no Intl.DateTimeFormat on the tap's path: the first DateTimeFormat a process builds
// (luxon builds one for any date) maps ~6 MB of ICU locale data into it (issue 20, tap memory).
import { ConfigError } from './errors.js';

const DAY_MS = 86_400_000;
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
/** ISO 8601 extended calendar date, optional time (hours, minutes, seconds, fraction) and offset. */
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt](\d{2})(?::(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?$/;

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** Epoch ms of a UTC calendar date, or undefined when the date does not exist (Feb 30, month 13). */
function utcDate(y: number, m: number, d: number): number | undefined {
  const t = new Date(0);
  t.setUTCFullYear(y, m - 1, d); // not Date.UTC: it reads years 0–99 as 1900–1999
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d ? t.getTime() : undefined;
}

function isoDay(ms: number): string {
  const t = new Date(ms);
  return `${pad(t.getUTCFullYear(), 4)}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`;
}

/** Epoch ms of a YYYY-MM-DD day at UTC midnight; ConfigError for anything else. */
function dayMs(day: string): number {
  const m = DAY.exec(day);
  const ms = m ? utcDate(Number(m[1]), Number(m[2]), Number(m[3])) : undefined;
  if (ms === undefined) throw new ConfigError(`"${day}" is not a date (YYYY-MM-DD expected)`);
  return ms;
}

/**
 * Epoch ms of an ISO 8601 date-time in extended calendar form (what Graph and RFC 3339 write:
 * 2024-06-01T10:00:00+0000, …+00:00, …Z, fractions kept to the millisecond), or undefined when it
 * is not one or names a moment that does not exist. Without an offset it is read as UTC.
 */
export function parseInstant(text: string): number | undefined {
  const m = DATE_TIME.exec(text);
  if (!m) return undefined;
  const day = utcDate(Number(m[1]), Number(m[2]), Number(m[3]));
  const [h, min, s] = [Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)];
  const ms = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
  // 24:00:00 is the end of the day (ISO 8601), i.e. the next midnight; no other 24th hour exists.
  if (day === undefined || h > 24 || (h === 24 && (min || s || ms)) || min > 59 || s > 59) return undefined;
  const zone = m[8] ?? 'Z';
  // ±HH, ±HHMM or ±HH:MM
  const offsetMin = /^[Zz]$/.test(zone) ? 0 : (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + (zone.length > 3 ? Number(zone.slice(-2)) : 0));
  return day + ((h * 60 + min - offsetMin) * 60 + s) * 1000 + ms;
}

/** Zones the Date methods can be switched to without Intl.DateTimeFormat (ICU's canonical ids). */
let canonicalZones: Set<string> | undefined;

/** ISO day (YYYY-MM-DD) of `now` in the IANA zone `tz`. */
export function dayInZone(now: Date, tz: string): string {
  if (/^(?:utc|gmt)$/i.test(tz)) return isoDay(now.getTime());
  canonicalZones ??= new Set(Intl.supportedValuesOf('timeZone'));
  return canonicalZones.has(tz) ? dayUnderTz(now, tz) : dayByIntl(now, tz);
}

/**
 * The local day of `now` with the process's zone set to `tz` for the length of one synchronous
 * call (Node re-reads TZ when it is assigned), then restored: the same ICU zone data as
 * Intl.DateTimeFormat, without its locale data. The zone is process-wide: no code of ours reads
 * local time on another thread (the tap runs no workers), so nothing can see the switch.
 */
function dayUnderTz(now: Date, tz: string): string {
  const saved = process.env['TZ'];
  process.env['TZ'] = tz;
  try {
    return `${pad(now.getFullYear(), 4)}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
  } finally {
    if (saved === undefined) delete process.env['TZ'];
    else process.env['TZ'] = saved;
  }
}

/** Aliases (Asia/Kolkata, US/Pacific) and unknown names: Intl validates and converts them. */
function dayByIntl(now: Date, tz: string): string {
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat('en-US', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(now);
  } catch {
    throw new ConfigError(`Unknown time zone "${tz}"`, { hint: 'Use an IANA zone name such as America/Los_Angeles.' });
  }
  const part = (type: Intl.DateTimeFormatPartTypes): string => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year').padStart(4, '0')}-${part('month')}-${part('day')}`;
}

/** A calendar day written YYYY-MM-DD that exists. */
export function isIsoDay(value: string): boolean {
  const m = DAY.exec(value);
  return m !== null && utcDate(Number(m[1]), Number(m[2]), Number(m[3])) !== undefined;
}

/** A strict calendar day (YYYY-MM-DD, a date that exists) from user input; ConfigError naming `what` otherwise. */
export function parseIsoDay(value: string, what: string): string {
  if (!isIsoDay(value)) throw new ConfigError(`${what} "${value}" is not a calendar day`, { hint: 'Use YYYY-MM-DD, e.g. 2026-11-20.' });
  return value;
}

export function addDays(day: string, n: number): string {
  return isoDay(dayMs(day) + n * DAY_MS);
}

/** `n` calendar months later (earlier when negative); a day the target month lacks becomes its last (03-31 − 1 month = 02-28). */
export function addMonths(day: string, n: number): string {
  const t = new Date(dayMs(day));
  const months = t.getUTCFullYear() * 12 + t.getUTCMonth() + n;
  const y = Math.floor(months / 12);
  const m = months - y * 12 + 1;
  const lastOfMonth = new Date(0);
  lastOfMonth.setUTCFullYear(y, m, 0); // day 0 of the next month
  return isoDay(utcDate(y, m, Math.min(t.getUTCDate(), lastOfMonth.getUTCDate()))!);
}

/** Inclusive number of days from `since` to `until`. */
export function daysBetween(since: string, until: string): number {
  return Math.round((dayMs(until) - dayMs(since)) / DAY_MS) + 1;
}

export function minDay(a: string, b: string): string {
  return a <= b ? a : b;
}
export function maxDay(a: string, b: string): string {
  return a >= b ? a : b;
}

/** Splits [since, until] into consecutive windows of at most `size` days. */
export function splitRange(since: string, until: string, size: number): Array<{ since: string; until: string }> {
  const out: Array<{ since: string; until: string }> = [];
  for (let s = since; s <= until; s = addDays(s, size)) out.push({ since: s, until: minDay(addDays(s, size - 1), until) });
  return out;
}

/** Graph datetimes look like 2024-06-01T10:00:00+0000; normalise to RFC 3339 UTC (milliseconds only when not zero). Anything else is returned as is. */
export function graphTimeToRfc3339(value: string): string {
  const ms = parseInstant(value);
  return ms === undefined ? value : new Date(ms).toISOString().replace('.000Z', 'Z');
}

/** Unix seconds of a date-time (parseInstant's forms); NaN when it is not one. */
export function unixSeconds(rfc: string): number {
  const ms = parseInstant(rfc);
  return ms === undefined ? NaN : Math.floor(ms / 1000);
}
