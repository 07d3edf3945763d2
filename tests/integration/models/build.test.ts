// The dbt project built by connector/models on DuckDB from raw tables shaped like the target's
// output (fixture rows → schema-mapped tables): models, data tests, unit tests, figures by hand.
import { expect } from 'chai';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import yaml from 'js-yaml';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { REPO_ROOT } from '../../../connector/core/config.js';
import { buildProject, type BuildResult } from '../../../connector/models/build.js';
import { deriveUpperInsights, loadRawWarehouse, readFixture, type Fixture, type Row } from './raw-warehouse.js';
import { copyProject, editFile, PROJECT_DIR, projectVars, seedRows } from './project-copy.js';

const FIXTURE = path.join(REPO_ROOT, 'tests', 'integration', 'models', 'fixtures', 'raw-facebook-ads.json');

function fullFixture(): Fixture {
  const raw = readFixture(FIXTURE);
  return { ...raw, ...deriveUpperInsights(raw['insights_ad'] ?? []) };
}

async function rows(conn: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  return (await conn.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
}

/** Raw tables in a DuckDB database: in memory (fast: no fsync per commit) unless a file is named. */
async function warehouse(tmp: string, file: string | undefined, fixture: Fixture): Promise<{ instance: DuckDBInstance; conn: DuckDBConnection }> {
  const instance = await DuckDBInstance.create(file === undefined ? ':memory:' : path.join(tmp, file));
  const conn = await instance.connect();
  await loadRawWarehouse(conn, fixture, tmp);
  return { instance, conn };
}

/** USD per unit of `currency` on `day`: that day's fixing or the latest earlier one within `maxStale` days. */
function fxLookup(maxStale: number): (currency: string, day: string) => number | undefined {
  const byCurrency = new Map<string, Array<[string, number]>>();
  for (const r of seedRows('fx_rates_daily')) byCurrency.set(r['currency']!, [...(byCurrency.get(r['currency']!) ?? []), [r['rate_date']!, Number(r['usd_per_unit'])]]);
  return (currency, day) => {
    if (currency === 'USD') return 1;
    const earliest = new Date(Date.parse(`${day}T00:00:00Z`) - maxStale * 86400000).toISOString().slice(0, 10);
    const candidates = (byCurrency.get(currency) ?? []).filter(([d]) => d <= day && d >= earliest).sort(([a], [b]) => (a < b ? 1 : -1));
    return candidates[0]?.[1];
  };
}

describe('models build on DuckDB (connector/models running dbt/)', function () {
  let tmp: string;
  let instance: DuckDBInstance;
  let conn: DuckDBConnection;
  let result: BuildResult;
  const fixture = fullFixture();

  before(async function () {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'models-build-'));
    ({ instance, conn } = await warehouse(tmp, undefined, fixture));
    result = await buildProject({ projectDir: PROJECT_DIR, connection: conn, target: 'duckdb' });
  });

  after(function () {
    conn?.closeSync();
    instance?.closeSync();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('builds every seed and model and passes every generic, singular and unit test of the project', function () {
    const broken = [...result.seeds, ...result.models].filter((m) => m.status !== 'success');
    expect(broken, JSON.stringify(broken)).to.deep.equal([]);
    expect(result.tests.failed, JSON.stringify(result.tests.failed, null, 1)).to.deep.equal([]);
    expect(result.tests.warned, JSON.stringify(result.tests.warned, null, 1)).to.deep.equal([]);
    expect(result.ok).to.equal(true);
    const modelFiles = readdirSync(path.join(PROJECT_DIR, 'models'), { recursive: true }).map(String).filter((f) => f.endsWith('.sql'));
    expect(result.models.map((m) => m.name).sort()).to.deep.equal(modelFiles.map((f) => path.basename(f, '.sql')).sort());
    const singular = readdirSync(path.join(PROJECT_DIR, 'tests')).filter((f) => f.endsWith('.sql')).map((f) => path.basename(f, '.sql'));
    const unit = (yaml.load(readFileSync(path.join(PROJECT_DIR, 'models', 'marts', 'marketing', '_marketing__models.yml'), 'utf8')) as { unit_tests: Array<{ name: string }> }).unit_tests.map((u) => u.name);
    expect(singular.length).to.be.greaterThan(3);
    expect(unit.length).to.be.greaterThan(3);
    expect(result.tests.passedNames).to.include.members([...singular, ...unit]);
    expect(result.tests.passedNames.some((n) => n.startsWith('grain_is_unique_fct_ad_spend_daily'))).to.equal(true);
  });

  it('keeps each Facebook report at its own grain, with spend per account and day equal to the raw ad rows', async function () {
    const expected = new Map<string, number>();
    for (const r of fixture['insights_ad'] ?? []) {
      const k = `${String(r['account_id'])}|${String(r['date_start'])}`;
      expected.set(k, (expected.get(k) ?? 0) + Number(r['spend']));
    }
    for (const report of ['account', 'campaign', 'ad_set', 'ad']) {
      const got = await rows(conn, `select account_id, cast(date_day as varchar) as d, sum(spend) as spend, count(*) as n from analytics.facebook_ads__${report}_report group by 1, 2`);
      expect(got.length, report).to.equal(expected.size);
      for (const g of got) expect(Number(g['spend']), `${report} ${String(g['account_id'])} ${String(g['d'])}`).to.be.closeTo(expected.get(`${String(g['account_id'])}|${String(g['d'])}`)!, 1e-9);
    }
    const adRows = await rows(conn, 'select count(*) as n from analytics.facebook_ads__ad_report');
    expect(Number(adRows[0]!['n'])).to.equal(fixture['insights_ad']!.length);
  });

  it('joins current names and keeps deleted campaigns and ads with their status', async function () {
    const deleted = fixture['campaigns']!.find((c) => c['status'] === 'DELETED')!;
    const got = await rows(conn, `select distinct campaign_name, campaign_status from analytics.facebook_ads__campaign_report where campaign_id = '${String(deleted['id'])}'`);
    expect(got).to.deep.equal([{ campaign_name: deleted['name'], campaign_status: 'DELETED' }]);
    const nullNames = await rows(conn, 'select count(*) as n from analytics.facebook_ads__ad_report where ad_name is null or campaign_name is null or ad_set_name is null or creative_name is null');
    expect(Number(nullNames[0]!['n'])).to.equal(0);
  });

  it('counts as conversions exactly the action types listed in var conversion_action_types', async function () {
    const types = projectVars()['conversion_action_types'] as string[];
    const got = await rows(conn, 'select ad_id, cast(date_day as varchar) as d, conversions, conversions_value from analytics.facebook_ads__ad_report');
    let nonZero = 0;
    for (const r of fixture['insights_ad']!) {
      const sum = (list: unknown) => ((list as Row[] | undefined) ?? []).filter((a) => types.includes(String(a['action_type']))).reduce((s, a) => s + Number(a['value']), 0);
      const g = got.find((x) => x['ad_id'] === r['ad_id'] && x['d'] === r['date_start'])!;
      expect(Number(g['conversions'])).to.be.closeTo(sum(r['actions']), 1e-9);
      expect(Number(g['conversions_value'])).to.be.closeTo(sum(r['action_values']), 1e-9);
      if (sum(r['actions']) > 0) nonZero++;
    }
    expect(nonZero).to.be.greaterThan(0);
  });

  it('unions every platform in var ad_platforms and converts spend at the day rate, else the latest earlier fixing', async function () {
    const platforms = await rows(conn, 'select platform, count(*) as n from analytics.fct_ad_spend_daily group by 1 order by 1');
    expect(platforms.map((p) => p['platform'])).to.deep.equal(['facebook_ads', 'google_ads', 'tiktok_ads']);
    const fx = fxLookup(Number(projectVars()['fx_max_staleness_days']));
    const eurRows = await rows(conn, "select cast(date_day as varchar) as d, spend, spend_reporting, cast(fx_rate_date as varchar) as fx_day from analytics.fct_ad_spend_daily where currency = 'EUR'");
    let weekendRows = 0;
    for (const r of eurRows) {
      const rate = fx('EUR', String(r['d']));
      expect(rate, String(r['d'])).to.not.equal(undefined);
      expect(Number(r['spend_reporting'])).to.be.closeTo(Number(r['spend']) * rate!, 1e-6);
      if (r['fx_day'] !== r['d']) weekendRows++;
    }
    expect(weekendRows, 'rows on days without a fixing use an earlier one').to.be.greaterThan(0);
    const credits = await rows(conn, 'select count(*) as n from analytics.fct_ad_spend_daily where spend < 0');
    expect(Number(credits[0]!['n']), 'credits and billing adjustments stay negative').to.be.greaterThan(0);
  });

  it('computes blended CAC for October 2026 equal to a hand computation from the raw rows, seeds and FX rates', async function () {
    const fx = fxLookup(Number(projectVars()['fx_max_staleness_days']));
    const inOctober = (d: string) => d.startsWith('2026-10');
    let spend = 0;
    const currencyOf = new Map(fixture['ad_accounts']!.map((a) => [String(a['account_id']), String(a['currency'])]));
    for (const r of fixture['insights_ad']!) if (inOctober(String(r['date_start']))) spend += Number(r['spend']) * fx(currencyOf.get(String(r['account_id']))!, String(r['date_start']))!;
    for (const r of seedRows('google_ads__campaign_stats_daily')) if (inOctober(r['date']!)) spend += (Number(r['cost_micros']) / 1e6) * fx(r['currency_code']!, r['date']!)!;
    for (const r of seedRows('tiktok_ads__campaign_report_daily')) if (inOctober(r['stat_time_day']!)) spend += Number(r['spend']) * fx(r['currency']!, r['stat_time_day']!)!;
    const excluded = projectVars()['cac_excluded_order_statuses'] as string[];
    const firstOrder = new Map<string, string>();
    for (const o of seedRows('shop_orders')) {
      if (excluded.includes(o['status']!)) continue;
      const at = new Date(o['ordered_at']!.replace(' ', 'T')).toISOString();
      const prev = firstOrder.get(o['customer_id']!);
      if (prev === undefined || at < prev) firstOrder.set(o['customer_id']!, at);
    }
    const newCustomers = [...firstOrder.values()].filter((at) => inOctober(at)).length;
    expect(newCustomers).to.be.greaterThan(0);
    const got = await rows(conn, "select spend, new_customers, cac from analytics.fct_cac_monthly where month_start = date '2026-10-01'");
    expect(got).to.have.length(1);
    expect(Number(got[0]!['new_customers'])).to.equal(newCustomers);
    expect(Number(got[0]!['spend'])).to.be.closeTo(spend, 1e-5);
    expect(Number(got[0]!['cac'])).to.be.closeTo(spend / newCustomers, 1e-6);
  });

  it('re-runs the ad report incrementally: restated rows in the lookback window are replaced, not duplicated', async function () {
    const first = result.models.find((m) => m.name === 'facebook_ads__ad_report')!;
    const target = fixture['insights_ad']!.at(-1)!;
    await conn.run(`update facebook_ads.insights_ad set spend = spend + 10 where ad_id = '${String(target['ad_id'])}' and date_start = date '${String(target['date_start'])}'`);
    const again = await buildProject({ projectDir: PROJECT_DIR, connection: conn, select: ['facebook_ads__ad_report'] });
    expect(again.ok, JSON.stringify(again.tests.failed)).to.equal(true);
    const second = again.models.find((m) => m.name === 'facebook_ads__ad_report')!;
    expect(second.rows).to.equal(first.rows);
    const got = await rows(conn, `select spend from analytics.facebook_ads__ad_report where ad_id = '${String(target['ad_id'])}' and date_day = date '${String(target['date_start'])}'`);
    expect(Number(got[0]!['spend'])).to.be.closeTo(Number(target['spend']) + 10, 1e-9);
  });

  it('fails a dbt unit test whose expected rows differ, showing expected and actual rows', async function () {
    const copyRoot = mkdtempSync(path.join(os.tmpdir(), 'models-unit-'));
    try {
      const project = copyProject(copyRoot);
      editFile(project, 'models/marts/marketing/_marketing__models.yml', '{month_start: \'2026-10-01\', spend: 115.5, new_customers: 3, cac: 38.5}', '{month_start: \'2026-10-01\', spend: 115.5, new_customers: 3, cac: 40}');
      const r = await buildProject({ projectDir: project, connection: conn, select: ['fct_cac_monthly'] });
      expect(r.tests.failed.map((t) => t.name)).to.deep.equal(['cac_nets_refunds_and_credits_against_spend']);
      expect(r.tests.failed[0]!.message).to.include('expected: month_start=2026-10-01, spend=115.5, new_customers=3, cac=40').and.include('actual:   month_start=2026-10-01, spend=115.5, new_customers=3, cac=38.5');
    } finally {
      rmSync(copyRoot, { recursive: true, force: true });
    }
  });

  it('fails the build with the grain tests named when the raw insights hold a duplicated campaign-day', async function () {
    const dupTmp = mkdtempSync(path.join(os.tmpdir(), 'models-dup-'));
    const dup = fullFixture();
    dup['insights_campaign'] = [...dup['insights_campaign']!, dup['insights_campaign']![0]!];
    const { instance: i2, conn: c2 } = await warehouse(dupTmp, undefined, dup);
    try {
      const r = await buildProject({ projectDir: PROJECT_DIR, connection: c2 });
      expect(r.ok).to.equal(false);
      const names = r.tests.failed.map((t) => t.name);
      expect(names).to.include('grain_is_unique_stg_facebook_ads__insights_campaign');
      expect(names).to.include('grain_is_unique_facebook_ads__campaign_report');
    } finally {
      c2.closeSync();
      i2.closeSync();
      rmSync(dupTmp, { recursive: true, force: true });
    }
  });

  it('fails the reconciliation test when a report loses rows that staging has', async function () {
    const copyRoot = mkdtempSync(path.join(os.tmpdir(), 'models-recon-'));
    const project = copyProject(copyRoot);
    const dropped = fixture['campaigns']![0]!['id'];
    editFile(project, 'models/marts/facebook_ads/facebook_ads__campaign_report.sql', 'left join campaigns\n    on insights.campaign_id = campaigns.campaign_id', `left join campaigns\n    on insights.campaign_id = campaigns.campaign_id\nwhere insights.campaign_id != '${String(dropped)}'`);
    const { instance: i2, conn: c2 } = await warehouse(copyRoot, undefined, fixture);
    try {
      const r = await buildProject({ projectDir: project, connection: c2 });
      expect(r.tests.failed.map((t) => t.name)).to.deep.equal(['assert_facebook_campaign_spend_reconciles']);
      expect(r.tests.failed[0]!.failures).to.be.greaterThan(0);
    } finally {
      c2.closeSync();
      i2.closeSync();
      rmSync(copyRoot, { recursive: true, force: true });
    }
  });

  it('`fb-ads-elt models build` exits 6 and names the failing model when a model reads a missing column', async function () {
    const copyRoot = mkdtempSync(path.join(os.tmpdir(), 'models-cli-'));
    try {
      const project = copyProject(copyRoot);
      editFile(project, 'models/marts/facebook_ads/facebook_ads__campaign_report.sql', '    insights.spend,', '    insights.cost as spend,');
      const dbFile = path.join(copyRoot, 'cli.duckdb');
      const { instance: i3, conn: c3 } = await warehouse(copyRoot, 'cli.duckdb', fixture);
      c3.closeSync();
      i3.closeSync();
      const run = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'fb-ads-elt.js'), 'models', 'build', '--project', project, '--duckdb-path', dbFile], {
        encoding: 'utf8',
        timeout: 60000,
      });
      expect(run.status, run.stderr).to.equal(6);
      const summary = JSON.parse(run.stdout) as { models: Array<{ name: string; status: string; error?: string }> };
      const campaign = summary.models.find((m) => m.name === 'facebook_ads__campaign_report')!;
      expect(campaign.status).to.equal('error');
      expect(campaign.error).to.match(/cost/);
      expect(summary.models.find((m) => m.name === 'fct_ad_spend_daily')!.status).to.equal('skipped');
      const lastLine = run.stderr.trim().split('\n').at(-1)!;
      expect(JSON.parse(lastLine)).to.include({ level: 'error', exit_code: 6 });
      expect(lastLine).to.include('facebook_ads__campaign_report');
    } finally {
      rmSync(copyRoot, { recursive: true, force: true });
    }
  });
});
