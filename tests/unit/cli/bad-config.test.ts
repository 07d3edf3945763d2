import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../../connector/core/config.js';
import { sourceTables } from '../../../connector/dbt/raw-schema.js';

const dir = mkdtempSync(path.join(tmpdir(), 'cli-bad-config-'));
const file = (name: string, text: string): string => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};

function run(bin: string, args: string[], env: NodeJS.ProcessEnv = process.env): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', bin), ...args], { encoding: 'utf8', input: '', timeout: 60_000, env });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('every CLI given a missing or malformed config', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));
  const malformed = file('malformed.json', '{"access_token": "sbx_tok_0123456789",}');
  const cases: Array<[string, string[]]> = [
    ['tap-facebook-ads.js', ['--config', path.join(dir, 'missing.json')]],
    ['tap-facebook-ads.js', ['--config', malformed]],
    ['tap-facebook-ads.js', ['--config', file('no-token.json', '{"start_date":"2026-01-01"}')]],
    ['target-bigquery.js', ['--config', path.join(dir, 'missing.json')]],
    ['target-bigquery.js', ['--config', malformed]],
    ['target-bigquery.js', ['--config', file('bad-dest.json', '{"destination":"snowflake"}')]],
  ];
  for (const [bin, args] of cases) {
    it(`${bin} ${path.basename(args[1]!)} exits 2 with one actionable line on stderr and nothing on stdout`, () => {
      const r = run(bin, args);
      expect(r.status).to.equal(2);
      expect(r.stdout).to.equal('');
      const lines = r.stderr.trim().split('\n');
      const last = JSON.parse(lines[lines.length - 1]!) as Record<string, unknown>;
      expect(last['error_kind']).to.equal('config');
      expect(String(last['hint'])).to.have.length.greaterThan(10);
      expect(r.stderr).not.to.include('sbx_tok_0123456789');
    });
  }
});

describe('every bin given an unknown option or a missing option value', () => {
  for (const [bin, args] of [
    ['tap-facebook-ads.js', ['--bogus']],
    ['tap-facebook-ads.js', ['--config']],
    ['target-bigquery.js', ['--bogus']],
    ['fb-ads-elt.js', ['sync', '--bogus']],
  ] as const) {
    it(`${bin} ${args.join(' ')} writes only JSON log lines on stderr (one error with a hint), exit 2`, () => {
      // commander printed its own "error: unknown option" text line before ours on the tap and the target.
      const r = run(bin, [...args]);
      expect(r.status).to.equal(2);
      const lines = r.stderr.trim().split('\n');
      for (const l of lines) expect(() => JSON.parse(l) as unknown, l).not.to.throw();
      expect(lines).to.have.length(1);
      expect(JSON.parse(lines[0]!)).to.include({ error_kind: 'config', exit_code: 2 });
    });
  }
});

