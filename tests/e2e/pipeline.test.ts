// End to end, with nothing stood in: the Graph sandbox on loopback, the real tap and target as
// child processes, DuckDB, the dbt models and the HTML report. Figures are checked against what
// the sandbox says the API serves (spend per account and day, to the cent) and against the marts.
import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { parse, type HTMLElement } from 'node-html-parser';
import { startSandbox, type Sandbox } from '../../connector/sandbox/index.js';
import { Logger } from '../../connector/core/log.js';
import { DEMO_MODELS_VARS, runDemo, type DemoResult } from '../../connector/pipeline/demo.js';
import { runSync } from '../../connector/pipeline/sync.js';
import { locateMarts } from '../../connector/report/marts.js';
import { readRunResults } from '../../connector/dbt/results.js';
import { dbtWorkDir, runDbt } from '../../connector/dbt/run.js';
import { MemorySink } from '../integration/pipeline/standins.js';

/** A decimal string as integer cents, rounded half away from zero (how a person compares money). */
function cents(v: unknown): bigint {
  const m = /^(-)?(\d*)(?:\.(\d*))?$/.exec(String(v).trim());
  if (!m) throw new Error(`not a decimal: ${String(v)}`);
  const frac = (m[3] ?? '').padEnd(3, '0');
  let c = BigInt((m[2] || '0') + frac.slice(0, 2));
  if (Number(frac[2]) >= 5) c += 1n;
  return m[1] ? -c : c;
}

