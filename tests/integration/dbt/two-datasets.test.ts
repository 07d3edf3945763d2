// Two target configs with their own dataset on one DuckDB file, each with its models built by real
// dbt: each dataset's models live in their own schema (dbt/profile.ts modelsSchema) and
// `fb-ads-elt report` reads the dataset it is told, refusing to guess between two. Both builds went
// into one schema: the second merged into the first's incremental marts (its reconciliation test
// failed, exit 6) and the report showed whichever was built last.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { REPO_ROOT } from '../../../connector/core/config.js';
import { Logger } from '../../../connector/core/log.js';
import { dbtBuild } from '../../../connector/dbt/run.js';
import { MemorySink } from '../pipeline/standins.js';
import { deriveUpperInsights, loadRawWarehouse, readFixture, type Fixture } from './raw-warehouse.js';

const FIXTURE = path.join(REPO_ROOT, 'tests', 'integration', 'dbt', 'fixtures', 'raw-facebook-ads.json');
const ONLY = '2234567890123457';

/** The fixture with every row of another account than `account` left out. */
function oneAccount(raw: Fixture, account: string): Fixture {
  const kept = Object.fromEntries(Object.entries(raw).map(([stream, rows]) => [stream, rows.filter((r) => r['account_id'] === undefined || r['account_id'] === account)]));
  return { ...kept, ...deriveUpperInsights(kept['insights_ad'] ?? []) };
}

describe('two datasets on one DuckDB file, each with its models (real dbt)', function () {
  this.timeout(300_000);
  let dir: string;
  let file: string;
  const log = new Logger({ component: 'test', sink: new MemorySink(), level: 'warn' });
  const raw = readFixture(FIXTURE);

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'two-datasets-'));
    file = path.join(dir, 'warehouse.duckdb');
    const instance = await DuckDBInstance.create(file);
    const conn = await instance.connect();
    await loadRawWarehouse(conn, { ...raw, ...deriveUpperInsights(raw['insights_ad'] ?? []) }, dir);
    await loadRawWarehouse(conn, oneAccount(raw, ONLY), dir, 'client_b');
    conn.closeSync();
    instance.closeSync();
    // As sync --models builds for each target config: the dataset as var facebook_ads_schema.
    await dbtBuild({ duckdbPath: file, log, vars: { facebook_ads_schema: 'facebook_ads' } });
    await dbtBuild({ duckdbPath: file, log, vars: { facebook_ads_schema: 'client_b' } });
    for (const ds of ['facebook_ads', 'client_b']) writeFileSync(path.join(dir, `${ds}.json`), JSON.stringify({ destination: 'duckdb', duckdb_path: file, dataset: ds }));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const report = (...args: string[]) => {
    const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'fb-ads-elt.js'), 'report', '--json', '--out', path.join(dir, 'report.html'), ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    return { status: r.status, json: JSON.parse(r.stdout) as { report?: { topCampaigns: Array<{ account_id: string }> }; failures?: Array<{ message: string; hint?: string }> } };
  };
  const accounts = (r: ReturnType<typeof report>): string[] => [...new Set((r.json.report?.topCampaigns ?? []).map((c) => c.account_id))].sort();

  it("builds each dataset's models in a schema of their own", async () => {
    const instance = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY' });
    const conn = await instance.connect();
    try {
      const q = async (schema: string) => (await conn.runAndReadAll(`select distinct account_id from "${schema}".facebook_ads__campaign_report order by 1`)).getRows().map((r) => String(r[0]));
      expect(await q('analytics')).to.deep.equal(['1234567890123456', ONLY]);
      expect(await q('analytics_client_b')).to.deep.equal([ONLY]);
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
  });

  it("reports the target config's dataset, or the one --dataset names", () => {
    const all = report('--target-config', 'facebook_ads.json');
    expect(all.status).to.equal(0);
    expect(accounts(all)).to.deep.equal(['1234567890123456', ONLY]);
    const b = report('--target-config', 'client_b.json');
    expect(b.status).to.equal(0);
    expect(accounts(b)).to.deep.equal([ONLY]);
    expect(accounts(report('--duckdb-path', file, '--dataset', 'client_b'))).to.deep.equal([ONLY]);
    // --dataset wins over the target config's.
    expect(accounts(report('--target-config', 'facebook_ads.json', '--dataset', 'client_b'))).to.deep.equal([ONLY]);
  });

  it('refuses to pick one of two datasets by itself, and a dataset without models, naming those found (exit 2)', () => {
    const r = report('--duckdb-path', file);
    expect(r.status).to.equal(2);
    expect(r.json.failures?.[0]?.message).to.equal('the warehouse holds the models of 2 datasets, facebook_ads (in analytics), client_b (in analytics_client_b): say which one the report is about');
    expect(r.json.failures?.[0]?.hint).to.equal('Pass --target-config <file> (its dataset) or --dataset <name>, e.g. --dataset facebook_ads.');
    const none = report('--duckdb-path', file, '--dataset', 'client_c');
    expect(none.status).to.equal(2);
    expect(none.json.failures?.[0]?.message).to.equal('the warehouse has no models of dataset "client_c": it holds the models of facebook_ads (in analytics), client_b (in analytics_client_b)');
    expect(none.json.failures?.[0]?.hint).to.include("fb-ads-elt models build --duckdb-path <file> --vars '{facebook_ads_schema: client_c}'");
  });
});
