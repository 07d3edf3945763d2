// Reads the report's figures from the dbt marts in a DuckDB warehouse: daily spend by channel
// (fct_ad_spend_daily), CAC by month blended and per channel (fct_cac_monthly,
// fct_cac_by_channel_monthly: optional, they exist only when an orders relation is configured)
// and the top campaigns (facebook_ads__campaign_report). Aggregation happens in SQL on exact
// DECIMALs; values come back as decimal strings, NULL (undefined CAC, untracked spend) as null.
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { ConfigError } from '../core/errors.js';
import { MODELS_SCHEMA, modelsSchema } from '../dbt/profile.js';
import { channelLabel, FOCUS_PLATFORM, type CacRow, type CampaignRow, type ReportData, type SpendPoint, type StaleAccount } from './html.js';

export const MARTS = {
  spendDaily: 'fct_ad_spend_daily',
  cacMonthly: 'fct_cac_monthly',
  cacByChannel: 'fct_cac_by_channel_monthly',
  campaignReport: 'facebook_ads__campaign_report',
} as const;

/**
 * The staging view of the tap's insights_coverage (per run, account and report: the days read and the
 * last of them that was over then): when the data was read, and whether its last day was still running.
 */
export const COVERAGE_VIEW = 'stg_facebook_ads__insights_coverage';

/** Marts the report can do without: CAC needs the shop's orders (dbt var cac_orders). */
export const OPTIONAL_MARTS: ReadonlySet<keyof typeof MARTS> = new Set(['cacMonthly', 'cacByChannel']);

export const TOP_CAMPAIGNS = 10;