describe('fb-ads-elt sync refusing to start', () => {
  const sdir = mkdtempSync(path.join(tmpdir(), 'cli-sync-refuses-'));
  after(() => rmSync(sdir, { recursive: true, force: true }));
  const put = (name: string, value: unknown): string => {
    const p = path.join(sdir, name);
    writeFileSync(p, typeof value === 'string' ? value : JSON.stringify(value));
    return p;
  };
  const tap = put('tap.json', { access_token: 'sbx_tok_0123456789abcdef', start_date: '2026-01-01' });
  const target = put('target.json', { destination: 'duckdb', duckdb_path: path.join(sdir, 'w.duckdb') });

  it('--json still answers with JSON on stdout (status failed, exit code, the error) when the config is malformed', () => {
    const r = run('fb-ads-elt.js', ['sync', '--json', '--config', put('bad.json', '{"access_token": "sbx_tok_0123456789abcdef",}'), '--target-config', target]);
    expect(r.status).to.equal(2);
    const answer = JSON.parse(r.stdout) as { status: string; exit_code: number; failures: { kind: string; message: string; hint?: string }[] };
    expect(answer.status).to.equal('failed');
    expect(answer.exit_code).to.equal(2);
    expect(answer.failures[0]!.kind).to.equal('config');
    expect(answer.failures[0]!.message).to.include('bad.json');
    expect(r.stdout + r.stderr).not.to.include('sbx_tok_0123456789abcdef');
  });

  for (const [args, pattern] of [
    [['--vars', '{reporting_currency: EUR}'], /--vars sets dbt vars, so it needs --models/],
    [['--models', '--vars', '{reporting_currency: [EUR'], /--vars is not valid JSON\/YAML/],
    [['--models', '--vars', '[1, 2]'], /--vars must be a mapping/],
  ] as const) {
    it(`sync ${args.join(' ')} is refused with exit 2 before anything runs`, () => {
      const r = run('fb-ads-elt.js', ['sync', '--config', tap, '--target-config', target, ...args]);
      expect(r.status).to.equal(2);
      const last = JSON.parse(r.stderr.trim().split('\n').pop()!) as Record<string, unknown>;
      expect(String(last['msg'])).to.match(pattern);
      expect(existsSync(path.join(sdir, 'w.duckdb'))).to.equal(false);
    });
  }

  it('a state file in a folder that does not exist is refused (exit 2, naming it), and the folder is not created', () => {
    const typo = path.join(sdir, 'stat', 'state.json');
    const r = run('fb-ads-elt.js', ['sync', '--config', tap, '--target-config', target, '--state-file', typo]);
    expect(r.status).to.equal(2);
    expect(r.stdout).to.equal('');
    const last = JSON.parse(r.stderr.trim().split('\n').pop()!) as Record<string, unknown>;
    expect(String(last['msg'] ?? last['message'])).to.include(typo);
    expect(String(last['hint'])).to.include('mkdir -p');
    expect(existsSync(path.dirname(typo))).to.equal(false);
  });

  it('a state file whose insights bookmark has no date_start is refused (exit 2) naming the stream, the key and what to delete, before the tap starts', () => {
    const state = put('state-no-day.json', { bookmarks: { insights_ad: { '1025728468230903': { last_complete_day: '2026-11-01' } } } });
    const r = run('fb-ads-elt.js', ['sync', '--config', tap, '--target-config', target, '--state-file', state]);
    expect(r.status).to.equal(2);
    expect(r.stdout).to.equal('');
    const last = JSON.parse(r.stderr.trim().split('\n').pop()!) as Record<string, unknown>;
    expect(String(last['msg'])).to.include(state).and.include('state.bookmarks.insights_ad.1025728468230903 has no "date_start"').and.include('YYYY-MM-DD');
    expect(String(last['hint'])).to.include('delete state.bookmarks.insights_ad.1025728468230903').and.include('start_date');
    expect(existsSync(path.join(sdir, 'w.duckdb'))).to.equal(false);
  });
});

describe('a duckdb_path the target cannot write', () => {
  const wdir = mkdtempSync(path.join(tmpdir(), 'cli-duckdb-path-'));
  after(() => rmSync(wdir, { recursive: true, force: true }));
  const notAFolder = path.join(wdir, 'a-file');
  writeFileSync(notAFolder, 'x');
  const target = path.join(wdir, 'target.json');
  writeFileSync(target, JSON.stringify({ destination: 'duckdb', duckdb_path: path.join(notAFolder, 'sub', 'w.duckdb') }));
  const tap = path.join(wdir, 'tap.json');
  writeFileSync(tap, JSON.stringify({ access_token: 'sbx_tok_0123456789abcdef', start_date: '2026-01-01' }));

  for (const [bin, args] of [
    ['target-bigquery.js', ['--config', target]],
    ['fb-ads-elt.js', ['sync', '--config', tap, '--target-config', target]],
  ] as const) {
    it(`${bin} ${args[0]} refuses it with exit 2 naming the path, before reading any input`, () => {
      const r = run(bin, [...args]);
      expect(r.status).to.equal(2);
      const last = JSON.parse(r.stderr.trim().split('\n').pop()!) as Record<string, unknown>;
      expect(String(last['msg'])).to.include(`${notAFolder} is not a folder`);
      expect(String(last['hint'])).to.include('writable');
    });
  }

  it('refuses a folder without write permission (as a user other than root, who may write anywhere)', function () {
    if (process.getuid?.() === 0) this.skip();
    const locked = path.join(wdir, 'locked');
    mkdirSync(locked, { mode: 0o500 });
    writeFileSync(target, JSON.stringify({ destination: 'duckdb', duckdb_path: path.join(locked, 'w.duckdb') }));
    const r = run('target-bigquery.js', ['--config', target]);
    expect(r.status).to.equal(2);
    expect(r.stderr).to.include('no write permission');
  });
});

