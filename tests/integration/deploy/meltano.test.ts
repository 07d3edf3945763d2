// deploy/meltano/meltano.yml run by real Meltano (the pinned one in .venv, from requirements/) against
// the Graph sandbox into DuckDB, the way the README tells a user to: install, config set/list,
// invoke --discover and --about, two `meltano run`s with Meltano keeping the state. Offline: the plugins are
// the repository's bins (no pip_url, no Hub lookup) and usage stats are off.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import yaml from 'js-yaml';
import { REPO_ROOT } from '../../../connector/core/config.js';
import { NOW_ENV } from '../../../connector/core/clock.js';
import { venvExecutable } from '../../../connector/dbt/python-env.js';
import { startSandbox, type Sandbox } from '../../../connector/sandbox/index.js';

const MELTANO = venvExecutable('meltano');
const STATE_ID = 'dev:tap-facebook-ads-to-target-bigquery';

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs meltano asynchronously: the sandbox answering the tap lives in this process's event loop. */
function meltano(cwd: string, args: string[], env: NodeJS.ProcessEnv): Promise<Ran> {
  const child = spawn(MELTANO, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The `meltano …` lines of the README's Meltano section (its sh block). */
function readmeMeltanoCommands(): string[] {
  const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Meltano'), readme.indexOf('### Airflow'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  return block
    .split('\n')
    .map((l) =>
      l
        .replace(/\s+#.*$/, '')
        .replace(/\s+>.*$/, '')
        .trim(),
    )
    .filter((l) => l.startsWith('meltano '));
}

/** Splits a README command line into argv (double-quoted words kept whole, $VARS left as text). */
const argv = (line: string): string[] => [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!).slice(1);

async function duplicateKeys(file: string, catalog: { streams: { tap_stream_id: string; key_properties: string[] }[] }): Promise<Record<string, number>> {
  const db = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY' });
  const c = await db.connect();
  try {
    const out: Record<string, number> = {};
    for (const s of catalog.streams) {
      if (s.key_properties.length === 0) continue;
      const keys = s.key_properties.map((k) => `"${k}"`).join(', ');
      const rows = (await c.runAndReadAll(`select count(*)::integer from (select ${keys} from facebook_ads."${s.tap_stream_id}" group by ${keys} having count(*) > 1)`)).getRows();
      out[s.tap_stream_id] = Number(rows[0]![0]);
    }
    return out;
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

describe('deploy/meltano/meltano.yml with real Meltano against the sandbox', function () {
  this.timeout(900_000);
  let root: string;
  let project: string;
  let sb: Sandbox;
  let env: NodeJS.ProcessEnv;
  const run = (args: string[]): Promise<Ran> => meltano(project, args, env);
  const ok = async (args: string[]): Promise<Ran> => {
    const r = await run(args);
    expect(r.code, `meltano ${args.join(' ')}\n${r.stderr.slice(-3000)}`).to.equal(0);
    return r;
  };

  before(async function () {
    expect(existsSync(MELTANO), `${MELTANO} is missing: run npm ci (it installs requirements/python.lock.txt into .venv)`).to.equal(true);
    // The file is tested as shipped: copied verbatim where its relative executables (../../bin/…)
    // reach this checkout's bins through a symlink.
    root = mkdtempSync(path.join(os.tmpdir(), 'meltano-it-'));
    project = path.join(root, 'deploy', 'meltano');
    mkdirSync(project, { recursive: true });
    symlinkSync(path.join(REPO_ROOT, 'bin'), path.join(root, 'bin'));
    copyFileSync(path.join(REPO_ROOT, 'deploy', 'meltano', 'meltano.yml'), path.join(project, 'meltano.yml'));
    sb = await startSandbox({ world: 'small', jobDurationMs: 0 });
    env = {
      ...process.env,
      [NOW_ENV]: sb.now().toISOString(),
      NO_COLOR: '1',
      MELTANO_SEND_ANONYMOUS_USAGE_STATS: 'false',
      // Test-only knobs through Meltano's environment layer (TAP_FACEBOOK_ADS_<SETTING>): one
      // lookback day, 7-day insights jobs and fast backoff keep the two runs short and comparable.
      TAP_FACEBOOK_ADS_INSIGHTS_MAX_DAYS_PER_JOB: '7',
      TAP_FACEBOOK_ADS_INSIGHTS_LOOKBACK_DAYS: '1',
      TAP_FACEBOOK_ADS_RETRY_BASE_MS: '10',
    };
  });
  after(async () => {
    await sb?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('installs the custom plugins without a Hub lookup or a warning', async () => {
    const r = await ok(['install']);
    expect(r.stderr).to.not.match(/deprecat|warning/i);
  });

  it('accepts every meltano command the README shows (Meltano 4 argument order)', async () => {
    const commands = readmeMeltanoCommands();
    expect(commands.length).to.be.greaterThan(3);
    // --help makes click resolve the whole command path without running it: a Meltano 3 order such
    // as `meltano config <plugin> set` fails here with "No such command". (After install, which
    // creates Meltano's system DB: parallel first runs would race to migrate it.)
    // `invoke` hands --help to the plugin instead: its lines run for real in the tests below.
    const checked = commands.filter((c) => !/^meltano invoke /.test(c));
    expect(checked.some((c) => c.startsWith('meltano config set tap-facebook-ads '))).to.equal(true);
    const results = await Promise.all(checked.map((c) => run([...argv(c), '--help'])));
    results.forEach((r, i) => expect(r.code, `${checked[i]}: ${r.stderr.slice(-500)}`).to.equal(0));
  });

  it('stores the token in .env with config set, never in meltano.yml, and lists the settings', async () => {
    const token = sb.tokens[0]!.token;
    await ok(['config', 'set', 'tap-facebook-ads', 'access_token', token]);
    await ok(['config', 'set', 'tap-facebook-ads', 'api_base_url', sb.baseUrl]);
    // Four weeks: run 1 reads them in 7-day insights jobs, run 2 only the lookback day and today.
    const start = new Date(sb.now().getTime() - 28 * 86_400_000).toISOString().slice(0, 10);
    await ok(['config', 'set', 'tap-facebook-ads', 'start_date', start]);
    // A decimal setting goes through meltano.yml: Meltano 4.4.1 turns one given as an environment
    // variable (or in .env) into a Decimal its JSON encoder rejects when it writes the tap's config.
    await ok(['config', 'set', 'tap-facebook-ads', 'insights_poll_interval_seconds', '0.05']);
    expect(readFileSync(path.join(project, '.env'), 'utf8')).to.include(token);
    const yml = readFileSync(path.join(project, 'meltano.yml'), 'utf8');
    expect(yml).to.not.include(token);
    expect(yml).to.include(start);
    const list = await ok(['config', 'list', 'tap-facebook-ads']);
    expect(list.stdout).to.match(/access_token .*current value: \(redacted\)/);
    expect(list.stdout).to.include(`'${start}'`);
  });

  it('discovers the same catalog as tap-facebook-ads --discover', async () => {
    const r = await ok(['invoke', 'tap-facebook-ads', '--discover']);
    const catalog = JSON.parse(r.stdout) as { streams: { tap_stream_id: string }[] };
    const golden = JSON.parse(readFileSync(path.join(REPO_ROOT, 'catalog.json'), 'utf8')) as { streams: { tap_stream_id: string }[] };
    expect(catalog.streams.map((s) => s.tap_stream_id)).to.deep.equal(golden.streams.map((s) => s.tap_stream_id));
  });

  it('prints the tap’s metadata with --about --format json, matching what meltano.yml declares', async () => {
    const r = await ok(['invoke', 'tap-facebook-ads', '--about', '--format', 'json']);
    const about = JSON.parse(r.stdout) as { name: string; capabilities: string[]; settings: { properties: Record<string, unknown> } };
    const declared = (yaml.load(readFileSync(path.join(REPO_ROOT, 'deploy', 'meltano', 'meltano.yml'), 'utf8')) as { plugins: { extractors: { name: string; capabilities: string[]; settings: { name: string }[] }[] } }).plugins.extractors[0]!;
    expect(about.name).to.equal(declared.name);
    expect(about.capabilities).to.include.members(declared.capabilities);
    expect(Object.keys(about.settings.properties)).to.deep.equal(declared.settings.map((x) => x.name));
  });

  it('runs twice with Meltano keeping the state: the second run is incremental and adds no duplicate key', async () => {
    sb.resetStats();
    await ok(['run', 'tap-facebook-ads', 'target-bigquery']);
    const first = sb.stats().requests;
    const state1 = JSON.parse((await ok(['state', 'get', STATE_ID])).stdout) as { singer_state: Record<string, unknown> };
    // The value the tap emitted, not a STATE message wrapped around it.
    expect(state1.singer_state).to.not.have.property('type');
    const bookmarks = state1.singer_state['bookmarks'] as Record<string, Record<string, unknown>>;
    expect(Object.keys(bookmarks['insights_ad'] ?? {})).to.not.be.empty;
    expect(Object.keys(bookmarks['campaigns'] ?? {})).to.not.be.empty;

    sb.resetStats();
    await ok(['run', 'tap-facebook-ads', 'target-bigquery']);
    const second = sb.stats().requests;
    const state2 = JSON.parse((await ok(['state', 'get', STATE_ID])).stdout) as { singer_state: Record<string, unknown> };
    expect(Object.keys(state2.singer_state['bookmarks'] as object)).to.have.members(Object.keys(bookmarks));
    process.stderr.write(`      Graph requests: run 1 ${first}, run 2 ${second}\n`);
    expect(second, `run 2 (${second} requests) re-reads only from the bookmarks of run 1 (${first})`).to.be.lessThan(first / 2);

    const catalog = JSON.parse(readFileSync(path.join(REPO_ROOT, 'catalog.json'), 'utf8')) as { streams: { tap_stream_id: string; key_properties: string[] }[] };
    const dupes = await duplicateKeys(path.join(project, '.meltano', 'warehouse.duckdb'), catalog);
    expect(Object.keys(dupes)).to.include('insights_ad');
    expect(Object.entries(dupes).filter(([, n]) => n > 0)).to.deep.equal([]);
  });
});

describe('a fresh `meltano init` project with the Hub definitions, configured from the environment only', function () {
  this.timeout(900_000);
  let root: string;
  let project: string;
  let sb: Sandbox;
  let env: NodeJS.ProcessEnv;
  const ok = async (args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<Ran> => {
    const r = await meltano(project, args, { ...env, ...extraEnv });
    expect(r.code, `meltano ${args.join(' ')}\n${r.stderr.slice(-3000)}`).to.equal(0);
    return r;
  };
  /** The settings a user exports instead of writing them anywhere (README "Meltano": own project). */
  const settings = (): NodeJS.ProcessEnv => ({
    TAP_FACEBOOK_ADS_ACCESS_TOKEN: sb.tokens[0]!.token,
    TAP_FACEBOOK_ADS_API_BASE_URL: sb.baseUrl,
    TAP_FACEBOOK_ADS_START_DATE: new Date(sb.now().getTime() - 14 * 86_400_000).toISOString().slice(0, 10),
    TAP_FACEBOOK_ADS_INSIGHTS_LOOKBACK_DAYS: '1',
    TAP_FACEBOOK_ADS_RETRY_BASE_MS: '10',
    TARGET_BIGQUERY_DUCKDB_PATH: path.join(root, 'warehouse.duckdb'),
  });

  before(async function () {
    expect(existsSync(MELTANO), `${MELTANO} is missing: run npm ci`).to.equal(true);
    root = mkdtempSync(path.join(os.tmpdir(), 'meltano-fresh-'));
    // What `npm link` in the checkout makes: the package.json bins as commands on PATH.
    const bins = path.join(root, 'npm-bin');
    mkdirSync(bins);
    for (const bin of ['tap-facebook-ads', 'target-bigquery']) symlinkSync(path.join(REPO_ROOT, 'bin', `${bin}.js`), path.join(bins, bin));
    sb = await startSandbox({ world: 'small', jobDurationMs: 0 });
    env = { ...process.env, PATH: `${bins}${path.delimiter}${process.env['PATH'] ?? ''}`, [NOW_ENV]: sb.now().toISOString(), NO_COLOR: '1', MELTANO_SEND_ANONYMOUS_USAGE_STATS: 'false' };
    for (const k of Object.keys(env)) if (/^(TAP_FACEBOOK_ADS|TARGET_BIGQUERY)_/.test(k)) delete env[k];
    const init = await meltano(root, ['init', 'my-project'], env);
    expect(init.code, init.stderr.slice(-2000)).to.equal(0);
    project = path.join(root, 'my-project');
  });
  after(async () => {
    await sb?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('adds both plugins from deploy/meltano/hub/ with `meltano add --from-ref`, as the README says', async () => {
    const hub = path.join(REPO_ROOT, 'deploy', 'meltano', 'hub');
    await ok(['add', '--plugin-type', 'extractor', 'tap-facebook-ads', '--from-ref', path.join(hub, 'extractors', 'tap-facebook-ads', 'fb-ads-elt.yml')]);
    await ok(['add', '--plugin-type', 'loader', 'target-bigquery', '--from-ref', path.join(hub, 'loaders', 'target-bigquery', 'fb-ads-elt.yml')]);
    const plugins = (yaml.load(readFileSync(path.join(project, 'meltano.yml'), 'utf8')) as { plugins: Record<string, Array<{ name: string }>> }).plugins;
    expect(Object.fromEntries(Object.entries(plugins).map(([k, v]) => [k, v.map((p) => p.name)]))).to.deep.equal({ extractors: ['tap-facebook-ads'], loaders: ['target-bigquery'] });
  });

  it('lists the streams before any setting is given (discovery needs no token), keys and _sdc_extracted_at automatic', async () => {
    const r = await ok(['select', 'tap-facebook-ads', '--list', '--all']);
    expect(r.stdout).to.match(/\[automatic\s*\] campaigns\.id\n/);
    expect(r.stdout).to.match(/\[automatic\s*\] insights_ad\.date_start\n/);
    expect(r.stdout).to.match(/\[automatic\s*\] campaigns\._sdc_extracted_at\n/);
    expect(r.stdout).to.match(/\[selected\s*\] campaigns\.name\n/);
  });

  it('shows the TAP_FACEBOOK_ADS_* variables as the settings’ values, the token redacted', async () => {
    const r = await ok(['config', 'list', 'tap-facebook-ads'], settings());
    expect(r.stdout).to.match(/access_token .*current value: \(redacted\) \(from the TAP_FACEBOOK_ADS_ACCESS_TOKEN variable in the environment\)/);
    expect(r.stdout).to.not.include(sb.tokens[0]!.token);
  });

  it('runs the selected streams twice from Meltano’s state backend: only they reach the warehouse, the second run reads from the bookmarks', async () => {
    await ok(['select', 'tap-facebook-ads', 'campaigns', '*']);
    await ok(['select', 'tap-facebook-ads', 'insights_campaign', '*']);
    // A test knob only, through meltano.yml: Meltano 4.4.1 cannot pass a decimal setting from the environment (README).
    await ok(['config', 'set', 'tap-facebook-ads', 'insights_poll_interval_seconds', '0.05']);
    /** Records the tap sent, per stream, from its record_count metrics as Meltano relays them. */
    const sent = (r: Ran): Record<string, number> => {
      const out: Record<string, number> = {};
      for (const line of r.stderr.split('\n').filter((l) => l.includes('"component":"tap-facebook-ads"'))) {
        const m = /"metric":"record_count","value":(\d+),"tags":\{"stream":"(\w+)"/.exec(line);
        if (m) out[m[2]!] = (out[m[2]!] ?? 0) + Number(m[1]);
      }
      return out;
    };
    const first = sent(await ok(['run', 'tap-facebook-ads', 'target-bigquery'], settings()));
    expect((await ok(['state', 'list'])).stdout).to.include(STATE_ID);
    const state = JSON.parse((await ok(['state', 'get', STATE_ID])).stdout) as { singer_state: { bookmarks: Record<string, unknown> } };
    expect(Object.keys(state.singer_state.bookmarks)).to.have.members(['campaigns', 'insights_campaign']);
    const second = sent(await ok(['run', 'tap-facebook-ads', 'target-bigquery'], settings()));
    expect(Object.keys(first)).to.have.members(['campaigns', 'insights_campaign']);
    expect(first['campaigns']).to.be.greaterThan(0);
    // Nothing changed since run 1: no campaign is read again; insights only the lookback day and today.
    expect(second['campaigns'] ?? 0).to.equal(0);
    expect(second['insights_campaign']).to.be.lessThan(first['insights_campaign']!);

    const db = await DuckDBInstance.create(settings()['TARGET_BIGQUERY_DUCKDB_PATH']!, { access_mode: 'READ_ONLY' });
    const c = await db.connect();
    try {
      const tables = (await c.runAndReadAll(`select table_name from information_schema.tables where table_schema = 'facebook_ads' and table_name not like '%__history' and table_name not like '\\_sdc\\_%' escape '\\' order by 1`)).getRows().map((r) => String(r[0]));
      expect(tables).to.deep.equal(['campaigns', 'insights_campaign']);
    } finally {
      c.closeSync();
      db.closeSync();
    }
  });
});
