// The report's queries over hand-made marts in an in-memory DuckDB: what the reader is told about
// the data, without building the dbt project.
import { expect } from 'chai';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { queryReportData } from '../../../connector/report/marts.js';
import { renderReport } from '../../../connector/report/html.js';
import { reportHighlights } from '../../../connector/report/highlights.js';
import { ConfigError, EXIT_CODES } from '../../../connector/core/errors.js';
import { parse } from 'node-html-parser';

async function marts(zones: Record<string, string>, reportingZone: string, monthToDate = false): Promise<{ conn: DuckDBConnection; close: () => void }> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  await conn.run(`create table fct_ad_spend_daily (date_day date, platform varchar, platform_label varchar, account_id varchar, campaign_id varchar, spend decimal(38,9), spend_reporting decimal(38,9), reporting_currency varchar)`);
  await conn.run(`create table facebook_ads__campaign_report (date_day date, account_id varchar, campaign_id varchar, campaign_name varchar, currency varchar, timezone_name varchar, spend decimal(38,9), impressions bigint, clicks bigint, conversions decimal(38,9))`);
  await conn.run(
    `create table fct_cac_monthly (month_start date, spend decimal(38,9), new_customers bigint, cac decimal(38,9), spend_rows_without_fx bigint, reporting_time_zone varchar, is_spend_tracked boolean, platforms_missing varchar, platforms_partial varchar, unread_accounts varchar, is_month_to_date boolean, as_of_date date)`,
  );
  for (const [account, zone] of Object.entries(zones)) {
    await conn.run(`insert into fct_ad_spend_daily values ('2026-10-01', 'facebook_ads', 'Facebook Ads', '${account}', 'c${account}', 10, 10, 'USD'), ('2026-10-31', 'facebook_ads', 'Facebook Ads', '${account}', 'c${account}', 10, 10, 'USD')`);
    await conn.run(`insert into facebook_ads__campaign_report values ('2026-10-01', '${account}', 'c${account}', 'Campaign ${account}', 'USD', '${zone}', 10, 100, 1, 0), ('2026-10-31', '${account}', 'c${account}', 'Campaign ${account}', 'USD', '${zone}', 10, 100, 1, 0)`);
  }
  await conn.run(`insert into fct_cac_monthly values ('2026-10-01', 60, 3, 20, 0, '${reportingZone}', true, null, null, null, ${monthToDate}, '${monthToDate ? '2026-10-30' : '2026-10-31'}')`);
  return {
    conn,
    close: () => {
      conn.closeSync();
      instance.closeSync();
    },
  };
}

