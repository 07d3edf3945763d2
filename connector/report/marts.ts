// Reads the report's figures from the dbt marts in a DuckDB warehouse: daily spend by channel
// (fct_ad_spend_daily), CAC by month blended and per channel (fct_cac_monthly,
// fct_cac_by_channel_monthly) and the top campaigns (facebook_ads__campaign_report).
// Aggregation happens in SQL on exact DECIMALs; values come back as decimal strings.
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { ConfigError } from '../core/errors.js';
import type { CacRow, CampaignRow, ReportData, SpendPoint } from './html.js';

export const MARTS = {
  spendDaily: 'fct_ad_spend_daily',
  cacMonthly: 'fct_cac_monthly',
  cacByChannel: 'fct_cac_by_channel_monthly',
  campaignReport: 'facebook_ads__campaign_report',
} as const;

export const TOP_CAMPAIGNS = 10;

async function rows(conn: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  return (await conn.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
}

/** Where each mart lives (schema-qualified, quoted); a missing mart is a clear error. */
export async function locateMarts(conn: DuckDBConnection): Promise<Record<keyof typeof MARTS, string>> {
  const found = await rows(conn, `select table_schema, table_name from information_schema.tables where table_name in (${Object.values(MARTS).map((n) => `'${n}'`).join(',')}) and table_catalog = current_database()`);
  const out: Partial<Record<keyof typeof MARTS, string>> = {};
  for (const [k, name] of Object.entries(MARTS) as [keyof typeof MARTS, string][]) {
    const hit = found.find((r) => r['table_name'] === name);
    if (!hit) throw new ConfigError(`the warehouse has no ${name} model`, { hint: 'Build the models first: `fb-ads-elt sync … --models` or `fb-ads-elt models build`.' });
    out[k] = `"${String(hit['table_schema'])}"."${name}"`;
  }
  return out as Record<keyof typeof MARTS, string>;
}

const s = (v: unknown): string => (v === null || v === undefined ? '' : String(v));
const dec = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

export interface ReportQueryOptions {
  duckdbPath: string;
  title: string;
  generatedAt: string;
}

export async function loadReportData(o: ReportQueryOptions): Promise<ReportData> {
  const instance = await DuckDBInstance.create(o.duckdbPath, { access_mode: 'READ_ONLY' });
  const conn = await instance.connect();
  try {
    return await queryReportData(conn, o);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

export async function queryReportData(conn: DuckDBConnection, o: Omit<ReportQueryOptions, 'duckdbPath'>): Promise<ReportData> {
  const m = await locateMarts(conn);
  const spend = await rows(conn, `select cast(date_day as varchar) as date, platform as channel, cast(sum(spend) as varchar) as spend from ${m.spendDaily} group by 1, 2 order by 1, 2`);
  const blended = await rows(conn, `select cast(date_month as varchar) as month, cast(spend as varchar) as spend, new_customers, cast(cac as varchar) as cac from ${m.cacMonthly} order by 1`);
  const perChannel = await rows(conn, `select cast(date_month as varchar) as month, channel, cast(spend as varchar) as spend, new_customers, cast(cac as varchar) as cac from ${m.cacByChannel} order by 1, 2`);
  const campaigns = await rows(
    conn,
    `select account_id, campaign_id, any_value(campaign_name) as campaign_name, any_value(currency) as currency, cast(sum(spend) as varchar) as spend,
            sum(impressions) as impressions, sum(clicks) as clicks, null as conversions
       from ${m.campaignReport} group by 1, 2 order by sum(spend) desc, 2 limit ${TOP_CAMPAIGNS}`,
  );
  const spendDaily: SpendPoint[] = spend.map((r) => ({ date: s(r['date']), channel: s(r['channel']), spend: s(r['spend']) }));
  const cac: CacRow[] = [
    ...blended.map((r) => ({ month: s(r['month']), channel: null, spend: s(r['spend']), new_customers: Number(r['new_customers'] ?? 0), cac: dec(r['cac']) })),
    ...perChannel.map((r) => ({ month: s(r['month']), channel: s(r['channel']), spend: s(r['spend']), new_customers: Number(r['new_customers'] ?? 0), cac: dec(r['cac']) })),
  ];
  const topCampaigns: CampaignRow[] = campaigns.map((r) => ({
    account_id: s(r['account_id']),
    campaign_id: s(r['campaign_id']),
    campaign_name: s(r['campaign_name']),
    currency: dec(r['currency']),
    spend: s(r['spend']),
    impressions: Number(r['impressions'] ?? 0),
    clicks: Number(r['clicks'] ?? 0),
    conversions: dec(r['conversions']),
  }));
  const dates = spendDaily.map((p) => p.date).sort();
  return {
    title: o.title,
    generatedAt: o.generatedAt,
    currency: null,
    period: { from: dates[0] ?? '', to: dates[dates.length - 1] ?? '' },
    spendDaily,
    cac,
    topCampaigns,
    sources: Object.values(MARTS),
    notes: [],
  };
}
