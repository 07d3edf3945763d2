// `--days N` (tap, `fb-ads-elt sync`/`demo`) and serve's `days`: the one bound and the one parser.
// Meta keeps 37 months of insights (facts §4.5), about 1131 days: a larger window reaches nothing
// more (the tap would clamp it to the retention start anyway), so it is refused as a mistake.
import { ConfigError } from './errors.js';

/** The largest window in days; schemas/serve-config.json's `max_days` maximum says the same (a test checks). */
export const MAX_DAYS = 1131;

/** A `--days` value: a whole number from 1 to MAX_DAYS, or a config error naming the flag. */
export function parseDays(value: string | undefined, flag = '--days'): number | undefined {
  if (value === undefined) return undefined;
  const n = value.trim() === '' ? NaN : Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_DAYS) {
    throw new ConfigError(`${flag} "${value}" must be a whole number of days between 1 and ${MAX_DAYS}`, { hint: `E.g. ${flag} 7 re-reads the last week; Meta keeps 37 months of insights.` });
  }
  return n;
}
