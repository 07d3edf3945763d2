// The dbt project built by real dbt (connector/dbt: one `dbt build`, generated DuckDB profile) on
// raw tables shaped like the target's output (fixture rows → schema-mapped tables, written by the
// Node DuckDB, read by dbt's Python DuckDB and back): every node, figures by hand, the incremental
// branch, and a broken build that must exit 6 naming each failing model and test.
import { expect } from 'chai';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import yaml from 'js-yaml';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { REPO_ROOT } from '../../../connector/core/config.js';
import { Logger } from '../../../connector/core/log.js';
import { dbtBuild, dbtWorkDir, runDbt, type DbtBuildResult } from '../../../connector/dbt/run.js';
import { readRunResults } from '../../../connector/dbt/results.js';
import { DEMO_MODELS_VARS } from '../../../connector/pipeline/demo.js';
import { reportHighlights } from '../../../connector/report/highlights.js';
import { loadReportData } from '../../../connector/report/marts.js';
import { renderReport } from '../../../connector/report/html.js';
import { DEFAULT_REPORT_TITLE } from '../../../connector/report/write.js';
import { REPORT_PATH, SyncServer } from '../../../connector/pipeline/serve.js';
import { validateServeConfig, type ServeConfig } from '../../../connector/pipeline/serve-config.js';
import { runSync } from '../../../connector/pipeline/sync.js';
import { parse } from 'node-html-parser';
import { MemorySink } from '../pipeline/standins.js';
import { deriveUpperInsights, loadRawWarehouse, readFixture, type Fixture, type Row } from './raw-warehouse.js';
import { copyProject, editFile, PROJECT_DIR, projectVars, seedRows } from './project-copy.js';

const FIXTURE = path.join(REPO_ROOT, 'tests', 'integration', 'dbt', 'fixtures', 'raw-facebook-ads.json');

function fullFixture(): Fixture {
  const raw = readFixture(FIXTURE);
  return { ...raw, ...deriveUpperInsights(raw['insights_ad'] ?? []) };
}

