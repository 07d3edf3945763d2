// The Meltano SDK's CLI conventions the bins follow: `--config ENV` (settings from <BIN>_<SETTING>
// variables, converted by the schema's types), repeatable `--config` merged in order, the target's
// `--input FILE`, and `--discover` without a valid config (the catalog needs no token).
import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { REPO_ROOT } from '../../../connector/core/config.js';
import { configFromEnv, envPrefixOf } from '../../../connector/core/env-config.js';
import { ConfigError } from '../../../connector/core/errors.js';
import { loadTapConfig } from '../../../connector/tap/config.js';

function run(bin: string, args: string[], env: NodeJS.ProcessEnv = {}, cwd = REPO_ROOT): { status: number | null; stdout: string; stderr: string } {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(TAP_FACEBOOK_ADS|TARGET_BIGQUERY)_/.test(k)));
  const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', `${bin}.js`), ...args], { encoding: 'utf8', input: '', timeout: 60_000, cwd, env: { ...clean, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
const lastLog = (stderr: string): Record<string, unknown> => JSON.parse(stderr.trim().split('\n').pop()!) as Record<string, unknown>;
const spec = JSON.parse(readFileSync(path.join(REPO_ROOT, 'spec.json'), 'utf8')) as Record<string, unknown>;

describe('the Meltano SDK’s CLI conventions', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'config-sources-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  describe('config from the environment (--config ENV) and repeatable --config', () => {
    it('reads TAP_FACEBOOK_ADS_<SETTING> variables converted by the setting’s type, ignoring variables of no setting', () => {
      const env = {
        TAP_FACEBOOK_ADS_ACCESS_TOKEN: 'EAAB_token_0123456789',
        TAP_FACEBOOK_ADS_PAGE_SIZE: '100',
        TAP_FACEBOOK_ADS_REQUEST_TIMEOUT_SECONDS: '2.5',
        TAP_FACEBOOK_ADS_INCLUDE_DELETED: 'no',
        TAP_FACEBOOK_ADS_USE_UNIFIED_ATTRIBUTION_SETTING: 'TRUE',
        TAP_FACEBOOK_ADS_ACCOUNT_IDS: 'act_1, 2',
        TAP_FACEBOOK_ADS_ACTION_ATTRIBUTION_WINDOWS: '["1d_click"]',
        TAP_FACEBOOK_ADS_CIRCUIT_BREAKER: '{"failures": 2}',
        TAP_FACEBOOK_ADS_ACCESS_TOKENS_EXTRA: 'not a setting',
      };
      expect(envPrefixOf('tap-facebook-ads')).to.equal('TAP_FACEBOOK_ADS_');
      expect(configFromEnv(spec, 'TAP_FACEBOOK_ADS_', env)).to.deep.equal({
        access_token: 'EAAB_token_0123456789',
        page_size: 100,
        request_timeout_seconds: 2.5,
        include_deleted: false,
        use_unified_attribution_setting: true,
        account_ids: ['act_1', '2'],
        action_attribution_windows: ['1d_click'],
        circuit_breaker: { failures: 2 },
      });
    });

    it('names the variable whose JSON is broken, and leaves a word that is no number for validation to name', () => {
      expect(() => configFromEnv(spec, 'TAP_FACEBOOK_ADS_', { TAP_FACEBOOK_ADS_CIRCUIT_BREAKER: '{failures: 2' })).to.throw(ConfigError, /TAP_FACEBOOK_ADS_CIRCUIT_BREAKER line 1, column 2: .*\(not valid JSON\)$/);
      expect(configFromEnv(spec, 'TAP_FACEBOOK_ADS_', { TAP_FACEBOOK_ADS_PAGE_SIZE: 'abc' })).to.deep.equal({ page_size: 'abc' });
    });

    it("shows a broken or unbracketed list of objects the JSON shape of its setting (access_tokens' label and token), never the value given", () => {
      const token = 'sbx_agency_0123456789abcdef';
      const hintOf = (value: string): { message: string; hint: string } => {
        try {
          configFromEnv(spec, 'TAP_FACEBOOK_ADS_', { TAP_FACEBOOK_ADS_ACCESS_TOKENS: value });
        } catch (e) {
          expect(e).to.be.instanceOf(ConfigError);
          return { message: (e as ConfigError).message, hint: (e as ConfigError).hint ?? '' };
        }
        throw new Error('not refused');
      };
      const example = `TAP_FACEBOOK_ADS_ACCESS_TOKENS='[{"label": "…", "token": "…"}]'`;
      const bare = hintOf(token);
      expect(bare.message).to.equal('environment variable TAP_FACEBOOK_ADS_ACCESS_TOKENS is not a JSON list: its setting is a list of objects');
      expect(bare.hint).to.equal(`Give it as JSON, e.g. ${example}.`);
      const broken = hintOf(`[{"label": "a", "token": "${token}"}`);
      expect(broken.hint).to.equal(`Give it as JSON, e.g. ${example}.`);
      for (const e of [bare, broken]) expect(e.message + e.hint).not.to.include(token);
      expect(() => configFromEnv(spec, 'TAP_FACEBOOK_ADS_', { TAP_FACEBOOK_ADS_CIRCUIT_BREAKER: '{' }))
        .to.throw(ConfigError)
        .with.property('hint', `Give it as JSON, e.g. TAP_FACEBOOK_ADS_CIRCUIT_BREAKER='{"failures": 1}'.`);
    });

    it('merges --config sources in order, a later one winning setting by setting, and names them all in errors', () => {
      const file = path.join(dir, 'tap.json');
      writeFileSync(file, JSON.stringify({ access_token: 'EAAB_token_0123456789', page_size: 50, start_date: '2026-01-01' }));
      const saved = process.env['TAP_FACEBOOK_ADS_PAGE_SIZE'];
      process.env['TAP_FACEBOOK_ADS_PAGE_SIZE'] = '70';
      try {
        expect(loadTapConfig([file, 'ENV']).config).to.include({ page_size: 70, start_date: '2026-01-01' });
        expect(loadTapConfig(['ENV', file]).config).to.include({ page_size: 50 });
      } finally {
        if (saved === undefined) delete process.env['TAP_FACEBOOK_ADS_PAGE_SIZE'];
        else process.env['TAP_FACEBOOK_ADS_PAGE_SIZE'] = saved;
      }
      const r = run('tap-facebook-ads', ['--config', file, '--config', 'ENV'], { TAP_FACEBOOK_ADS_PAGE_SIZE: 'abc' });
      expect(r.status).to.equal(2);
      expect(r.stdout).to.equal('');
      expect(lastLog(r.stderr)['msg']).to.equal(`Invalid tap config (${file} + ENV TAP_FACEBOOK_ADS_*): config.page_size must be integer`);
    });

    it('target-bigquery --config ENV --input FILE loads the file into the DuckDB file the environment names and echoes the committed states', async () => {
      const db = path.join(dir, 'w.duckdb');
      const fixture = path.join(REPO_ROOT, 'tests', 'fixtures', 'singer', 'state_between_batches.jsonl');
      const r = run('target-bigquery', ['--config', 'ENV', '--input', fixture], { TARGET_BIGQUERY_DUCKDB_PATH: db, TARGET_BIGQUERY_BATCH_ROWS: '2', TARGET_BIGQUERY_TEMP_DIR: dir }, dir);
      expect(r.status, r.stderr.slice(-1000)).to.equal(0);
      const states = r.stdout.trim().split('\n');
      expect(states.pop()).to.equal('{"bookmarks":{"s":4}}');
      const inst = await DuckDBInstance.create(db, { access_mode: 'READ_ONLY' });
      const c = await inst.connect();
      try {
        const rows = (await c.runAndReadAll('select count(*)::integer from facebook_ads.pages')).getRows();
        expect(rows[0]![0]).to.equal(5);
      } finally {
        c.closeSync();
        inst.closeSync();
      }
    });

    it('target-bigquery --input of a file that cannot be read is a usage error (exit 2) naming it, before the warehouse is touched', () => {
      const db = path.join(dir, 'w.duckdb');
      const r = run('target-bigquery', ['--config', 'ENV', '--input', path.join(dir, 'missing.jsonl')], { TARGET_BIGQUERY_DUCKDB_PATH: db });
      expect(r.status).to.equal(2);
      expect(lastLog(r.stderr)).to.include({ msg: `--input ${path.join(dir, 'missing.jsonl')} cannot be read (ENOENT)`, error_kind: 'config' });
      expect(() => readFileSync(db)).to.throw(/ENOENT/);
    });
  });

  describe('tap-facebook-ads --discover with an incomplete config (as `meltano select --list` runs it before the token is set)', () => {
    it('prints the catalog (exit 0) with one warning naming what is missing, like a Meltano SDK tap with a static catalog', () => {
      const file = path.join(dir, 'tap.json');
      writeFileSync(file, JSON.stringify({ start_date: '2026-01-01', insights_reports: [{ name: 'insights_ad_country', level: 'ad', breakdowns: ['country'] }] }));
      const r = run('tap-facebook-ads', ['--config', file, '--discover']);
      expect(r.status, r.stderr).to.equal(0);
      const streams = (JSON.parse(r.stdout) as { streams: Array<{ tap_stream_id: string }> }).streams.map((s) => s.tap_stream_id);
      expect(streams).to.include('insights_ad_country');
      const warn = lastLog(r.stderr);
      expect(warn['level']).to.equal('warn');
      expect(String(warn['msg'])).to.match(/^discovering with an incomplete config: Invalid tap config \(.*tap\.json\): config\.access_token is required/);
    });

    it('ends quietly (exit 0, no stack trace) when the reader of the catalog goes away early, as `| head` does', async () => {
      const file = path.join(dir, 'tap.json');
      writeFileSync(file, '{}');
      const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'tap-facebook-ads.js'), '--config', file, '--discover'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.stdout.once('data', () => child.stdout.destroy());
      const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
      expect(stderr).to.not.include('EPIPE');
      expect(code, stderr).to.equal(0);
    });

    it('still refuses (exit 2) insights_reports that are wrong: they would change the catalog', () => {
      const file = path.join(dir, 'tap.json');
      writeFileSync(file, JSON.stringify({ insights_reports: [{ name: 'Bad Name', level: 'ad' }] }));
      const r = run('tap-facebook-ads', ['--config', file, '--discover']);
      expect(r.status).to.equal(2);
      expect(r.stdout).to.equal('');
      expect(lastLog(r.stderr)['msg']).to.match(/config\.insights_reports\[0\]\.name must match/);
    });

    it('a sync with the same config is still refused (exit 2) before any call', () => {
      const file = path.join(dir, 'tap.json');
      writeFileSync(file, JSON.stringify({ start_date: '2026-01-01' }));
      const r = run('tap-facebook-ads', ['--config', file]);
      expect(r.status).to.equal(2);
      expect(r.stdout).to.equal('');
    });
  });
});