async function rows(conn: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  return (await conn.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
}

/** The marts (schema-qualified, quoted) of one schema, and that schema (where the report's staging views are read too). */
export type LocatedMarts = Partial<Record<keyof typeof MARTS, string>> & Record<'spendDaily' | 'campaignReport', string> & { schema: string };

/**
 * The raw dataset each schema's models read, from its sync_log staging view as DuckDB keeps it
 * (`… FROM <file>.<dataset>.sync_log`): what a build reads is a fact of the built view, so a
 * schema built by an earlier version (every dataset's models in MODELS_SCHEMA) is read right too.
 * A schema without the view (marts made by hand) is absent.
 */
async function datasetsRead(conn: DuckDBConnection, schemas: readonly string[]): Promise<Map<string, string>> {
  if (schemas.length === 0) return new Map();
  const views = await rows(conn, `select schema_name, sql from duckdb_views() where view_name = '${SYNC_LOG_VIEW}' and database_name = current_database() and schema_name in (${schemas.map(sqlString).join(',')})`);
  const out = new Map<string, string>();
  for (const v of views) {
    const m = RAW_SOURCE.exec(String(v['sql']));
    if (m) out.set(String(v['schema_name']), (m[1] ?? m[2]!).replaceAll('""', '"'));
  }
  return out;
}
/** `FROM <catalog>.<schema>.sync_log`, each part bare or double-quoted, as DuckDB writes a view's SQL back. */
const RAW_SOURCE = /\bFROM\s+(?:"(?:[^"]|"")+"|\w+)\.(?:"((?:[^"]|"")+)"|(\w+))\."?sync_log"?(?![\w"])/i;
const sqlString = (v: string): string => `'${v.replaceAll("'", "''")}'`;

/**
 * Where the marts live: all from one schema. Given the dataset the report is about (the target
 * config's), the schema whose models read it (dbt/profile.ts modelsSchema builds each dataset's into
 * its own); else the only dataset's, refusing a file that holds the models of several (the report
 * showed whichever were built last); else MODELS_SCHEMA, else the first schema by name (a dbt run by
 * hand into another). The first match of each name mixed schemas when both held models. A missing
 * required mart is a clear error, a missing optional one is absent.
 */
export async function locateMarts(conn: DuckDBConnection, dataset?: string): Promise<LocatedMarts> {
  const found = await rows(
    conn,
    `select table_schema, table_name from information_schema.tables where table_name in (${Object.values(MARTS)
      .map((n) => `'${n}'`)
      .join(',')}) and table_catalog = current_database() order by 1`,
  );
  const required = (Object.entries(MARTS) as [keyof typeof MARTS, string][]).filter(([k]) => !OPTIONAL_MARTS.has(k)).map(([, name]) => name);
  const holds = (schema: string, name: string): boolean => found.some((r) => r['table_schema'] === schema && r['table_name'] === name);
  const schemas = [...new Set(found.map((r) => String(r['table_schema'])))].filter((sc) => required.every((name) => holds(sc, name)));
  if (schemas.length === 0) {
    const missing = required.find((name) => !found.some((r) => r['table_name'] === name));
    throw new ConfigError(missing ? `the warehouse has no ${missing} model` : `no schema of the warehouse holds all of ${required.join(', ')}`, {
      hint: 'Build the models first: `fb-ads-elt sync … --models` or `fb-ads-elt models build --duckdb-path <file>`.',
    });
  }
  const schema = pickSchema(schemas, await datasetsRead(conn, schemas), dataset);
  const out: Partial<Record<keyof typeof MARTS, string>> = {};
  for (const [k, name] of Object.entries(MARTS) as [keyof typeof MARTS, string][]) if (holds(schema, name)) out[k] = `"${schema}"."${name}"`;
  return { ...(out as Record<'spendDaily' | 'campaignReport', string>), schema };
}

/** The schema of the report's models among those holding them all (locateMarts), or a ConfigError saying which datasets' models the file holds. */
function pickSchema(schemas: readonly string[], read: ReadonlyMap<string, string>, dataset: string | undefined): string {
  const said = [...read].map(([sc, ds]) => `${ds} (in ${sc})`).join(', ');
  const datasets = [...new Set(read.values())];
  if (dataset !== undefined) {
    const own = schemas.filter((sc) => read.get(sc)?.toLowerCase() === dataset.toLowerCase());
    // The one built last wins among several built from the same dataset: its own schema first.
    const hit = own.find((sc) => sc === modelsSchema(dataset)) ?? own[0] ?? (read.size === 0 ? schemas.find((sc) => sc === modelsSchema(dataset)) : undefined);
    if (hit !== undefined) return hit;
    throw new ConfigError(`the warehouse has no models of dataset "${dataset}"${said ? `: it holds the models of ${said}` : ''}`, {
      hint: `Build them: \`fb-ads-elt sync … --models\` with the target config whose dataset is ${dataset}, or \`fb-ads-elt models build --duckdb-path <file> --vars '{facebook_ads_schema: ${dataset}}'\`; or name another dataset.`,
      context: { dataset, datasets_found: datasets },
    });
  }
  if (datasets.length > 1) {
    throw new ConfigError(`the warehouse holds the models of ${datasets.length} datasets, ${said}: say which one the report is about`, {
      hint: `Pass --target-config <file> (its dataset) or --dataset <name>, e.g. --dataset ${datasets[0]!}.`,
      context: { datasets_found: datasets },
    });
  }
  return schemas.includes(MODELS_SCHEMA) ? MODELS_SCHEMA : schemas[0]!;
}

const s = (v: unknown): string => (v === null || v === undefined ? '' : String(v));
const dec = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

export interface ReportQueryOptions {
  duckdbPath: string;
  title: string;
  generatedAt: string;
  /** When the report is made (right after the sync, in the demo): a last day not yet over then was read in part. */
  now?: Date;
  /** The raw dataset the report is about (the target config's): its models are read (locateMarts). */
  dataset?: string;
}

/** Meta's days end last at UTC−12 (Baker Island): only then is a day over in every ad account's time zone. */
const LAST_DAY_END_OFFSET_MS = (24 + 12) * 3600_000;

/** Whether `day` (YYYY-MM-DD) has ended in every time zone at `now`. */
export function dayOverEverywhere(day: string, now: Date): boolean {
  return now.getTime() >= Date.parse(`${day}T00:00:00Z`) + LAST_DAY_END_OFFSET_MS;
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

/** Why a CAC row's spend is not tracked, in words, from the marts' coverage columns; null when it is. */
function coverageGap(r: Record<string, unknown>, channel: string | null, labels: Record<string, string>): string | null {
  if (r['is_spend_tracked'] !== false) return null;
  // The marts list platform ids comma-separated (dbt/macros/spend_coverage.sql).
  const named = (ids: string | null): string | null =>
    ids === null
      ? null
      : ids
          .split(/,\s*/)
          .map((id) => channelLabel(id, labels))
          .join(', ');
  if (channel === null) {
    const missing = named(dec(r['platforms_missing']));
    const partly = named(dec(r['platforms_partial']));
    // Accounts whose every read of the month failed (sync_log): their spend is unknown, not zero.
    // "<platform>: <account ids>; …" (fct_cac_monthly.unread_accounts): each platform by its name.
    const unread = dec(r['unread_accounts'])
      ?.split('; ')
      .map((part) => part.replace(/^([^:]+):/, (_m, id: string) => `${channelLabel(id, labels)}:`))
      .join('; ');
    // platforms_missing: no day of the month covered; it may still have spend rows (days in progress,
    // the month to date on its 1st), which the report lists: "no spend data" contradicted them.
    return [...(missing ? [`no day of it read in full by ${missing}`] : []), ...(partly ? [`spend for part of the month only from ${partly}`] : []), ...(unread ? [`every read failed for ${unread}`] : [])].join('; ') || null;
  }
  const unread = dec(r['unread_account_ids']);
  return r['is_paid_channel'] === true ? `${channelLabel(channel, labels)} covers ${Number(r['days_spend_covered'])} of ${Number(r['days_in_month'])} days${unread ? ` (every read failed for account ${unread})` : ''}` : null;
}

export { FOCUS_PLATFORM };

/** A staging view of the marts' schema (qualified, quoted), or undefined in a warehouse built before it existed. */
async function locateView(conn: DuckDBConnection, name: string, schema: string): Promise<string | undefined> {
  const view = await rows(conn, `select 1 from information_schema.tables where table_name = '${name}' and table_schema = '${schema.replaceAll("'", "''")}' and table_catalog = current_database()`);
  return view.length === 0 ? undefined : `"${schema}"."${name}"`;
}

/** The staging view of the tap's sync_log: one row per account and run, with its status. */
export const SYNC_LOG_VIEW = 'stg_facebook_ads__sync_log';

/**
 * Accounts whose latest sync failed (their rows stop where an earlier run left them: sync --models
 * builds over a partial run, summary.models.stale_accounts), with the last day read for each and why;
 * and accounts read by earlier runs that the latest ones skip (the config leaves them out, or they
 * were closed), with when they were last read. An account dropped from account_ids after failing is
 * the second kind: the tap writes it a skipped row every run (tap/sync.ts noLongerSynced).
 */
async function accountsBehind(conn: DuckDBConnection, schema: string): Promise<{ stale: StaleAccount[]; notSynced: Array<{ account_id: string; lastReadAt: string }> }> {
  const log = await locateView(conn, SYNC_LOG_VIEW, schema);
  if (log === undefined) return { stale: [], notSynced: [] };
  const coverage = await locateView(conn, COVERAGE_VIEW, schema);
  const found = await rows(
    conn,
    `with latest as (
       select account_id, arg_max(sync_status, started_at) as status, arg_max(error_class, started_at) as error_class, epoch_ms(max(started_at)) as at_ms,
              epoch_ms(max(started_at) filter (where sync_status <> 'skipped')) as read_ms
         from ${log} group by 1
     )${coverage ? `, read as (select account_id, max(last_complete_day) as read_to from ${coverage} where report = 'insights_campaign' group by 1)` : ''}
     select latest.account_id, latest.status, latest.error_class, latest.at_ms, latest.read_ms, ${coverage ? 'cast(read.read_to as varchar)' : 'null'} as read_to
       from latest ${coverage ? 'left join read using (account_id)' : ''}
      where latest.status = 'failed' or (latest.status = 'skipped' and latest.read_ms is not null) order by 1`,
  );
  return {
    stale: found.filter((r) => r['status'] === 'failed').map((r) => ({ account_id: s(r['account_id']), failedAt: utcMinute(new Date(Number(r['at_ms']))), errorClass: dec(r['error_class']), readTo: dec(r['read_to']) })),
    notSynced: found.filter((r) => r['status'] === 'skipped').map((r) => ({ account_id: s(r['account_id']), lastReadAt: utcMinute(new Date(Number(r['read_ms']))) })),
  };
}

/** The staging view of the campaign insights: the raw rows as they are now (a view), beside the campaign report built from them. */
export const CAMPAIGN_INSIGHTS_VIEW = 'stg_facebook_ads__insights_campaign';

/**
 * The last day of campaign insights in the raw tables (through their staging view) when it is after
 * the campaign report's, built from the same rows: a sync without --models since the last build.
 */
async function insightsAfterBuild(conn: DuckDBConnection, schema: string, campaignReport: string): Promise<{ rawTo: string; builtTo: string } | undefined> {
  const view = await locateView(conn, CAMPAIGN_INSIGHTS_VIEW, schema);
  if (view === undefined) return undefined;
  const [r] = await rows(conn, `select cast((select max(date_day) from ${view}) as varchar) as raw_to, cast((select max(date_day) from ${campaignReport}) as varchar) as built_to`);
  const rawTo = dec(r?.['raw_to']);
  const builtTo = dec(r?.['built_to']);
  return rawTo !== null && builtTo !== null && rawTo > builtTo ? { rawTo, builtTo } : undefined;
}

/** ISO instant → the report's "YYYY-MM-DD HH:MM UTC". */
export const utcMinute = (at: Date): string => `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/**
 * When the Meta data was last read, and, when `to` (the last day synced) was still running then, why
 * in words. Judged from the coverage (each account's latest read of `to`, in its own zone), never from
 * when the report is made: a report made days after the sync would pass a day read half-way for a whole
 * one. A warehouse without the coverage view falls back to `now` (as the demo, right after its sync).
 */
async function lastRead(conn: DuckDBConnection, schema: string, to: string, now: Date | undefined): Promise<{ readAt: string | null; lastDayRunning: string | null }> {
  const coverage = await locateView(conn, COVERAGE_VIEW, schema);
  if (coverage === undefined) {
    return { readAt: null, lastDayRunning: now && !dayOverEverywhere(to, now) ? "was not over in every ad account's time zone when this report was made: its spend is still growing" : null };
  }
  // The report behind the spend fact (int_ad_coverage__facebook_ads reads the same one).
  const [r] = await rows(
    conn,
    `with latest as (
       select account_id, max(last_complete_day) as last_complete_day
         from ${coverage} where report = 'insights_campaign' and cast('${to}' as date) between date_start and date_stop
        group by 1
     )
     select (select epoch_ms(max(extracted_at)) from ${coverage}) as read_ms,
            count(*) filter (where last_complete_day < cast('${to}' as date)) as running, count(*) as accounts
       from latest`,
  );

  const readMs = r?.['read_ms'];
  const running = Number(r?.['running'] ?? 0);
  const readAt = readMs === null || readMs === undefined ? null : utcMinute(new Date(Number(readMs)));
  return {
    readAt,
    lastDayRunning: running > 0 ? `was still running in the time zone of ${running} of ${Number(r?.['accounts'])} ad accounts when it was last read${readAt ? ` (${readAt})` : ''}: their spend for it is what it was then, not the whole day's` : null,
  };
}

/**
 * The days the focus platform's sync read (the coverage's first and last day, whatever was spent
 * on them), or undefined in a warehouse without the coverage view or rows. The report's period
 * spans these too: a day read with no Facebook delivery (everything paused) is still a synced day,
 * on which the other channels' spend counts.
 */
async function readWindow(conn: DuckDBConnection, schema: string): Promise<{ from: string; to: string } | undefined> {
  const coverage = await locateView(conn, COVERAGE_VIEW, schema);
  if (coverage === undefined) return undefined;
  const [r] = await rows(conn, `select cast(min(date_start) as varchar) as d0, cast(max(date_stop) as varchar) as d1 from ${coverage} where report = 'insights_campaign'`);
  const from = dec(r?.['d0']);
  const to = dec(r?.['d1']);
  return from !== null && to !== null ? { from, to } : undefined;
}

export async function queryReportData(conn: DuckDBConnection, o: Omit<ReportQueryOptions, 'duckdbPath'>): Promise<ReportData> {
  const m = await locateMarts(conn, o.dataset);
  const bounds = await rows(conn, `select cast(min(date_day) filter (where platform = '${FOCUS_PLATFORM}') as varchar) as d0, cast(max(date_day) filter (where platform = '${FOCUS_PLATFORM}') as varchar) as d1, any_value(reporting_currency) as cur from ${m.spendDaily}`);
  const builtBefore = await insightsAfterBuild(conn, m.schema, m.campaignReport);
  // The period is the days synced, not the first and last day with spend: trailing days read with no
  // delivery (campaigns paused) left the other channels' spend on them out of every total. After a
  // sync the models missed, the coverage runs past what they were built with: the rows bound it then.
  const synced = builtBefore ? undefined : await readWindow(conn, m.schema);
  const days = (...ds: (string | null | undefined)[]): string[] => ds.filter((d): d is string => !!d).sort();
  const from = days(dec(bounds[0]?.['d0']), synced?.from)[0] ?? '';
  const to = days(dec(bounds[0]?.['d1']), synced?.to).at(-1) ?? '';
  if (!from) throw new ConfigError(`${MARTS.spendDaily} has no ${FOCUS_PLATFORM} rows`, { hint: 'The sync loaded no insights: check the sync summary and sync_log for failed accounts.' });
  const window = `date_day between cast('${from}' as date) and cast('${to}' as date)`;
  // Months that overlap the synced window (CAC is monthly; partial months are labelled as such).
  const months = `month_start between date_trunc('month', cast('${from}' as date)) and date_trunc('month', cast('${to}' as date))`;
  const spend = await rows(
    conn,
    `select cast(date_day as varchar) as date, platform as channel, cast(sum(spend_reporting) as varchar) as spend, count(*) filter (where spend_reporting is null) as missing_fx
       from ${m.spendDaily} where ${window} group by 1, 2 order by 1, 2`,
  );
  const cacColumns = `cast(month_start as varchar) as month, cast(spend as varchar) as spend, new_customers, cast(cac as varchar) as cac, spend_rows_without_fx, reporting_time_zone, is_month_to_date, cast(as_of_date as varchar) as as_of_date`;
  // Coverage (dbt/macros/spend_coverage.sql): which platforms keep a month's spend from being complete.
  const blended = m.cacMonthly ? await rows(conn, `select ${cacColumns}, is_spend_tracked, platforms_missing, platforms_partial, unread_accounts from ${m.cacMonthly} where ${months} order by 1`) : [];
  const perChannel = m.cacByChannel ? await rows(conn, `select channel, is_paid_channel, ${cacColumns}, is_spend_tracked, days_spend_covered, days_in_month, unread_account_ids from ${m.cacByChannel} where ${months} order by month, 1`) : [];
  // Ranked by spend in the reporting currency (accounts spend in different currencies); the
  // campaign report gives the account-currency spend and delivery figures.
  const campaigns = await rows(
    conn,
    `with ranked as (
       select account_id, campaign_id, sum(spend_reporting) as spend_reporting
         from ${m.spendDaily} where platform = '${FOCUS_PLATFORM}' and ${window}
        group by 1, 2
     ), report as (
       select account_id, campaign_id, max(campaign_name) as campaign_name, max(currency) as currency, sum(spend) as spend,
              sum(impressions) as impressions, sum(clicks) as clicks, sum(conversions) as conversions
         from ${m.campaignReport} where ${window}
        group by 1, 2
     )
     select r.account_id, r.campaign_id, report.campaign_name, report.currency, cast(report.spend as varchar) as spend,
            cast(r.spend_reporting as varchar) as spend_reporting, report.impressions, report.clicks, cast(report.conversions as varchar) as conversions
       from ranked r join report using (account_id, campaign_id)
      order by r.spend_reporting desc nulls last, r.campaign_id
      limit ${TOP_CAMPAIGNS}`,
  );
  const counted = await rows(conn, `select count(distinct campaign_id) as n from ${m.spendDaily} where platform = '${FOCUS_PLATFORM}' and ${window} and spend <> 0`);
  // Each platform's name for people, declared beside its id in its dbt model; a warehouse whose
  // models were built before platform_label existed shows ids made readable (channelLabel).
  const hasLabels = (await rows(conn, `select 1 from information_schema.columns where table_name = '${MARTS.spendDaily}' and column_name = 'platform_label' and table_schema = '${m.schema.replaceAll("'", "''")}' and table_catalog = current_database()`)).length > 0;
  const channelLabels: Record<string, string> = Object.fromEntries(hasLabels ? (await rows(conn, `select distinct platform, platform_label from ${m.spendDaily} where platform_label is not null order by 1`)).map((r) => [s(r['platform']), s(r['platform_label'])]) : []);
  const spendDaily: SpendPoint[] = spend.map((r) => ({ date: s(r['date']), channel: s(r['channel']), spend: s(r['spend'] ?? '0') || '0' }));
  const missingFx = spend.reduce((a, r) => a + Number(r['missing_fx'] ?? 0), 0);
  const cacRow = (r: Record<string, unknown>, channel: string | null): CacRow => ({
    month: s(r['month']),
    channel,
    spend: dec(r['spend']),
    new_customers: Number(r['new_customers'] ?? 0),
    cac: dec(r['cac']),
    spendRowsWithoutFx: Number(r['spend_rows_without_fx'] ?? 0),
    ...(typeof r['is_paid_channel'] === 'boolean' ? { paid: r['is_paid_channel'] } : {}),
    ...(typeof r['is_spend_tracked'] === 'boolean' ? { tracked: r['is_spend_tracked'], coverageGap: coverageGap(r, channel, channelLabels) } : {}),
    ...(typeof r['is_month_to_date'] === 'boolean' ? { monthToDate: r['is_month_to_date'], asOf: dec(r['as_of_date']) } : {}),
  });
  const cac: CacRow[] = [...blended.map((r) => cacRow(r, null)), ...perChannel.map((r) => cacRow(r, s(r['channel'])))];
  const timeZone = dec(blended[0]?.['reporting_time_zone'] ?? perChannel[0]?.['reporting_time_zone']);
  const topCampaigns: CampaignRow[] = campaigns.map((r) => ({
    account_id: s(r['account_id']),
    campaign_id: s(r['campaign_id']),
    campaign_name: s(r['campaign_name']),
    currency: dec(r['currency']),
    spend: s(r['spend']),
    spend_reporting: dec(r['spend_reporting']),
    impressions: Number(r['impressions'] ?? 0),
    clicks: Number(r['clicks'] ?? 0),
    conversions: dec(r['conversions']),
  }));
  // Accounts whose days are not the CAC months' days: normal once the zone is chosen (the dbt test assert_ad_accounts_use_the_reporting_time_zone warns the builder only while it is unset); the reader is told here.
  const zones = timeZone
    ? await rows(
        conn,
        `select timezone_name as zone, count(distinct account_id) as n, (select count(distinct account_id) from ${m.campaignReport} where ${window}) as total
           from ${m.campaignReport} where ${window} and timezone_name is not null and timezone_name <> '${timeZone.replaceAll("'", "''")}' group by 1 order by 1`,
      )
    : [];
  const notes: string[] = [];
  if (zones.length > 0) {
    const n = zones.reduce((a, r) => a + Number(r['n']), 0);
    notes.push(
      `${n} of ${Number(zones[0]!['total'])} ad accounts report in another time zone than ${timeZone} (${zones.map((r) => s(r['zone'])).join(', ')}): their spend counts by their own days, so spend near the first and last day of a month can fall in the neighbouring month of the CAC table.`,
    );
  }
  if (missingFx > 0) notes.push(`${missingFx} spend rows have no exchange rate to ${s(bounds[0]?.['cur'])} and are left out of the spend totals (add the rates to the relation named in the dbt var fx_rates).`);
  if (!m.cacMonthly) notes.push('No CAC: the warehouse has no orders to count new customers from. Name your orders relation in the dbt var cac_orders and build the models again.');
  // Partial: some platform read only part of the month (coverage from what was synced, not from spend rows).
  const partialMonths = blended.filter((r) => r['is_spend_tracked'] === false && dec(r['platforms_partial']) !== null).map((r) => s(r['month']).slice(0, 7));
  if (partialMonths.length > 0)
    notes.push(
      `Partial months (marked *): ${partialMonths.join(', ')}. Some platform's spend was read for part of the month only (its sync started, stopped or failed mid-month), while new customers count the whole month, so the month's spend is incomplete and its CAC is not defined.`,
    );
  const toDate = blended.find((r) => r['is_month_to_date'] === true);
  if (toDate)
    notes.push(
      dec(toDate['as_of_date'])
        ? `${s(toDate['month']).slice(0, 7)} is the month to date: its spend and new customers run from the 1st to ${s(toDate['as_of_date'])}, the last day every platform's spend was read in full, so its CAC is month-to-date.`
        : `${s(toDate['month']).slice(0, 7)} is the month to date: no day of it has been read in full by every platform yet, so it has no CAC so far.`,
    );
  const { stale, notSynced } = await accountsBehind(conn, m.schema);
  if (stale.length > 0) {
    const each = stale.map((a) => `act_${a.account_id} (${a.errorClass ?? 'failed'} at ${a.failedAt}; ${a.readTo ? `read in full to ${a.readTo}` : 'no day of its insights read in full yet'})`);
    notes.push(
      `Stale: the latest sync failed for ${stale.length === 1 ? 'ad account' : `${stale.length} ad accounts`} ${each.join(', ')}, so ${stale.length === 1 ? 'its' : 'their'} figures stop where an earlier run left them; the sync_log table says why, and a run that reads ${stale.length === 1 ? 'it' : 'them'} again fills the days in.`,
    );
  }
  if (notSynced.length > 0) {
    notes.push(
      `No longer synced: ${notSynced.map((a) => `act_${a.account_id} (last read at ${a.lastReadAt})`).join(', ')}: the latest runs skip ${notSynced.length === 1 ? 'it' : 'them'} (left out by account_ids or business_ids, or closed: sync_log says which), so ${notSynced.length === 1 ? 'its' : 'their'} figures stop there.`,
    );
  }
  // The coverage view reads the raw tables as they are now: after a sync the models missed, its latest
  // read is not the one the figures come from, nor does it say how far the build's last day was read.
  // The page then claims neither, and its note says to build again.
  const read = builtBefore ? { readAt: null, lastDayRunning: null } : await lastRead(conn, m.schema, to, o.now);
  if (builtBefore) {
    notes.push(
      `The warehouse holds insights to ${builtBefore.rawTo}, read after these models were built (their campaigns end at ${builtBefore.builtTo}): build them again (\`fb-ads-elt models build --duckdb-path <file>\`, or sync with --models) for a report of what was synced since.`,
    );
  }
  if (read.lastDayRunning) {
    // A month synced to its last day looks complete, but that day was still running when it was read
    // (a month the marts already label month to date needs no * on top: its CAC stops before that day).
    const labelled = toDate !== undefined && s(toDate['month']).slice(0, 7) === to.slice(0, 7);
    if (!labelled && !partialMonths.includes(to.slice(0, 7))) partialMonths.push(to.slice(0, 7));
    // Say the mark the month really carries: a labelled month gets "to date", never the * it was told to look for.
    notes.push(`${to}, the last day synced, ${read.lastDayRunning}, and ${to.slice(0, 7)}'s figures are month to date (${labelled ? 'labelled month to date in the CAC table' : 'marked *'}).`);
  }
  return {
    title: o.title,
    generatedAt: o.generatedAt,
    readAt: read.readAt,
    staleAccounts: stale,
    ...(builtBefore ? { modelsBehind: builtBefore } : {}),
    currency: dec(bounds[0]?.['cur']),
    period: { from, to },
    partialMonths,
    timeZone,
    cacAvailable: !!m.cacMonthly,
    channelLabels,
    spendDaily,
    spendRowsWithoutFx: missingFx,
    cac,
    topCampaigns,
    campaignsWithSpend: Number(counted[0]?.['n'] ?? 0),
    // The marts read, not the ones the report can read: a page without CAC named fct_cac_monthly as its source.
    sources: (Object.keys(MARTS) as (keyof typeof MARTS)[]).filter((k) => m[k] !== undefined).map((k) => MARTS[k]),
    notes,
  };
}
