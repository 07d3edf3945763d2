// Meta's rules on which insights breakdowns and fields go together, checked before any call so a
// custom report that Meta would refuse (or answer with silently missing columns) fails at config
// time with the rule named. Also when Meta stops returning reach for breakdown queries (13 months).
import { ConfigError } from '../core/errors.js';
import { addDays, addMonths, splitRange } from '../core/dates.js';

export const HOURLY_BREAKDOWNS: readonly string[] = ['hourly_stats_aggregated_by_advertiser_time_zone', 'hourly_stats_aggregated_by_audience_time_zone'];

/** Metrics counted over people (reach and what is derived from it): Meta omits them in the cases below. */
export const REACH_FIELDS: readonly string[] = ['reach', 'frequency', 'cpp'];

/**
 * Hourly breakdowns carry no people-based metrics (reach, frequency, cpp, unique_*, cost_per_unique_*)
 * and no video metrics (Meta's Insights "Breakdowns" page, hourly section).
 */
export function hourlyRefuses(field: string): boolean {
  return REACH_FIELDS.includes(field) || /^(unique_|cost_per_unique_|video_)/.test(field);
}

/**
 * Pairs Meta refuses with "(#100) Current combination of data breakdown columns (action_type,
 * platform_position) is invalid" (daroczig/fbRads#132): a breakdown that only exists inside another.
 */
const NEEDS: ReadonlyArray<{ breakdown: string; needs: string }> = [{ breakdown: 'platform_position', needs: 'publisher_platform' }];

/** Since 2025-06-10 reach/frequency/cpp are omitted for breakdown queries starting more than 13 months ago (facts §4.1). */
export const REACH_BREAKDOWN_MONTHS = 13;

export interface ReportShape {
  name: string;
  breakdowns: readonly string[];
  fields?: readonly string[];
}

/** Throws a ConfigError naming the report and the rule when Meta would refuse its definition. */
export function checkBreakdownRules(r: ReportShape): void {
  const where = `config.insights_reports "${r.name}"`;
  for (const rule of NEEDS) {
    if (r.breakdowns.includes(rule.breakdown) && !r.breakdowns.includes(rule.needs)) {
      throw new ConfigError(`${where}: breakdown ${rule.breakdown} needs ${rule.needs} beside it; Meta refuses it alone ("Current combination of data breakdown columns … is invalid")`, {
        hint: `Use breakdowns [${[rule.needs, ...r.breakdowns].map((b) => JSON.stringify(b)).join(', ')}].`,
      });
    }
  }
  const hourly = r.breakdowns.filter((b) => HOURLY_BREAKDOWNS.includes(b));
  if (hourly.length > 1) {
    throw new ConfigError(`${where}: breakdowns ${hourly.join(' and ')} are two views of the same hour; Meta takes one per report`, { hint: 'Keep one hourly breakdown per report.' });
  }
  const refused = hourly.length ? (r.fields ?? []).filter(hourlyRefuses) : [];
  if (refused.length) {
    throw new ConfigError(`${where}: the hourly breakdown ${hourly[0]} cannot return ${refused.join(', ')} (Meta has no reach, frequency, unique or video metrics by hour)`, {
      hint: `Remove ${refused.join(', ')} from its fields, or read them from a daily report without the hourly breakdown.`,
    });
  }
}

/** The day from which breakdown queries still return reach: `today` (account-local) minus 13 months. */
export function reachCutoff(today: string): string {
  return addMonths(today, -REACH_BREAKDOWN_MONTHS);
}

/** Whether a job starting on `since` may ask for reach: not when Meta would omit it (and count it against the reach throttle). */
export function asksReach(breakdowns: readonly string[], since: string, today: string): boolean {
  return breakdowns.length === 0 || since >= reachCutoff(today);
}

/** Date chunks of a plan, never straddling the reach cutoff (a straddling job would lose reach for all its days). */
export function chunksAtReachCutoff(breakdowns: readonly string[], since: string, until: string, today: string, size: number): Array<{ since: string; until: string }> {
  const cut = reachCutoff(today);
  if (breakdowns.length === 0 || since >= cut || until < cut) return splitRange(since, until, size);
  return [...splitRange(since, addDays(cut, -1), size), ...splitRange(cut, until, size)];
}