/** Writes the raw tables into a DuckDB file and closes it (dbt, another process, opens it next). */
async function writeWarehouse(file: string, fixture: Fixture): Promise<void> {
  const instance = await DuckDBInstance.create(file);
  const conn = await instance.connect();
  try {
    await loadRawWarehouse(conn, fixture, path.dirname(file));
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** Opens the file for one callback only, so dbt is never locked out between steps. */
async function withWarehouse<T>(file: string, fn: (conn: DuckDBConnection) => Promise<T>, readOnly = true): Promise<T> {
  const instance = await DuckDBInstance.create(file, readOnly ? { access_mode: 'READ_ONLY' } : {});
  const conn = await instance.connect();
  try {
    return await fn(conn);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
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

describe('dbt build of dbt/ on DuckDB with the demo data on (real dbt, generated profile)', function () {
  this.timeout(600_000);
  let tmp: string;
  let file: string;
  let result: DbtBuildResult;
  const fixture = fullFixture();
  const sink = new MemorySink();
  const log = new Logger({ component: 'test', sink, level: 'debug' });
  const rows = (sql: string): Promise<Record<string, unknown>[]> => withWarehouse(file, async (c) => (await c.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[]);

  before(async function () {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'dbt-build-'));
    file = path.join(tmp, 'warehouse.duckdb');
    await writeWarehouse(file, fixture);
    // The run clock, pinned after the fixture's months: none of them is the month to date.
    result = await dbtBuild({ duckdbPath: file, log, env: { ...process.env, FB_ADS_ELT_NOW: '2026-12-15T12:00:00Z' }, vars: DEMO_MODELS_VARS });
  });

  after(function () {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('builds every seed and model and passes every data test and unit test of the project', function () {
    // Nothing warns: the fixture's accounts report in zones other than the demo's chosen one (UTC),
    // which is normal once a zone is chosen, and its FX rates cover every spend day.
    const notOk = result.results.nodes.filter((n) => !['success', 'pass'].includes(n.status));
    expect(notOk.map((n) => `${n.name} ${n.status} ${n.failures}`), JSON.stringify(notOk, null, 1)).to.deep.equal([]);
    const built = (type: string): string[] => result.results.nodes.filter((n) => n.resourceType === type).map((n) => n.name);
    const modelFiles = readdirSync(path.join(PROJECT_DIR, 'models'), { recursive: true }).map(String).filter((f) => f.endsWith('.sql')).map((f) => path.basename(f, '.sql'));
    // Ephemeral models are inlined into their consumers, so dbt does not run them on their own.
    expect(built('model').sort()).to.deep.equal(modelFiles.filter((m) => !/^int_(ad_spend|fx_rates)__|^int_ad_coverage__(?!monthly$)/.test(m)).sort());
    expect(result.models).to.equal(built('model').length);
    expect(built('seed')).to.have.length(readdirSync(path.join(PROJECT_DIR, 'seeds')).filter((f) => f.endsWith('.csv')).length);
    const singular = readdirSync(path.join(PROJECT_DIR, 'tests')).filter((f) => f.endsWith('.sql')).map((f) => path.basename(f, '.sql'));
    const unit = (yaml.load(readFileSync(path.join(PROJECT_DIR, 'models', 'marts', 'marketing', '_marketing__models.yml'), 'utf8')) as { unit_tests: Array<{ name: string; model: string }> }).unit_tests.map((u) => `${u.model}::${u.name}`);
    expect(singular.length).to.be.greaterThan(3);
    expect(unit.length).to.be.greaterThan(3);
    expect(built('test')).to.include.members(singular);
    expect(built('unit_test')).to.include.members(unit);
    expect(built('test').some((n) => n.startsWith('grain_is_unique_fct_ad_spend_daily'))).to.equal(true);
  });

  it('warns about the accounts in other zones when no reporting zone was chosen (var unset) and CAC cuts months (chosen: the build above, no warning)', async function () {
    const zoned = fixture['ad_accounts']!.filter((a) => a['timezone_name'] !== 'UTC').length;
    expect(zoned).to.be.greaterThan(0);
    const { reporting_time_zone: _chosen, ...unset } = DEMO_MODELS_VARS;
    const r = await runDbt(['test', '--select', 'assert_ad_accounts_use_the_reporting_time_zone'], { duckdbPath: file, log, vars: unset });
    const nodes = readRunResults(path.join(r.targetPath, 'run_results.json'))!.nodes;
    expect(nodes.map((n) => `${n.name} ${n.status} ${n.failures}`)).to.deep.equal([`assert_ad_accounts_use_the_reporting_time_zone warn ${zoned}`]);
  });

  it("relays dbt's progress as JSON log lines naming the node", function () {
    const lines = sink.text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.find((l) => l['dbt_event'] === 'LogModelResult' && l['node'] === 'model.fb_ads_elt.fct_cac_monthly')).to.include({ level: 'info', component: 'test' });
    expect(lines.at(-1)).to.include({ msg: 'dbt finished', exit_code: 0 });
  });

  it('keeps each Facebook report at its own grain, with spend per account and day equal to the raw ad rows', async function () {
    const expected = new Map<string, number>();
    for (const r of fixture['insights_ad'] ?? []) {
      const k = `${String(r['account_id'])}|${String(r['date_start'])}`;
      expected.set(k, (expected.get(k) ?? 0) + Number(r['spend']));
    }
    for (const report of ['account', 'campaign', 'ad_set', 'ad']) {
      const got = await rows(`select account_id, cast(date_day as varchar) as d, sum(spend) as spend, count(*) as n from analytics.facebook_ads__${report}_report group by 1, 2`);
      expect(got.length, report).to.equal(expected.size);
      for (const g of got) expect(Number(g['spend']), `${report} ${String(g['account_id'])} ${String(g['d'])}`).to.be.closeTo(expected.get(`${String(g['account_id'])}|${String(g['d'])}`)!, 1e-9);
    }
    const adRows = await rows('select count(*) as n from analytics.facebook_ads__ad_report');
    expect(Number(adRows[0]!['n'])).to.equal(fixture['insights_ad']!.length);
  });

  it('joins current names and keeps deleted campaigns and ads with their status', async function () {
    const deleted = fixture['campaigns']!.find((c) => c['status'] === 'DELETED')!;
    const got = await rows(`select distinct campaign_name, campaign_status from analytics.facebook_ads__campaign_report where campaign_id = '${String(deleted['id'])}'`);
    expect(got).to.deep.equal([{ campaign_name: deleted['name'], campaign_status: 'DELETED' }]);
    const nullNames = await rows('select count(*) as n from analytics.facebook_ads__ad_report where ad_name is null or campaign_name is null or ad_set_name is null or creative_name is null');
    expect(Number(nullNames[0]!['n'])).to.equal(0);
  });

  it('counts as conversions exactly the action types listed in var conversion_action_types', async function () {
    const types = projectVars()['conversion_action_types'] as string[];
    const got = await rows('select ad_id, cast(date_day as varchar) as d, conversions, conversions_value from analytics.facebook_ads__ad_report');
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

  it('names each platform for people beside its id, and the report shows those names, never the ids', async () => {
    const labels = await rows('select distinct platform, platform_label from analytics.fct_ad_spend_daily order by 1');
    expect(labels).to.deep.equal([
      { platform: 'facebook_ads', platform_label: 'Facebook Ads' },
      { platform: 'google_ads', platform_label: 'Google Ads' },
      { platform: 'tiktok_ads', platform_label: 'TikTok Ads' },
    ]);
    const report = await loadReportData({ duckdbPath: file, title: 'labels', generatedAt: '2026-12-15 12:00 UTC' });
    const page = parse(renderReport(report));
    const shown = page.querySelectorAll('#spend-by-channel tr[data-channel] td:first-child').map((td) => td.text);
    expect(shown).to.deep.equal(['Facebook Ads', 'Google Ads', 'TikTok Ads']);
    expect(reportHighlights(report)[0]).to.match(/: Facebook Ads [\d,.]+ USD · Google Ads [\d,.]+ USD · TikTok Ads [\d,.]+ USD$/);
  });

  it('`fb-ads-elt report` writes the report from the warehouse its target config names, in a new folder, and prints its headline figures', async function () {
    const cfg = path.join(tmp, 'target.json');
    writeFileSync(cfg, JSON.stringify({ destination: 'duckdb', duckdb_path: file, dataset: 'facebook_ads' }));
    const out = path.join(tmp, 'reports', 'meta.html');
    const run = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'fb-ads-elt.js'), 'report', '--target-config', cfg, '--out', out], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, FB_ADS_ELT_NOW: '2026-12-15T12:00:00Z' } });
    expect(run.status, run.stderr.slice(-2000)).to.equal(0);
    const now = new Date('2026-12-15T12:00:00Z');
    const report = await loadReportData({ duckdbPath: file, title: DEFAULT_REPORT_TITLE, generatedAt: '2026-12-15 12:00 UTC', now });
    expect(readFileSync(out, 'utf8')).to.equal(renderReport(report));
    expect(run.stdout).to.equal([...reportHighlights(report), '', `Report: ${out}  (open it in a browser)`, ''].join('\n'));
    expect(report.topCampaigns.length).to.be.greaterThan(0);
    expect(readdirSync(path.dirname(out))).to.deep.equal(['meta.html']);
  });

  it('serve answers GET report with the same page, built from the warehouse its target config names', async function () {
    const cfg = path.join(tmp, 'serve-target.json');
    writeFileSync(cfg, JSON.stringify({ destination: 'duckdb', duckdb_path: file, dataset: 'facebook_ads' }));
    writeFileSync(path.join(tmp, 'serve-tap.json'), JSON.stringify({ access_tokens: [{ label: 'a', token: 'EAAB' + 'x'.repeat(40) }] }));
    const secret = 'report-secret-' + 'c3d4'.repeat(6);
    const { config } = validateServeConfig({ bearer_secret: secret, tap_config: 'serve-tap.json', target_config: 'serve-target.json', port: 0, models: true }, tmp);
    const now = new Date('2026-12-15T12:00:00Z');
    const server = new SyncServer({ config: config as ServeConfig, log, runSync, clock: () => now });
    try {
      const port = await server.listen();
      const res = await fetch(`http://127.0.0.1:${port}${REPORT_PATH}`, { headers: { authorization: `Bearer ${secret}` } });
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.equal('text/html; charset=utf-8');
      expect(res.headers.get('content-security-policy')).to.match(/^default-src 'none'/);
      const report = await loadReportData({ duckdbPath: file, title: DEFAULT_REPORT_TITLE, generatedAt: '2026-12-15 12:00 UTC', now });
      expect(await res.text()).to.equal(renderReport(report));
    } finally {
      await server.close();
    }
  });

  it('unions every platform in var ad_platforms and converts spend at the day rate, else the latest earlier fixing', async function () {
    const platforms = await rows('select platform, count(*) as n from analytics.fct_ad_spend_daily group by 1 order by 1');
    expect(platforms.map((p) => p['platform'])).to.deep.equal(['facebook_ads', 'google_ads', 'tiktok_ads']);
    const fx = fxLookup(Number(projectVars()['fx_max_staleness_days']));
    const eurRows = await rows("select cast(date_day as varchar) as d, spend, spend_reporting, cast(fx_rate_date as varchar) as fx_day from analytics.fct_ad_spend_daily where currency = 'EUR'");
    let weekendRows = 0;
    for (const r of eurRows) {
      const rate = fx('EUR', String(r['d']));
      expect(rate, String(r['d'])).to.not.equal(undefined);
      expect(Number(r['spend_reporting'])).to.be.closeTo(Number(r['spend']) * rate!, 1e-6);
      if (r['fx_day'] !== r['d']) weekendRows++;
    }
    expect(weekendRows, 'rows on days without a fixing use an earlier one').to.be.greaterThan(0);
    const credits = await rows('select count(*) as n from analytics.fct_ad_spend_daily where spend < 0');
    expect(Number(credits[0]!['n']), 'credits and billing adjustments stay negative').to.be.greaterThan(0);
  });

  it('accepts a platform added as the DECISIONLOG says (a model and a line in var ad_platforms) without a warning', async function () {
    const root = mkdtempSync(path.join(os.tmpdir(), 'dbt-platform-'));
    try {
      const project = copyProject(root);
      // The contract's columns, from the demo's Google Ads rows under another platform id.
      writeFileSync(
        path.join(project, 'models', 'intermediate', 'int_ad_spend__linkedin_ads.sql'),
        "select date_day, 'linkedin_ads' as platform, 'LinkedIn Ads' as platform_label, account_id, campaign_id, campaign_name, currency, spend, impressions, clicks, conversions\nfrom {{ ref('int_ad_spend__google_ads') }}\n",
      );
      const copy = path.join(root, 'warehouse.duckdb');
      cpSync(file, copy);
      const r = await dbtBuild({ duckdbPath: copy, projectDir: project, log, vars: { ...DEMO_MODELS_VARS, ad_platforms: ['int_ad_spend__facebook_ads', 'int_ad_spend__linkedin_ads'] }, select: ['fct_ad_spend_daily+'] });
      const built = await withWarehouse(copy, async (c) => (await c.runAndReadAll('select distinct platform from analytics.fct_ad_spend_daily order by 1')).getRowObjectsJson());
      expect(built.map((b) => b['platform'])).to.deep.equal(['facebook_ads', 'google_ads', 'linkedin_ads', 'tiktok_ads']);
      // A healthy build warns about nothing: the fixed list of the demo's three platforms warned on every build after it.
      expect(r.results.nodes.filter((n) => n.status !== 'success' && n.status !== 'pass').map((n) => `${n.name} ${n.status} ${n.failures}`)).to.deep.equal([]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("computes October 2026's blended spend and new customers equal to a hand computation from the raw rows, seeds and FX rates, and no CAC: Facebook covers 3 of its 31 days", async function () {
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
    const got = await rows(
      "select spend, new_customers, cac, is_spend_tracked, platforms_missing, platforms_partial, cast(spend_coverage_ratio as double) as ratio from analytics.fct_cac_monthly where month_start = date '2026-10-01'",
    );
    expect(got).to.have.length(1);
    expect(Number(got[0]!['new_customers'])).to.equal(newCustomers);
    expect(Number(got[0]!['spend'])).to.be.closeTo(spend, 1e-5);
    // The tap read Facebook from 2026-10-29 (insights_coverage), Google and TikTok declare the whole
    // month: the spend is incomplete, so CAC is undefined rather than spend / newCustomers, understated.
    const days = new Set(fixture['insights_ad']!.map((r) => String(r['date_start'])).filter(inOctober)).size;
    expect(days).to.equal(3);
    expect(got[0]).to.deep.include({ cac: null, is_spend_tracked: false, platforms_missing: null, platforms_partial: 'facebook_ads' });
    expect(Number(got[0]!['ratio'])).to.be.closeTo(Math.round(((days + 31 + 31) / 93) * 1e4) / 1e4, 1e-9);
  });

  it('documents every column of every built model and every source table (`dbt docs generate`), and documents no column a model lacks', async function () {
    const r = await runDbt(['docs', 'generate'], { duckdbPath: file, log, vars: DEMO_MODELS_VARS });
    expect(r.exitCode, r.errors.join('\n')).to.equal(0);
    type Columns = Record<string, { name: string; description?: string }>;
    const catalog = JSON.parse(readFileSync(path.join(r.targetPath, 'catalog.json'), 'utf8')) as { nodes: Record<string, { columns: Columns }> };
    const manifest = JSON.parse(readFileSync(path.join(r.targetPath, 'manifest.json'), 'utf8')) as {
      nodes: Record<string, { description: string; columns: Columns }>;
      sources: Record<string, { name: string; description: string }>;
    };
    const models = Object.keys(catalog.nodes).filter((id) => id.startsWith('model.fb_ads_elt.'));
    expect(models.length).to.be.greaterThan(20);
    const problems: string[] = [];
    for (const id of models) {
      const built = Object.keys(catalog.nodes[id]!.columns).map((c) => c.toLowerCase());
      const documented = manifest.nodes[id]!.columns;
      for (const c of built) if (!documented[c]?.description?.trim()) problems.push(`${id}.${c} has no description`);
      for (const c of Object.keys(documented)) if (!built.includes(c)) problems.push(`${id}.${c} is documented but not built`);
    }
    for (const s of Object.values(manifest.sources)) if (!s.description.trim()) problems.push(`source ${s.name} has no description`);
    expect(problems).to.deep.equal([]);
  });

  it('re-runs the ad report incrementally: days within the lookback before the run date and days loaded since the last build are replaced, not duplicated', async function () {
    const count = async (): Promise<number> => Number((await rows('select count(*) as n from analytics.facebook_ads__ad_report'))[0]!['n']);
    const before = await count();
    const target = fixture['insights_ad']!.at(-1)!;
    const ad = `ad_id = '${String(target['ad_id'])}'`;
    // A restatement inside the window (the run date is the row's own day), and a backfilled day
    // far outside it, loaded after the last build (the target stamps _sdc_batched_at per load).
    await withWarehouse(
      file,
      async (c) => {
        await c.run(`update facebook_ads.insights_ad set spend = spend + 10 where ${ad} and date_start = date '${String(target['date_start'])}'`);
        await c.run(`insert into facebook_ads.insights_ad select * replace (date '2025-01-15' as date_start, date '2025-01-15' as date_stop, timestamptz '2030-01-01 00:00:00+00' as _sdc_batched_at) from facebook_ads.insights_ad where ${ad} and date_start = date '${String(target['date_start'])}'`);
      },
      false,
    );
    // The run's instant as fb-ads-elt hands it to dbt (FB_ADS_ELT_NOW): 23:30 in New York is the next UTC day.
    const env = { ...process.env, FB_ADS_ELT_NOW: `${String(target['date_start'])}T23:30:00-05:00` };
    const again = await dbtBuild({ duckdbPath: file, log, env, vars: DEMO_MODELS_VARS, select: ['facebook_ads__ad_report'] });
    const compiled = readFileSync(path.join(dbtWorkDir(file), 'target', 'compiled', 'fb_ads_elt', 'models', 'marts', 'facebook_ads', 'facebook_ads__ad_report.sql'), 'utf8');
    const nextDay = new Date(Date.parse(`${String(target['date_start'])}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    expect(compiled, 'the lookback counts back from the UTC date of FB_ADS_ELT_NOW').to.include(`cast('${nextDay}' as date)`);
    expect(again.models).to.equal(1);
    expect(await count()).to.equal(before + 1);
    const got = await rows(`select cast(date_day as varchar) as d, spend from analytics.facebook_ads__ad_report where ${ad} and date_day in (date '${String(target['date_start'])}', date '2025-01-15') order by 1`);
    expect(got.map((g) => g['d'])).to.deep.equal(['2025-01-15', String(target['date_start'])]);
    for (const g of got) expect(Number(g['spend'])).to.be.closeTo(Number(target['spend']) + 10, 1e-9);
    const dups = await rows('select count(*) as n from (select ad_id, date_day from analytics.facebook_ads__ad_report group by 1, 2 having count(*) > 1)');
    expect(Number(dups[0]!['n'])).to.equal(0);
    expect(readdirSync(path.join(dbtWorkDir(file), 'target')), "dbt's target/ sits beside the warehouse and keeps its parse cache").to.include('partial_parse.msgpack');
  });

  it('fills an ad report first built while no ad row was loaded with every day loaded since, however old', async function () {
    const raw = Number((await rows('select count(*) as n from facebook_ads.insights_ad'))[0]!['n']);
    expect(raw).to.be.greaterThan(0);
    // The state a first build on a fresh warehouse leaves (the target created insights_ad, no row yet):
    // the table exists and is empty. A run date long after every loaded day puts them all outside the lookback.
    await withWarehouse(file, async (c) => void (await c.run('delete from analytics.facebook_ads__ad_report')), false);
    await dbtBuild({ duckdbPath: file, log, vars: { ...DEMO_MODELS_VARS, run_date: '2030-06-01' }, select: ['facebook_ads__ad_report'] });
    const got = await rows('select count(*) as n from analytics.facebook_ads__ad_report');
    expect(Number(got[0]!['n'])).to.equal(raw);
  });

  it('brings a rename and a deletion into the ad report days older than the lookback, as the table-built reports show them', async function () {
    const [renamed, deleted] = [...new Set(fixture['insights_ad']!.map((r) => String(r['ad_id'])))];
    expect(deleted, 'the fixture has two ads with insights').to.not.equal(undefined);
    // The target MERGEs the changed ads; no insights row is loaded, and the run date is long after
    // every loaded day, so neither the lookback nor the loaded-since rule re-processes any day.
    await withWarehouse(file, async (c) => void (await c.run(`update facebook_ads.ads set name = 'Renamed ad', status = case when id = '${deleted!}' then 'DELETED' else status end where id in ('${renamed!}', '${deleted!}')`)), false);
    const before = Number((await rows('select count(*) as n from analytics.facebook_ads__ad_report'))[0]!['n']);
    await dbtBuild({ duckdbPath: file, log, vars: { ...DEMO_MODELS_VARS, run_date: '2030-06-01' }, select: ['facebook_ads__ad_report'] });
    const got = await rows(`select ad_id, ad_name, ad_status, count(*) as n from analytics.facebook_ads__ad_report where ad_id in ('${renamed!}', '${deleted!}') group by all order by 1, 2, 3`);
    const loaded = await rows(`select ad_id, count(*) as n from facebook_ads.insights_ad where ad_id in ('${renamed!}', '${deleted!}') group by 1`);
    const days = (ad: string): number => Number(loaded.find((l) => l['ad_id'] === ad)!['n']);
    expect(got.map((g) => [g['ad_id'], g['ad_name'], g['ad_status'], Number(g['n'])])).to.deep.equal(
      [
        [renamed, 'Renamed ad', fixture['ads']!.find((a) => a['id'] === renamed)!['status'], days(renamed!)],
        [deleted, 'Renamed ad', 'DELETED', days(deleted!)],
      ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    );
    expect(Number((await rows('select count(*) as n from analytics.facebook_ads__ad_report'))[0]!['n'])).to.equal(before);
  });

  it('re-counts the conversions of every ad report day counted with another var conversion_action_types, as the table-built reports are re-counted whole', async function () {
    const only = ['offsite_conversion.fb_pixel_purchase'];
    const counted = (types: string[]): Map<string, number> =>
      new Map(fixture['insights_ad']!.map((r) => [`${String(r['ad_id'])}|${String(r['date_start'])}`, ((r['actions'] as Row[] | undefined) ?? []).filter((a) => types.includes(String(a['action_type']))).reduce((n, a) => n + Number(a['value']), 0)]));
    const stored = async (): Promise<{ conversions: Map<string, number>; lists: string[] }> => {
      const got = await rows('select ad_id, cast(date_day as varchar) as d, conversions, conversion_action_types as types from analytics.facebook_ads__ad_report');
      // The fixture's ad-days (an earlier test loaded a backfilled copy of one of them too).
      const fixtureDays = counted([]);
      return {
        conversions: new Map(got.map((g): [string, number] => [`${String(g['ad_id'])}|${String(g['d'])}`, Number(g['conversions'])]).filter(([k]) => fixtureDays.has(k))),
        lists: [...new Set(got.map((g) => String(g['types'])))],
      };
    };
    const defaults = projectVars()['conversion_action_types'] as string[];
    expect(counted(only), 'the fixture has conversions the narrower list leaves out').to.not.deep.equal(counted(defaults));
    // The run date long after every loaded day: neither the lookback nor the loaded-since rule re-processes any.
    // The build's reconciliation test (assert_facebook_ad_spend_reconciles) counts staging with the new list.
    await dbtBuild({ duckdbPath: file, log, vars: { ...DEMO_MODELS_VARS, run_date: '2030-06-01', conversion_action_types: only }, select: ['facebook_ads__ad_report'] });
    expect(await stored()).to.deep.equal({ conversions: counted(only), lists: [only.join(',')] });
    // And back, in any order: the same definition.
    await dbtBuild({ duckdbPath: file, log, vars: { ...DEMO_MODELS_VARS, run_date: '2030-06-01', conversion_action_types: [...defaults].reverse() }, select: ['facebook_ads__ad_report'] });
    expect(await stored()).to.deep.equal({ conversions: counted(defaults), lists: [[...defaults].sort().join(',')] });
  });

  it('`fb-ads-elt models build` exits 6 naming the broken model, the failed unit test, grain test and reconciliation test', async function () {
    const root = mkdtempSync(path.join(os.tmpdir(), 'dbt-broken-'));
    try {
      const project = copyProject(root);
      // Four breakages on separate branches of the DAG: a failing test skips everything downstream
      // of the model it tests, so none may sit above another.
      editFile(project, 'models/marts/facebook_ads/facebook_ads__ad_set_report.sql', '    insights.impressions,', '    insights.impression_count as impressions,');
      editFile(project, 'models/marts/marketing/_marketing__models.yml', "{month_start: '2026-10-01', spend: 115.5, new_customers: 3, cac: 38.5}", "{month_start: '2026-10-01', spend: 115.5, new_customers: 3, cac: 40}");
      const dropped = fixture['campaigns']![0]!['id'];
      editFile(project, 'models/marts/facebook_ads/facebook_ads__ad_report.sql', 'left join creatives\n    on ads.creative_id = creatives.creative_id', `left join creatives\n    on ads.creative_id = creatives.creative_id\nwhere insights.campaign_id != '${String(dropped)}'`);
      const dup = fullFixture();
      dup['insights_account'] = [...dup['insights_account']!, dup['insights_account']![0]!];
      const broken = path.join(root, 'broken.duckdb');
      await writeWarehouse(broken, dup);

      const run = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'fb-ads-elt.js'), 'models', 'build', '--project', project, '--duckdb-path', broken, '--vars', JSON.stringify(DEMO_MODELS_VARS)], { encoding: 'utf8', timeout: 300_000 });
      expect(run.status, run.stderr.slice(-3000)).to.equal(6);
      expect(run.stdout).to.equal('');
      const last = JSON.parse(run.stderr.trim().split('\n').at(-1)!) as { level: string; exit_code: number; msg: string; failed: string[]; skipped: number };
      expect(last).to.include({ level: 'error', exit_code: 6 });
      expect(last.failed).to.include.members([
        'model facebook_ads__ad_set_report',
        'unit test fct_cac_monthly::cac_nets_refunds_and_credits_against_spend',
        'test assert_facebook_ad_spend_reconciles',
      ]);
      expect(last.failed.some((n) => n.startsWith('test grain_is_unique_stg_facebook_ads__insights_account')), 'grain test').to.equal(true);
      expect(last.msg).to.match(/impression_count/);
      expect(last.skipped).to.be.greaterThan(0);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('dbt build of dbt/ in production (no vars) on a warehouse with only the Facebook raw tables', function () {
  this.timeout(600_000);
  let tmp: string;
  let file: string;
  let result: DbtBuildResult;
  const log = new Logger({ component: 'test', sink: new MemorySink(), level: 'warn' });

  before(async function () {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'dbt-prod-'));
    file = path.join(tmp, 'warehouse.duckdb');
    await writeWarehouse(file, fullFixture());
    result = await dbtBuild({ duckdbPath: file, log });
  });
  after(function () {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('`fb-ads-elt report` writes the report without CAC (no orders relation named)', function () {
    const out = path.join(tmp, 'report.html');
    const run = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'fb-ads-elt.js'), 'report', '--duckdb-path', file, '--out', out, '--json'], { encoding: 'utf8', timeout: 120_000 });
    expect(run.status, run.stderr.slice(-2000)).to.equal(0);
    const printed = JSON.parse(run.stdout) as { path: string; report: { cac: unknown[]; spendDaily: unknown[] } };
    expect(printed.path).to.equal(out);
    expect(printed.report.cac).to.deep.equal([]);
    expect(printed.report.spendDaily.length).to.be.greaterThan(0);
    expect(readFileSync(out, 'utf8')).to.match(/^<!doctype html>/i);
  });

  it('builds every Facebook model and the spend fact, loads no demo seed, and leaves CAC off until an orders relation is named', async function () {
    expect(result.results.failed).to.deep.equal([]);
    // No FX rates configured: foreign-currency spend_reporting is NULL by design, no warning; no orders, no zone warning.
    expect(result.results.nodes.filter((n) => n.status === 'warn').map((n) => n.name)).to.deep.equal([]);
    const types = new Set(result.results.nodes.map((n) => n.resourceType));
    expect(types.has('seed'), 'no demo seed is loaded').to.equal(false);
    const models = result.results.nodes.filter((n) => n.resourceType === 'model').map((n) => n.name);
    expect(models).to.include.members(['facebook_ads__ad_report', 'facebook_ads__account_monthly_reach', 'fct_ad_spend_daily', 'stg_fx__rates_daily']);
    expect(models.filter((m) => /cac|google|tiktok/.test(m))).to.deep.equal([]);
    const platforms = await withWarehouse(file, async (c) => (await c.runAndReadAll('select distinct platform from analytics.fct_ad_spend_daily')).getRowObjectsJson());
    expect(platforms).to.deep.equal([{ platform: 'facebook_ads' }]);
  });

  it('`dbt source freshness` checks the tables every sync rewrites and the last successful sync, not the last edit of a campaign', async function () {
    // Times relative to the warehouse's own now(), which dbt's freshness compares against: the
    // outcome does not depend on the date the test runs. The last sync ran an hour ago and
    // rewrote the full-table streams and the insights; no campaign, ad set, ad or creative was
    // edited for five days, so the incremental entity streams sent nothing new. That sync failed
    // for its account, though: the last successful one was three days ago.
    await withWarehouse(
      file,
      async (c) => {
        for (const t of ['ad_accounts', 'businesses', 'pages', 'pixels', 'product_catalogs', 'insights_account', 'insights_campaign', 'insights_adset', 'insights_ad']) {
          await c.run(`insert into facebook_ads.${t} by name select now() - interval 1 hour as _sdc_batched_at`);
        }
        for (const t of ['campaigns', 'ad_sets', 'ads', 'ad_creatives', 'campaigns__history', 'ad_sets__history', 'ads__history']) await c.run(`update facebook_ads.${t} set _sdc_batched_at = now() - interval 5 day`);
        await c.run("insert into facebook_ads.sync_log by name select 'r1' as run_id, '1' as account_id, 'failed' as status, now() - interval 1 hour as finished_at");
        await c.run("insert into facebook_ads.sync_log by name select 'r0' as run_id, '1' as account_id, 'ok' as status, now() - interval 3 day as finished_at");
      },
      false,
    );
    const r = await runDbt(['source', 'freshness'], { duckdbPath: file, log });
    const out = JSON.parse(readFileSync(path.join(r.targetPath, 'sources.json'), 'utf8')) as { results: Array<{ unique_id: string; status: string }> };
    const statuses = Object.fromEntries(out.results.map((s) => [s.unique_id.split('.').at(-1)!, s.status]));
    const rewritten = ['ad_accounts', 'businesses', 'pages', 'pixels', 'product_catalogs', 'insights_account', 'insights_campaign', 'insights_adset', 'insights_ad'];
    expect(statuses).to.deep.equal({ ...Object.fromEntries(rewritten.map((t) => [t, 'pass'])), sync_log: 'error' });
  });
});