async function query(file: string, sql: (marts: Record<string, string>) => string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY' });
  const conn = await db.connect();
  try {
    const marts = await locateMarts(conn);
    return (await conn.runAndReadAll(sql(marts))).getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

describe('end to end: sandbox → tap → target (DuckDB) → dbt models → HTML report', function () {
  this.timeout(600_000);
  let sandbox: Sandbox;
  let dir: string;
  let demo: DemoResult;
  const sink = new MemorySink();
  const log = (): Logger => new Logger({ component: 'e2e', sink, level: 'warn' });

  before(async () => {
    sandbox = await startSandbox({ world: 'small', seed: 3, jobDurationMs: 10 });
    dir = mkdtempSync(path.join(tmpdir(), 'e2e-pipeline-'));
    demo = await runDemo({ dir, sandbox, days: 21, log: log(), syncOverrides: { logSink: sink, relayLevel: 'warn' } });
  });
  after(async () => {
    await sandbox?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const accountIds = (): string[] => demo.summary.accounts.list.map((a) => a.account_id);

  it('syncs every account the tokens reach, exits 0 and saves a bookmark for each', () => {
    expect(demo.exitCode, sink.text).to.equal(0);
    expect(demo.summary.failures).to.deep.equal([]);
    expect(accountIds().sort()).to.deep.equal(sandbox.world.accounts.map((a) => a.accountId).sort());
    expect(demo.summary.accounts.added).to.equal(accountIds().length);
    const state = JSON.parse(readFileSync(demo.files.stateFile, 'utf8')) as { bookmarks: Record<string, Record<string, unknown>> };
    expect(Object.keys(state.bookmarks['insights_account'] ?? {}).sort()).to.deep.equal(accountIds().sort());
    expect(demo.summary.models).to.include({ ran: true, exit_code: 0 });
    expect(demo.summary.api_calls).to.be.greaterThan(0);
  });

  it('never leaks a token into logs, state or the report', () => {
    const texts = [sink.text, readFileSync(demo.files.stateFile, 'utf8'), readFileSync(demo.reportPath!, 'utf8'), JSON.stringify(demo.summary)];
    for (const t of sandbox.tokens) for (const text of texts) expect(text).not.to.include(t.token);
  });

  const expectedSpend = (level: 'account' | 'campaign', from: string, to: string): Map<string, bigint> => {
    const out = new Map<string, bigint>();
    for (const a of accountIds()) {
      for (const row of sandbox.expectedInsights({ accountId: a, level, since: from, until: to })) {
        const key = `${a}|${row['date_start']}`;
        out.set(key, (out.get(key) ?? 0n) + cents(row['spend']));
      }
    }
    return out;
  };
  const asMap = (rows: Record<string, unknown>[]): Map<string, bigint> => new Map(rows.map((r) => [`${String(r['account_id'])}|${String(r['d'])}`, cents(r['spend'])]));

  it('puts the spend the API serves for each account and day into the account report, to the cent', async () => {
    const { from, to } = demo.period;
    const expected = expectedSpend('account', from, to);
    expect(expected.size).to.be.greaterThan(accountIds().length * 10);
    const rows = await query(demo.files.warehouse, () => `select account_id, cast(date_day as varchar) as d, cast(spend as varchar) as spend from analytics.facebook_ads__account_report where spend <> 0`);
    const actual = asMap(rows);
    for (const [k, v] of expected) if (v === 0n) expected.delete(k);
    expect(Object.fromEntries([...actual].map(([k, v]) => [k, v.toString()]))).to.deep.equal(Object.fromEntries([...expected].map(([k, v]) => [k, v.toString()])));
  });

  it('carries the same spend per account and day into the cross-channel fct_ad_spend_daily', async () => {
    const { from, to } = demo.period;
    const expected = expectedSpend('campaign', from, to);
    const rows = await query(demo.files.warehouse, (m) => `select account_id, cast(date_day as varchar) as d, cast(sum(spend) as varchar) as spend from ${m['spendDaily']} where platform = 'facebook_ads' group by 1, 2 having sum(spend) <> 0`);
    for (const [k, v] of expected) if (v === 0n) expected.delete(k);
    expect(asMap(rows)).to.deep.equal(expected);
  });

  describe('the HTML report', () => {
    let root: HTMLElement;
    let html: string;
    before(() => {
      html = readFileSync(demo.reportPath!, 'utf8');
      root = parse(html);
    });
    const value = (el: HTMLElement | null | undefined): string => {
      expect(el, 'element exists').to.not.equal(null);
      return el!.getAttribute('data-value') ?? '';
    };

    it('is a self-contained page with three charts and no scripts or external resources', () => {
      expect(root.querySelectorAll('script')).to.have.length(0);
      expect(html).not.to.match(/(src|href)\s*=\s*["']?(https?:)?\/\//i);
      expect(root.querySelectorAll('svg')).to.have.length(3);
      expect(root.querySelectorAll('#spend-by-channel svg path').length).to.be.greaterThan(0);
      expect(root.querySelector('#top-campaigns')?.text).not.to.match(/NaN|undefined|null/);
      expect(html).not.to.match(/NaN|undefined|\[object /);
    });

    it('shows each channel’s spend over the synced days as the marts sum it', async () => {
      const { from, to } = demo.report!.period;
      const rows = await query(demo.files.warehouse, (m) => `select platform, cast(sum(spend_reporting) as varchar) as s from ${m['spendDaily']} where date_day between '${from}' and '${to}' group by 1`);
      expect(rows.map((r) => r['platform']).sort()).to.include('facebook_ads');
      for (const r of rows) expect(cents(value(root.querySelector(`#spend-by-channel tr[data-channel="${String(r['platform'])}"] td[data-value]`))), String(r['platform'])).to.equal(cents(r['s']));
      // The headline total rounds the exact sum once (a sum of rounded channel totals can be a cent off).
      const [all] = await query(demo.files.warehouse, (m) => `select cast(sum(spend_reporting) as varchar) as s from ${m['spendDaily']} where date_day between '${from}' and '${to}'`);
      expect(cents(value(root.querySelector('#kpi-spend b')))).to.equal(cents(all!['s']));
    });

    it('shows blended and per-channel CAC per month exactly as fct_cac_monthly and fct_cac_by_channel_monthly', async () => {
      const { from, to } = demo.report!.period;
      const inMonths = `month_start between date_trunc('month', date '${from}') and date_trunc('month', date '${to}')`;
      const blended = await query(demo.files.warehouse, (m) => `select strftime(month_start, '%Y-%m') as m, cast(spend as varchar) as spend, new_customers, cast(cac as varchar) as cac from ${m['cacMonthly']} where ${inMonths}`);
      const channel = await query(demo.files.warehouse, (m) => `select strftime(month_start, '%Y-%m') as m, channel, cast(spend as varchar) as spend, new_customers, cast(cac as varchar) as cac from ${m['cacByChannel']} where ${inMonths}`);
      expect(
        channel.filter((c) => ['organic', 'unattributed'].includes(String(c['channel'])) && c['cac'] !== null),
        'organic and unattributed CAC is NULL',
      ).to.deep.equal([]);
      expect(blended.length).to.be.greaterThan(0);
      const rowsShown = root.querySelectorAll('#cac tbody tr');
      expect(rowsShown).to.have.length(blended.length + channel.length);
      for (const r of [...blended.map((b): Record<string, unknown> => ({ ...b, channel: 'blended' })), ...channel]) {
        const tds = root.querySelectorAll(`#cac tr[data-month="${String(r['m'])}"][data-channel="${String(r['channel'])}"] td`);
        expect(tds, `${String(r['m'])} ${String(r['channel'])}`).to.have.length(5);
        // Untracked spend (organic, unattributed, outside the synced months) and undefined CAC are "—", never 0.
        if (r['spend'] === null) expect(tds[2]!.text).to.equal('—');
        else expect(cents(tds[2]!.getAttribute('data-value'))).to.equal(cents(r['spend']));
        expect(Number(tds[3]!.getAttribute('data-value'))).to.equal(Number(r['new_customers']));
        if (r['cac'] === null) expect(tds[4]!.text).to.equal('—');
        else expect(cents(tds[4]!.getAttribute('data-value'))).to.equal(cents(r['cac']));
      }
    });

    it('lists the top campaigns in the order and with the figures of the marts', async () => {
      const { from, to } = demo.report!.period;
      const top = await query(
        demo.files.warehouse,
        (m) => `select s.campaign_id, cast(s.usd as varchar) as usd, r.impressions, r.clicks
                  from (select campaign_id, sum(spend_reporting) as usd from ${m['spendDaily']} where platform = 'facebook_ads' and date_day between '${from}' and '${to}' group by 1) s
                  join (select campaign_id, sum(impressions) as impressions, sum(clicks) as clicks from ${m['campaignReport']} where date_day between '${from}' and '${to}' group by 1) r using (campaign_id)
                 order by s.usd desc, s.campaign_id limit 10`,
      );
      const shown = root.querySelectorAll('#top-campaigns tr[data-campaign-id]');
      expect(shown.map((tr) => tr.getAttribute('data-campaign-id'))).to.deep.equal(top.map((t) => String(t['campaign_id'])));
      shown.forEach((tr, i) => {
        const vals = tr.querySelectorAll('td[data-value]').map((td) => td.getAttribute('data-value')!);
        expect(cents(vals[0])).to.equal(cents(top[i]!['usd']));
        expect(Number(vals[2])).to.equal(Number(top[i]!['impressions']));
        expect(Number(vals[3])).to.equal(Number(top[i]!['clicks']));
      });
    });
  });

  describe('the dbt project on the demo warehouse', () => {
    it('was built by real dbt: run_results.json beside the warehouse lists every model as a success and no test as a warning', () => {
      const results = readRunResults(path.join(dbtWorkDir(demo.files.warehouse), 'target', 'run_results.json'));
      expect(results, 'dbt wrote run_results.json').to.not.equal(undefined);
      expect(results!.failed).to.deep.equal([]);
      // A healthy demo warns about nothing: a warning there would teach users to ignore warnings.
      expect(results!.nodes.filter((n) => n.status === 'warn').map((n) => `${n.name} ${n.failures}`)).to.deep.equal([]);
      const models = results!.nodes.filter((n) => n.resourceType === 'model');
      expect(models.length).to.equal(demo.summary.models.models);
      expect(models.map((m) => m.name)).to.include.members(['fct_cac_monthly', 'facebook_ads__ad_report']);
      expect(results!.nodes.some((n) => n.resourceType === 'unit_test' && n.status === 'pass')).to.equal(true);
    });

    it('`dbt docs generate` documents every model with the columns of the built tables', async () => {
      const r = await runDbt(['docs', 'generate'], { duckdbPath: demo.files.warehouse, log: log(), vars: DEMO_MODELS_VARS });
      expect(r.exitCode, sink.text.slice(-3000)).to.equal(0);
      const catalog = JSON.parse(readFileSync(path.join(r.targetPath, 'catalog.json'), 'utf8')) as { nodes: Record<string, { columns: Record<string, unknown> }> };
      expect(Object.keys(catalog.nodes['model.fb_ads_elt.fct_cac_monthly']?.columns ?? {})).to.include.members(['month_start', 'cac']);
      expect(existsSync(path.join(r.targetPath, 'index.html'))).to.equal(true);
    });
  });

  // Runs last (mocha runs a suite's own tests before its nested suites): it changes the warehouse.
  describe('the next run', () => {
    it('continues from the saved state: accounts are updated, not added, and restated days are re-read', async () => {
      const before = readFileSync(demo.files.stateFile, 'utf8');
      sandbox.advanceDay(1);
      const r = await runSync({
        tapConfigPath: demo.files.tapConfig,
        targetConfigPath: demo.files.targetConfig,
        stateFile: demo.files.stateFile,
        models: true,
        modelsVars: DEMO_MODELS_VARS,
        clock: () => sandbox.now(),
        log: log(),
        logSink: sink,
        relayLevel: 'warn',
      });
      expect(r.exitCode, sink.text).to.equal(0);
      expect(r.summary.accounts).to.include({ found: accountIds().length, added: 0 });
      expect(readFileSync(demo.files.stateFile, 'utf8')).to.not.equal(before);
      const { from, to } = demo.period;
      const expected = expectedSpend('account', from, to);
      for (const [k, v] of expected) if (v === 0n) expected.delete(k);
      const rows = await query(demo.files.warehouse, () => `select account_id, cast(date_day as varchar) as d, cast(spend as varchar) as spend from analytics.facebook_ads__account_report where spend <> 0 and date_day <= '${to}'`);
      expect(asMap(rows)).to.deep.equal(expected);
      const dups = await query(demo.files.warehouse, () => `select count(*) as n from (select account_id, date_start from facebook_ads.insights_account group by 1, 2 having count(*) > 1)`);
      expect(Number(dups[0]!['n'])).to.equal(0);
      expect(existsSync(demo.files.warehouse)).to.equal(true);
    });
  });
});