describe('paths a run cannot use, refused (exit 2) before anything runs', () => {
  const pdir = mkdtempSync(path.join(tmpdir(), 'cli-paths-'));
  after(() => rmSync(pdir, { recursive: true, force: true }));
  const put = (name: string, value: unknown): string => {
    const p = path.join(pdir, name);
    writeFileSync(p, JSON.stringify(value));
    return p;
  };
  const tap = put('tap.json', { access_token: 'sbx_tok_0123456789abcdef', start_date: '2026-01-01' });
  const target = put('target.json', { destination: 'duckdb', duckdb_path: path.join(pdir, 'w.duckdb') });
  const lastLine = (stderr: string): Record<string, unknown> => JSON.parse(stderr.trim().split('\n').pop()!) as Record<string, unknown>;

  it('a state file whose folder is a file', () => {
    const r = run('fb-ads-elt.js', ['sync', '--config', tap, '--target-config', target, '--state-file', path.join(tap, 'state.json')]);
    expect(r.status).to.equal(2);
    expect(String(lastLine(r.stderr)['msg'])).to.include('does not exist (or is not a folder)');
  });

  it('a BigQuery credentials_path that does not exist (doctor and the target say so before any call)', () => {
    const bq = put('target-bq.json', { destination: 'bigquery', project_id: 'my-project-1', dataset: 'facebook_ads', credentials_path: path.join(pdir, 'sa.json') });
    const r = run('target-bigquery.js', ['--config', bq]);
    expect(r.status).to.equal(2);
    expect(String(lastLine(r.stderr)['msg'])).to.include(`credentials_path ${path.join(pdir, 'sa.json')}: no such file`);
  });

  it('a BigQuery credentials_path whose key is broken or that is no JSON key file: exit 2 naming the file and what is wrong, never the key', () => {
    // The private key's body was cut (a bad copy and paste); token_uri on a closed loopback port so
    // nothing could reach Google even if the key were used.
    const body = 'MIIBVQIBADANBgkqhkiG9w0BAQEFAASCAT8wggE7AgEAAkEAqPfgaTEWEP3S9w0t';
    const sa = put('sa-broken.json', { type: 'service_account', project_id: 'my-project-1', private_key: `-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----\n`, client_email: 'etl@my-project-1.iam.gserviceaccount.com', token_uri: 'http://127.0.0.1:9/token' });
    const notJson = path.join(pdir, 'sa.txt');
    writeFileSync(notJson, `private key ${body}`);
    for (const [credentials, problem] of [
      [sa, 'its private_key is not a PEM private key'],
      [notJson, 'it is not a JSON key file'],
    ] as const) {
      const bq = put('target-bq-key.json', { destination: 'bigquery', project_id: 'my-project-1', dataset: 'facebook_ads', credentials_path: credentials });
      const r = run('target-bigquery.js', ['--config', bq]);
      expect(r.status, r.stderr).to.equal(2);
      const last = lastLine(r.stderr);
      expect(String(last['msg'])).to.include(`credentials_path ${credentials}: ${problem}`);
      expect(String(last['hint'])).to.match(/service account key/);
      expect(r.stderr + r.stdout).not.to.include(body);
    }
  });

  it("a state whose campaigns bookmark is years after the run's clock (an edited or foreign state): the tap refuses it (exit 2) naming the path, before any call", () => {
    const tapFile = put('tap-closed.json', { access_token: 'sbx_tok_0123456789abcdef', start_date: '2026-01-01', api_base_url: 'http://127.0.0.1:9' });
    const state = put('state-future.json', { bookmarks: { campaigns: { '1025728468230903': { updated_time: '2030-01-01T00:00:00Z' } } } });
    const r = run('tap-facebook-ads.js', ['--config', tapFile, '--state', state], { ...process.env, FB_ADS_ELT_NOW: '2026-11-20T12:00:00Z' });
    expect(r.status, r.stderr.slice(-800)).to.equal(2);
    expect(String(lastLine(r.stderr)['msg'])).to.include(`${state}: state.bookmarks.campaigns.1025728468230903.updated_time 2030-01-01T00:00:00Z is after this run's clock`);
    expect(r.stdout).to.equal('');
  });

  it('a duckdb_path that is a folder', () => {
    const r = run('target-bigquery.js', ['--config', put('target-dir.json', { destination: 'duckdb', duckdb_path: pdir })]);
    expect(r.status).to.equal(2);
    expect(String(lastLine(r.stderr)['msg'])).to.include('it is a folder');
  });

  it('models build on a warehouse file that does not exist (a typo), without creating it', () => {
    const typo = path.join(pdir, 'warehuose.duckdb');
    const r = run('fb-ads-elt.js', ['models', 'build', '--duckdb-path', typo]);
    expect(r.status).to.equal(2);
    expect(String(lastLine(r.stderr)['msg'])).to.include(`--duckdb-path ${typo} is not a DuckDB warehouse file`);
    expect(existsSync(typo)).to.equal(false);
  });

  it('models build on a warehouse whose raw tables are in another schema than facebook_ads_schema: exit 2 naming the schema they are in, before dbt runs', async () => {
    // A target config with "dataset": "meta_ads": `sync --models` passes it on, `models build` cannot
    // know it. dbt failed every staging model (exit 6, a page of Catalog Errors) a while later.
    const file = path.join(pdir, 'meta.duckdb');
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await DuckDBInstance.create(file);
    const conn = await db.connect();
    await conn.run('CREATE SCHEMA meta_ads; CREATE TABLE meta_ads.sync_log (run_id VARCHAR); CREATE TABLE meta_ads.insights_account (account_id VARCHAR)');
    conn.closeSync();
    db.closeSync();
    const r = run('fb-ads-elt.js', ['models', 'build', '--duckdb-path', file]);
    expect(r.status, r.stderr.slice(-1000)).to.equal(2);
    const last = lastLine(r.stderr);
    expect(String(last['msg'])).to.equal(`warehouse ${file} has no schema "facebook_ads" (var facebook_ads_schema), where the models read the raw tables; they are in "meta_ads"`);
    expect(String(last['hint'])).to.include(`--vars '{facebook_ads_schema: meta_ads}'`);
    expect(r.stderr).not.to.include('Catalog Error');
  });

  it('models build on a warehouse whose catalog left streams out: exit 2 naming the tables the models read that it lacks, before dbt runs', async () => {
    // A sync whose catalog selected campaigns and their insights only: dbt failed a dozen models and
    // tests with one Catalog Error each (exit 6), the cause never named.
    const file = path.join(pdir, 'narrow.duckdb');
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await DuckDBInstance.create(file);
    const conn = await db.connect();
    const loaded = ['ad_accounts', 'campaigns', 'campaigns__history', 'insights_campaign', 'sync_log', 'insights_coverage'];
    await conn.run(`CREATE SCHEMA facebook_ads; ${loaded.map((t) => `CREATE TABLE facebook_ads.${t} (id VARCHAR);`).join(' ')}`);
    conn.closeSync();
    db.closeSync();
    const r = run('fb-ads-elt.js', ['models', 'build', '--duckdb-path', file]);
    expect(r.status, r.stderr.slice(-1000)).to.equal(2);
    const last = lastLine(r.stderr);
    const missing = sourceTables({}).filter((t) => !loaded.includes(t));
    expect(missing).to.include.members(['ads', 'ad_sets', 'insights_ad', 'ads__history']);
    expect(String(last['msg'])).to.equal(`warehouse ${file} has no table ${missing.map((t) => `facebook_ads.${t}`).join(', ')}, which the dbt models read: the sync's catalog leaves those streams out, or no sync has loaded them yet`);
    expect(String(last['hint'])).to.include('Select those streams in the catalog');
    expect(r.stderr).not.to.include('Catalog Error');
  });

  it('serve with "models": true and a BigQuery target: refused at start naming the serve config field, not at every trigger', () => {
    put('tap-serve.json', { access_token: 'sbx_tok_0123456789abcdef', start_date: '2026-01-01' });
    put('target-bq.json', { destination: 'bigquery', project_id: 'acme-ads-prod' });
    const serve = put('serve-models.json', { bearer_secret: 'Zq8-vT3r!pL0x#Wk5mN7', tap_config: 'tap-serve.json', target_config: 'target-bq.json', models: true, port: 0 });
    const r = run('fb-ads-elt.js', ['serve', '--config', serve]);
    expect(r.status, r.stderr.slice(-800)).to.equal(2);
    const last = lastLine(r.stderr);
    expect(String(last['msg'])).to.equal('"models": true in the serve config builds the dbt project on DuckDB only, but the target writes to BigQuery');
    expect(String(last['hint'])).to.include('drop "models" from the serve config');
    expect(r.stdout).to.equal('');
  });

  it('serve with a tap config that is missing: refused at start, not at the first trigger', () => {
    const serve = put('serve.json', { bearer_secret: 'Zq8-vT3r!pL0x#Wk5mN7', tap_config: 'no-such-tap.json', target_config: 'target.json', port: 0 });
    const r = run('fb-ads-elt.js', ['serve', '--config', serve]);
    expect(r.status).to.equal(2);
    expect(String(lastLine(r.stderr)['msg'])).to.include('no-such-tap.json');
    expect(r.stdout).to.equal('');
  });
});

