// THE list of insights reports, as data: level + breakdowns + action breakdowns. Config
// `insights_reports` adds user-defined ones. Keys come from ONE function (level id + date_start +
// breakdowns) and schemas are composed (insights_<level>.json + breakdown fragment), never copied.
import { ConfigError } from '../core/errors.js';
import type { JsonSchema } from '../singer/messages.js';
import { checkBreakdownRules, HOURLY_BREAKDOWNS, hourlyRefuses } from './breakdown-rules.js';
import type { TapConfig } from './config.js';
import { composeInsightsSchema, loadStreamSchema, propertiesOf } from './schemas.js';

export type InsightsLevel = 'account' | 'campaign' | 'adset' | 'ad';
export const INSIGHTS_LEVELS: readonly InsightsLevel[] = ['account', 'campaign', 'adset', 'ad'];

export interface InsightsReport {
  name: string;
  level: InsightsLevel;
  breakdowns: string[];
  /** Absent: config.action_breakdowns (default action_type; an empty list matches Ads Manager totals). */
  actionBreakdowns?: string[];
  /** Absent: every metric of the level schema. Present: only these (plus keys and computed columns). */
  fields?: string[];
  builtIn: boolean;
}

/** "Basic all level" daily reports (issue 6): one per level, no breakdowns. */
export const INSIGHTS_REPORTS: readonly InsightsReport[] = INSIGHTS_LEVELS.map((level) => ({
  name: `insights_${level}`,
  level,
  breakdowns: [],
  builtIn: true,
}));

/** The id column that names the object a row of this level is about. */
export const LEVEL_ID: Record<InsightsLevel, string> = { account: 'account_id', campaign: 'campaign_id', adset: 'adset_id', ad: 'ad_id' };

/** Key properties of an insights report: the ONE place they are derived. */
export function insightsKey(level: InsightsLevel, breakdowns: readonly string[]): string[] {
  return [LEVEL_ID[level], 'date_start', ...breakdowns];
}

/** Columns the tap fills itself; `date_start`/`date_stop` and breakdown columns come back without being asked (facts §4.1, §10.2). */
export const INSIGHTS_COMPUTED: readonly string[] = ['attribution_windows', 'use_unified_attribution_setting', 'use_account_attribution_setting', 'date_start', 'date_stop'];

/** Every report this run offers: the built-ins plus config.insights_reports. */
export function reportsFor(config: Pick<TapConfig, 'insights_reports'> | undefined, reserved: readonly string[] = []): InsightsReport[] {
  const out: InsightsReport[] = [...INSIGHTS_REPORTS];
  for (const r of config?.insights_reports ?? []) {
    if (out.some((o) => o.name === r.name) || reserved.includes(r.name)) {
      throw new ConfigError(`config.insights_reports: the name "${r.name}" is already used by another stream`, { hint: 'Give the report a unique name, e.g. insights_ad_country.' });
    }
    checkBreakdownRules({ name: r.name, breakdowns: r.breakdowns ?? [], ...(r.fields ? { fields: r.fields } : {}) });
    out.push({
      name: r.name,
      level: r.level,
      breakdowns: [...(r.breakdowns ?? [])],
      ...(r.action_breakdowns ? { actionBreakdowns: [...r.action_breakdowns] } : {}),
      ...(r.fields ? { fields: [...r.fields] } : {}),
      builtIn: false,
    });
  }
  return out;
}

/** Base schema of the level + breakdown columns; a `fields` subset keeps keys and computed columns. */
export function reportSchema(report: InsightsReport): JsonSchema {
  const base = loadStreamSchema(`insights_${report.level}`);
  let schema = composeInsightsSchema(base, report.breakdowns, report.name);
  if (report.fields) {
    const props = propertiesOf(schema);
    const unknown = report.fields.filter((f) => !(f in props));
    if (unknown.length) {
      throw new ConfigError(`insights report "${report.name}" asks for unknown fields: ${unknown.join(', ')}`, {
        hint: `Fields available at ${report.level} level: ${Object.keys(props)
          .filter((p) => !p.startsWith('_sdc_'))
          .join(', ')}.`,
      });
    }
    const required = (schema['required'] as string[] | undefined) ?? [];
    const keep = new Set([...report.fields, ...required, ...insightsKey(report.level, report.breakdowns), ...INSIGHTS_COMPUTED, 'account_currency']);
    schema = { ...schema, properties: Object.fromEntries(Object.entries(props).filter(([k]) => keep.has(k))) };
  } else if (report.breakdowns.some((b) => HOURLY_BREAKDOWNS.includes(b))) {
    // All metrics of the level, less those Meta has no hourly figures for (breakdown-rules.ts).
    schema = { ...schema, properties: Object.fromEntries(Object.entries(propertiesOf(schema)).filter(([k]) => !hourlyRefuses(k))) };
  }
  return { ...schema, description: `${String(schema['description'] ?? '')} Report "${report.name}": level ${report.level}${report.breakdowns.length ? `, breakdowns ${report.breakdowns.join(', ')}` : ''}.` };
}

/** Graph `fields=` for a report: selected columns minus computed, breakdown and `_sdc_` ones. */
export function insightsRequestFields(report: InsightsReport, selected: readonly string[]): string[] {
  const skip = new Set([...INSIGHTS_COMPUTED, ...report.breakdowns]);
  return selected.filter((f) => !f.startsWith('_sdc_') && !skip.has(f));
}
