// `fb-ads-elt report` refusals: each bad input exits with its documented code and says what to do,
// and no report file is left behind. The report itself is checked on a real dbt build
// (tests/integration/dbt/build.test.ts).
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { REPO_ROOT } from '../../../connector/core/config.js';

describe('fb-ads-elt report: bad input', function () {
  this.timeout(60_000);
  let dir: string;
  let bare: string;
  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'report-cli-'));
    // A warehouse the target wrote, before any models were built.
    bare = path.join(dir, 'raw-only.duckdb');
    const instance = await DuckDBInstance.create(bare);
    const c = await instance.connect();
    await c.run('CREATE SCHEMA facebook_ads; CREATE TABLE facebook_ads.insights_ad (ad_id VARCHAR)');
    c.closeSync();
    instance.closeSync();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const report = (...args: string[]) => {
    const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'fb-ads-elt.js'), 'report', ...args], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
    const last = r.stderr.trim().split('\n').at(-1) ?? '';
    return { status: r.status, stdout: r.stdout, error: (last.startsWith('{') ? JSON.parse(last) : {}) as { msg?: string; hint?: string; exit_code?: number } };
  };

  it('wants exactly one of --duckdb-path and --target-config (exit 2)', () => {
    for (const args of [[], ['--duckdb-path', bare, '--target-config', 'target.json']]) {
      const r = report(...args);
      expect(r.status).to.equal(2);
      expect(r.error.msg).to.match(/pass --duckdb-path <file> or --target-config <file> \(one of them\)/);
    }
  });

  it('names a missing warehouse file (exit 2), with --json as a JSON answer on stdout too', () => {
    const r = report('--duckdb-path', path.join(dir, 'typo.duckdb'));
    expect(r.status).to.equal(2);
    expect(r.error.msg).to.equal(`no DuckDB warehouse at ${path.join(dir, 'typo.duckdb')}`);
    expect(r.stdout).to.equal('');
    // As sync --json: stdout was empty, so a caller parsing it failed on the refusal itself.
    const json = report('--duckdb-path', path.join(dir, 'typo.duckdb'), '--json');
    expect(json.status).to.equal(2);
    expect(JSON.parse(json.stdout)).to.deep.equal({
      status: 'failed',
      exit_code: 2,
      failures: [{ scope: 'pipeline', kind: 'config', message: `no DuckDB warehouse at ${path.join(dir, 'typo.duckdb')}`, hint: json.error.hint }],
    });
  });

  it('refuses a file that is no DuckDB warehouse, and says to pass a target config as --target-config (exit 2; DuckDB failed as a bug, exit 1)', () => {
    const notes = path.join(dir, 'notes.duckdb');
    writeFileSync(notes, 'not a database\n');
    const cfg = path.join(dir, 'target.json');
    writeFileSync(cfg, JSON.stringify({ destination: 'duckdb', duckdb_path: bare }));
    const r = report('--duckdb-path', notes);
    expect([r.status, r.error.msg]).to.deep.equal([2, `${notes} is not a DuckDB warehouse`]);
    const config = report('--duckdb-path', cfg, '--out', path.join(dir, 'out', 'r.html'));
    expect([config.status, config.error.msg]).to.deep.equal([2, `${cfg} is not a DuckDB warehouse`]);
    expect(config.error.hint).to.match(/pass the target config as --target-config/);
    expect(existsSync(path.join(dir, 'out'))).to.equal(false);
  });

  it('says a relative duckdb_path is read from the current folder, naming the warehouse beside the target config (exit 2)', () => {
    const sub = path.join(dir, 'client');
    mkdirSync(sub, { recursive: true });
    copyFileSync(bare, path.join(sub, 'wh.duckdb'));
    writeFileSync(path.join(sub, 'target.json'), JSON.stringify({ destination: 'duckdb', duckdb_path: 'wh.duckdb' }));
    const r = report('--target-config', path.join('client', 'target.json'));
    expect(r.status).to.equal(2);
    expect(r.error.msg).to.equal(`no DuckDB warehouse at ${path.join(dir, 'wh.duckdb')}: duckdb_path "wh.duckdb" in ${path.join('client', 'target.json')} is relative, so it is read from the current folder, as sync reads it`);
    expect(r.error.hint).to.equal(`Run report from ${sub}, or pass --duckdb-path ${path.join(sub, 'wh.duckdb')}.`);
  });

  it('says to build the models first on a warehouse without them (exit 2), writing nothing', () => {
    const r = report('--duckdb-path', bare, '--out', path.join(dir, 'out', 'r.html'));
    expect(r.status).to.equal(2);
    expect(r.error.msg).to.equal('the warehouse has no fct_ad_spend_daily model');
    expect(r.error.hint).to.match(/fb-ads-elt models build/);
    expect(existsSync(path.join(dir, 'out'))).to.equal(false);
  });

  it('refuses a BigQuery target config, naming the models to read there instead (exit 2)', () => {
    const cfg = path.join(dir, 'bq.json');
    writeFileSync(cfg, JSON.stringify({ destination: 'bigquery', project_id: 'acme-ads-prod', dataset: 'meta_raw' }));
    const r = report('--target-config', cfg);
    expect(r.status).to.equal(2);
    expect(r.error.msg).to.match(/^report reads a DuckDB warehouse; target config .* loads into bigquery$/);
    expect(r.error.hint).to.match(/fct_ad_spend_daily/);
  });

  it('refuses an --out that is a folder (exit 2)', () => {
    const folder = path.join(dir, 'a-folder');
    mkdirSync(folder, { recursive: true });
    const r = report('--duckdb-path', bare, '--out', folder);
    expect(r.status).to.equal(2);
    expect(r.error.msg).to.match(/^cannot write the report to .*a-folder: it is a folder/);
    expect(readdirSync(folder)).to.deep.equal([]);
  });

  it('says another run holds the warehouse while a sync writes it (exit 7: re-run later)', async () => {
    const instance = await DuckDBInstance.create(bare);
    const c = await instance.connect();
    try {
      const r = report('--duckdb-path', bare);
      expect(r.status).to.equal(7);
      expect(r.error.msg).to.match(/^another run holds .*raw-only\.duckdb/);
    } finally {
      c.closeSync();
      instance.closeSync();
    }
  });
});