describe('a state file left empty (tap-facebook-ads --state)', () => {
  const sdir = mkdtempSync(path.join(tmpdir(), 'cli-empty-state-'));
  after(() => rmSync(sdir, { recursive: true, force: true }));

  it('an empty --state file (the last line of an empty states.jsonl): the tap warns, naming it, and runs as a first run instead of refusing it as broken JSON', () => {
    const tapFile = path.join(sdir, 'tap.json');
    writeFileSync(tapFile, JSON.stringify({ access_token: 'sbx_tok_0123456789abcdef', start_date: '2026-01-01', api_base_url: 'http://127.0.0.1:9', max_retries: 0, retry_base_ms: 0 }));
    for (const text of ['', '\n']) {
      const state = path.join(sdir, 'state.json');
      writeFileSync(state, text);
      const r = run('tap-facebook-ads.js', ['--config', tapFile, '--state', state], { ...process.env, FB_ADS_ELT_NOW: '2026-11-20T12:00:00Z' });
      expect(r.stderr).not.to.include('not valid JSON');
      const warned = r.stderr.split('\n').filter((l) => l.includes('empty state file'));
      expect(warned.map((l) => (JSON.parse(l) as Record<string, unknown>)['msg'])).to.deep.equal([`empty state file ${state}: this run backfills from start_date`]);
      // It went on to call Graph (nothing listens there: retry later), not a config error.
      expect(r.status, r.stderr.slice(-600)).to.equal(7);
    }
  });
});