describe('report figures read from the marts', () => {
  it('tells the reader how many ad accounts report in another time zone than the CAC months, and which', async () => {
    const db = await marts({ '1': 'UTC', '2': 'Asia/Tokyo', '3': 'America/Los_Angeles' }, 'UTC');
    try {
      const d = await queryReportData(db.conn, { title: 't', generatedAt: 'g' });
      expect(d.timeZone).to.equal('UTC');
      const note = d.notes.find((n) => n.includes('time zone'));
      expect(note).to.equal('2 of 3 ad accounts report in another time zone than UTC (America/Los_Angeles, Asia/Tokyo): their spend counts by their own days, so spend near the first and last day of a month can fall in the neighbouring month of the CAC table.');
    } finally {
      db.close();
    }
  });

  it("says nothing of time zones when every account reports in the CAC months' zone", async () => {
    const db = await marts({ '1': 'Europe/Berlin', '2': 'Europe/Berlin' }, 'Europe/Berlin');
    try {
      const d = await queryReportData(db.conn, { title: 't', generatedAt: 'g' });
      expect(d.notes.filter((n) => n.includes('time zone'))).to.deep.equal([]);
      expect(d.cac.map((r) => r.cac)).to.deep.equal(['20.000000000']);
      // The page's "Source:" names what was read: this warehouse has no per-channel CAC mart.
      expect(d.sources).to.deep.equal(['fct_ad_spend_daily', 'fct_cac_monthly', 'facebook_ads__campaign_report']);
    } finally {
      db.close();
    }
  });

  it('marks a month synced to its last day as month to date when that day was not over in every time zone at report time', async () => {
    const db = await marts({ '1': 'UTC' }, 'UTC');
    try {
      // 22:09 UTC on the 31st: still the 31st west of UTC, as when the demo runs on a month's last day.
      const running = await queryReportData(db.conn, { title: 't', generatedAt: 'g', now: new Date('2026-10-31T22:09:00Z') });
      expect(running.period.to).to.equal('2026-10-31');
      expect(running.partialMonths).to.deep.equal(['2026-10']);
      expect(running.notes).to.include("2026-10-31, the last day synced, was not over in every ad account's time zone when this report was made: its spend is still growing, and 2026-10's figures are month to date (marked *).");
      // Noon UTC the next day the 31st has ended everywhere (UTC−12 included): the month is whole.
      const over = await queryReportData(db.conn, { title: 't', generatedAt: 'g', now: new Date('2026-11-01T12:00:00Z') });
      expect(over.partialMonths).to.deep.equal([]);
      expect(over.notes.filter((n) => n.includes('month to date'))).to.deep.equal([]);
    } finally {
      db.close();
    }
  });

  it('takes the month to date from the marts (is_month_to_date, as_of_date): labelled, with no partial mark on top', async () => {
    const db = await marts({ '1': 'UTC' }, 'UTC', true);
    try {
      const d = await queryReportData(db.conn, { title: 't', generatedAt: 'g', now: new Date('2026-10-31T22:09:00Z') });
      expect(d.cac.map((r) => ({ month: r.month, monthToDate: r.monthToDate, asOf: r.asOf }))).to.deep.equal([{ month: '2026-10-01', monthToDate: true, asOf: '2026-10-30' }]);
      expect(d.partialMonths).to.deep.equal([]);
      expect(d.notes).to.include("2026-10 is the month to date: its spend and new customers run from the 1st to 2026-10-30, the last day every platform's spend was read in full, so its CAC is month-to-date.");
      // The table shows this month as "to 10-30", with no *: the note must not send the reader looking for one.
      expect(d.notes).to.include("2026-10-31, the last day synced, was not over in every ad account's time zone when this report was made: its spend is still growing, and 2026-10's figures are month to date (labelled month to date in the CAC table).");
    } finally {
      db.close();
    }
  });

  it('says a platform read no day of the month in full, not that it has no spend data, when its spend rows are there (the month to date on its 1st)', async () => {
    // The demo run just after midnight UTC on the 1st: December's spend rows exist (a day in
    // progress) and the report lists them, while the terminal said "no spend data from Facebook Ads".
    const db = await marts({ '1': 'UTC' }, 'UTC', true);
    try {
      await db.conn.run("update fct_cac_monthly set is_spend_tracked = false, cac = null, as_of_date = null, platforms_missing = 'facebook_ads'");
      const d = await queryReportData(db.conn, { title: 't', generatedAt: 'g', now: new Date('2026-10-31T22:09:00Z') });
      expect(Number(d.cac[0]!.spend)).to.be.greaterThan(0);
      expect(d.cac.map((r) => r.coverageGap)).to.deep.equal(['no day of it read in full by Facebook Ads']);
    } finally {
      db.close();
    }
  });

  it('says which accounts every read of an untracked month failed for, beside the partial platform', async () => {
    const db = await marts({ '1': 'UTC' }, 'UTC');
    try {
      await db.conn.run("update fct_cac_monthly set is_spend_tracked = false, cac = null, platforms_partial = 'facebook_ads', unread_accounts = 'facebook_ads: 102'");
      const d = await queryReportData(db.conn, { title: 't', generatedAt: 'g' });
      expect(d.cac.map((r) => r.coverageGap)).to.deep.equal(['spend for part of the month only from Facebook Ads; every read failed for Facebook Ads: 102']);
    } finally {
      db.close();
    }
  });

  /** The tap's coverage as dbt stages it: one row per run, account and report (stg_facebook_ads__insights_coverage). */
  async function withCoverage(conn: DuckDBConnection, reads: { account: string; until: string; accountToday: string; at: string }[]): Promise<void> {
    await conn.run('create table stg_facebook_ads__insights_coverage (account_id varchar, report varchar, date_start date, date_stop date, account_today date, last_complete_day date, extracted_at timestamptz)');
    for (const r of reads) {
      await conn.run(`insert into stg_facebook_ads__insights_coverage values ('${r.account}', 'insights_campaign', '2026-10-01', '${r.until}', '${r.accountToday}', least(date '${r.until}', date '${r.accountToday}' - 1), '${r.at}')`);
    }
  }

  it('judges the last day synced by when it was read, not by when the report is made: a report made days later still marks it', async () => {
    const db = await marts({ '1': 'UTC', '2': 'America/Los_Angeles' }, 'UTC');
    try {
      // The sync ran at 22:09 UTC on the 31st: over in UTC by the next read, still running in Los Angeles.
      await withCoverage(db.conn, [
        { account: '1', until: '2026-10-31', accountToday: '2026-10-31', at: '2026-10-31T22:09:00Z' },
        { account: '1', until: '2026-10-31', accountToday: '2026-11-01', at: '2026-11-01T00:30:00Z' },
        { account: '2', until: '2026-10-31', accountToday: '2026-10-31', at: '2026-10-31T22:09:00Z' },
      ]);
      const later = await queryReportData(db.conn, { title: 't', generatedAt: 'g', now: new Date('2026-11-05T12:00:00Z') });
      expect(later.readAt).to.equal('2026-11-01 00:30 UTC');
      expect(later.partialMonths).to.deep.equal(['2026-10']);
      expect(later.notes).to.include(
        "2026-10-31, the last day synced, was still running in the time zone of 1 of 2 ad accounts when it was last read (2026-11-01 00:30 UTC): their spend for it is what it was then, not the whole day's, and 2026-10's figures are month to date (marked *).",
      );
      expect(renderReport(later)).to.include('2026-10-01 to 2026-10-31 · Meta data read 2026-11-01 00:30 UTC · generated g');
      // Read again once the day was over in Los Angeles too: the month is whole, whenever the report is made.
      await db.conn.run("insert into stg_facebook_ads__insights_coverage values ('2', 'insights_campaign', '2026-10-30', '2026-10-31', '2026-11-01', '2026-10-31', '2026-11-01T09:00:00Z')");
      const whole = await queryReportData(db.conn, { title: 't', generatedAt: 'g', now: new Date('2026-11-01T09:05:00Z') });
      expect(whole.partialMonths).to.deep.equal([]);
      expect(whole.notes.filter((n) => n.includes('last day synced'))).to.deep.equal([]);
    } finally {
      db.close();
    }
  });

  it("spans the days the sync read, not the first and last day Facebook spent: the other channels' spend on days read without delivery counts", async () => {
    const db = await marts({ '1': 'UTC' }, 'UTC');
    try {
      // Facebook read to 2026-11-05, but its campaigns were paused after 2026-10-31 (no rows); Google kept spending.
      await withCoverage(db.conn, [{ account: '1', until: '2026-11-05', accountToday: '2026-11-06', at: '2026-11-06T01:00:00Z' }]);
      await db.conn.run(`insert into fct_ad_spend_daily values ('2026-10-15', 'google_ads', 'Google Ads', 'g1', 'gc1', 5, 5, 'USD'), ('2026-11-03', 'google_ads', 'Google Ads', 'g1', 'gc1', 7, 7, 'USD')`);
      const d = await queryReportData(db.conn, { title: 't', generatedAt: 'g', now: new Date('2026-11-06T13:00:00Z') });
      expect(d.period).to.deep.equal({ from: '2026-10-01', to: '2026-11-05' });
      expect(d.spendDaily.filter((p) => p.channel === 'google_ads').map((p) => [p.date, Number(p.spend)])).to.deep.equal([
        ['2026-10-15', 5],
        ['2026-11-03', 7],
      ]);
      expect(parse(renderReport(d)).querySelector('#kpi-spend b')?.getAttribute('data-value')).to.equal('32.00');
      expect(reportHighlights(d)[0]).to.equal('Spend 2026-10-01 → 2026-11-05: Facebook Ads 20.00 USD · Google Ads 12.00 USD');
    } finally {
      db.close();
    }
  });

  it('names the accounts whose latest sync failed (models built over a partial run), with the last day read, on the page and in the terminal lines', async () => {
    const db = await marts({ '1': 'UTC', '2': 'UTC', '3': 'UTC' }, 'UTC');
    try {
      await withCoverage(db.conn, [
        { account: '1', until: '2026-10-31', accountToday: '2026-11-01', at: '2026-11-01T06:00:00Z' },
        { account: '2', until: '2026-10-20', accountToday: '2026-10-21', at: '2026-10-21T06:00:00Z' },
        { account: '3', until: '2026-10-31', accountToday: '2026-11-01', at: '2026-11-01T06:00:00Z' },
      ]);
      await db.conn.run('create table stg_facebook_ads__sync_log (run_id varchar, account_id varchar, sync_status varchar, error_class varchar, started_at timestamptz)');
      // 2 failed in the latest run; 3 failed once before and was read since: not stale.
      await db.conn.run(`insert into stg_facebook_ads__sync_log values
        ('r1', '1', 'ok', null, '2026-10-21T06:00:00Z'), ('r1', '2', 'ok', null, '2026-10-21T06:00:00Z'), ('r1', '3', 'failed', 'throttled', '2026-10-21T06:00:00Z'),
        ('r2', '1', 'ok', null, '2026-11-01T06:00:00Z'), ('r2', '2', 'failed', 'permission', '2026-11-01T06:00:00Z'), ('r2', '3', 'ok', null, '2026-11-01T06:00:00Z'),
        ('r2', '4', 'failed', 'auth', '2026-11-01T06:00:00Z')`);
      const d = await queryReportData(db.conn, { title: 't', generatedAt: 'g', now: new Date('2026-11-02T12:00:00Z') });
      expect(d.staleAccounts).to.deep.equal([
        { account_id: '2', failedAt: '2026-11-01 06:00 UTC', errorClass: 'permission', readTo: '2026-10-20' },
        { account_id: '4', failedAt: '2026-11-01 06:00 UTC', errorClass: 'auth', readTo: null },
      ]);
      // 4 failed on its first read: nothing of it is in the figures at all.
      expect(d.notes).to.include(
        'Stale: the latest sync failed for 2 ad accounts act_2 (permission at 2026-11-01 06:00 UTC; read in full to 2026-10-20), act_4 (auth at 2026-11-01 06:00 UTC; no day of its insights read in full yet), so their figures stop where an earlier run left them; the sync_log table says why, and a run that reads them again fills the days in.',
      );
      expect(reportHighlights(d).at(-1)).to.equal('Stale (latest sync failed): act_2 read to 2026-10-20, act_4 nothing read yet');
      // Read again: nothing stale, and the terminal keeps its three lines.
      await db.conn.run("insert into stg_facebook_ads__sync_log values ('r3', '2', 'ok', null, '2026-11-02T06:00:00Z'), ('r3', '4', 'ok', null, '2026-11-02T06:00:00Z')");
      const again = await queryReportData(db.conn, { title: 't', generatedAt: 'g' });
      expect(again.staleAccounts).to.deep.equal([]);
      expect(reportHighlights(again)).to.have.length(3);
    } finally {
      db.close();
    }
  });

  it('does not call an account stale once the config leaves it out: the tap skips it every run, and the page says since when it is not read', async () => {
    const db = await marts({ '1': 'UTC', '2': 'UTC' }, 'UTC');
    try {
      await db.conn.run('create table stg_facebook_ads__sync_log (run_id varchar, account_id varchar, sync_status varchar, error_class varchar, started_at timestamptz)');
      // 2 failed, then was dropped from account_ids: the later runs write it a skipped row (tap/sync.ts noLongerSynced).
      // 5 was skipped from its first run (a Business Manager lists it, the token has no role): never read, not named.
      await db.conn.run(`insert into stg_facebook_ads__sync_log values
        ('r1', '1', 'ok', null, '2026-10-21T06:00:00Z'), ('r1', '2', 'failed', 'permission', '2026-10-21T06:00:00Z'), ('r1', '5', 'skipped', 'permission', '2026-10-21T06:00:00Z'),
        ('r2', '1', 'ok', null, '2026-11-01T06:00:00Z'), ('r2', '2', 'skipped', null, '2026-11-01T06:00:00Z'), ('r2', '5', 'skipped', 'permission', '2026-11-01T06:00:00Z')`);
      const d = await queryReportData(db.conn, { title: 't', generatedAt: 'g' });
      expect(d.staleAccounts).to.deep.equal([]);
      expect(d.notes.filter((n) => /^(Stale|No longer synced)/.test(n))).to.deep.equal(['No longer synced: act_2 (last read at 2026-10-21 06:00 UTC): the latest runs skip it (left out by account_ids or business_ids, or closed: sync_log says which), so its figures stop there.']);
      expect(reportHighlights(d)).to.have.length(3);
    } finally {
      db.close();
    }
  });

  it('reads every mart and staging view from one schema, analytics (where fb-ads-elt builds them) before a hand-run dbt copy in another', async () => {
    const db = await marts({ '1': 'UTC' }, 'UTC');
    try {
      // The same marts in analytics with other figures, and a stale account only there; "main" sorts before it.
      await db.conn.run('create schema analytics');
      for (const t of ['fct_ad_spend_daily', 'facebook_ads__campaign_report', 'fct_cac_monthly']) await db.conn.run(`create table analytics.${t} as select * from main.${t}`);
      await db.conn.run('update analytics.fct_ad_spend_daily set spend_reporting = 7, spend = 7');
      await db.conn.run('create table analytics.stg_facebook_ads__sync_log (run_id varchar, account_id varchar, sync_status varchar, error_class varchar, started_at timestamptz)');
      await db.conn.run("insert into analytics.stg_facebook_ads__sync_log values ('r1', '1', 'failed', 'auth', '2026-11-01T06:00:00Z')");
      const d = await queryReportData(db.conn, { title: 't', generatedAt: 'g' });
      expect([...new Set(d.spendDaily.map((p) => p.spend))]).to.deep.equal(['7.000000000']);
      expect(d.staleAccounts?.map((a) => a.account_id)).to.deep.equal(['1']);
      // Without analytics' campaign report, the one schema holding every required mart is main.
      await db.conn.run('drop table analytics.facebook_ads__campaign_report');
      const other = await queryReportData(db.conn, { title: 't', generatedAt: 'g' });
      expect([...new Set(other.spendDaily.map((p) => p.spend))]).to.deep.equal(['10.000000000']);
      expect(other.staleAccounts).to.deep.equal([]);
    } finally {
      db.close();
    }
  });

  it('reads the models of the dataset it is given by the raw tables their sync_log view reads, whatever the schema is called (a build of an earlier version, a quoted name)', async () => {
    const db = await marts({ '1': 'UTC' }, 'UTC');
    try {
      // An earlier version built every dataset's models in analytics: here ClientX's; "select"'s in main.
      for (const raw of ['"ClientX"', '"select"']) await db.conn.run(`create schema ${raw}; create table ${raw}.sync_log (run_id varchar, account_id varchar, sync_status varchar, error_class varchar, started_at timestamptz)`);
      await db.conn.run('create schema analytics');
      for (const t of ['fct_ad_spend_daily', 'facebook_ads__campaign_report', 'fct_cac_monthly']) await db.conn.run(`create table analytics.${t} as select * from main.${t}`);
      await db.conn.run('update analytics.fct_ad_spend_daily set spend_reporting = 7, spend = 7');
      await db.conn.run('create view analytics.stg_facebook_ads__sync_log as with source as (select * from "memory"."ClientX"."sync_log") select * from source');
      await db.conn.run('create view main.stg_facebook_ads__sync_log as select * from memory."select".sync_log');
      const spend = async (dataset?: string): Promise<string[]> => [...new Set((await queryReportData(db.conn, { title: 't', generatedAt: 'g', ...(dataset ? { dataset } : {}) })).spendDaily.map((p) => p.spend))];
      expect(await spend('clientx')).to.deep.equal(['7.000000000']);
      expect(await spend('select')).to.deep.equal(['10.000000000']);
      let refused: unknown;
      await spend().catch((e: unknown) => (refused = e));
      expect(refused).to.be.instanceOf(ConfigError);
      expect((refused as ConfigError).message).to.equal('the warehouse holds the models of 2 datasets, ClientX (in analytics), select (in main): say which one the report is about');
      expect((refused as ConfigError).exitCode).to.equal(EXIT_CODES.config);
    } finally {
      db.close();
    }
  });

  it('says the models were built before the insights a later sync read (no --models), and shows no read time it cannot vouch for', async () => {
    const db = await marts({ '1': 'UTC' }, 'UTC');
    try {
      await withCoverage(db.conn, [{ account: '1', until: '2026-10-31', accountToday: '2026-11-01', at: '2026-11-01T06:00:00Z' }]);
      // The staging view reads the raw rows as they are now; the campaign report is the build's.
      await db.conn.run('create table stg_facebook_ads__insights_campaign as select date_day, account_id, campaign_id from facebook_ads__campaign_report');
      const current = await queryReportData(db.conn, { title: 't', generatedAt: 'g' });
      expect(current.readAt).to.equal('2026-11-01 06:00 UTC');
      expect(current.notes.filter((n) => n.includes('build them again'))).to.deep.equal([]);
      await db.conn.run("insert into stg_facebook_ads__insights_campaign values ('2026-11-03', '1', 'c1')");
      await db.conn.run("insert into stg_facebook_ads__insights_coverage values ('1', 'insights_campaign', '2026-11-01', '2026-11-03', '2026-11-04', '2026-11-03', '2026-11-04T06:00:00Z')");
      const later = await queryReportData(db.conn, { title: 't', generatedAt: 'g' });
      expect(reportHighlights(later).at(-1)).to.equal('Models behind: built on insights to 2026-10-31, the warehouse holds them to 2026-11-03 (build them again)');
      expect(later.readAt).to.equal(null);
      // The day the build ended on is judged by no later read (this one covers it in full).
      expect(later.notes.filter((n) => n.includes('last day synced'))).to.deep.equal([]);
      expect(later.notes).to.include(
        'The warehouse holds insights to 2026-11-03, read after these models were built (their campaigns end at 2026-10-31): build them again (`fb-ads-elt models build --duckdb-path <file>`, or sync with --models) for a report of what was synced since.',
      );
    } finally {
      db.close();
    }
  });
});
