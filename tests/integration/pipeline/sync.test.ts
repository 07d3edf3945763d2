import { DuckDBInstance } from '@duckdb/node-api';
import { expect } from 'chai';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Logger } from '../../../connector/core/log.js';
import { ConfigError } from '../../../connector/core/errors.js';
import { runSync, type SyncOptions } from '../../../connector/pipeline/sync.js';
import { formatSummary } from '../../../connector/pipeline/summary.js';
import { makeStandins, MemorySink, type Standins } from './standins.js';
import { BigQuery } from '@google-cloud/bigquery';
import { BigQueryEmulator } from '../../helpers/bq-emulator.js';
import { PassThroughClient } from 'google-auth-library';
import { BigQueryDestination } from '../../../connector/target/bigquery/destination.js';

describe('fb-ads-elt sync orchestration (stand-in tap and target processes)', () => {
  let s: Standins;
  let sink: MemorySink;
  beforeEach(() => {
    s = makeStandins();
    sink = new MemorySink();
  });
  afterEach(() => s.cleanup());

  const opts = (over: Partial<SyncOptions> & { env?: Record<string, string> } = {}): SyncOptions => ({
    tapConfigPath: s.tapConfig,
    targetConfigPath: s.targetConfig,
    stateFile: path.join(s.dir, 'state.json'),
    log: new Logger({ component: 'fb-ads-elt', sink }),
    logSink: sink,
    tapCommand: s.tap,
    targetCommand: s.target,
    ...over,
    env: { ...process.env, STANDIN_ARGS_FILE: path.join(s.dir, 'args.json'), ...over.env },
  });
  type TapArgs = { args: string[]; state: unknown; state_text: string | null; run_id: string; now?: string };
  /** The ConfigError a run with the default options is refused with (fails if it is not refused so). */
  async function refusal(): Promise<ConfigError> {
    try {
      await runSync(opts());
    } catch (e) {
      expect(e).to.be.instanceOf(ConfigError);
      return e as ConfigError;
    }
    throw new Error('the run was not refused');
  }
  const tapArgs = (): TapArgs => JSON.parse(readFileSync(path.join(s.dir, 'args.json'), 'utf8')) as TapArgs;

  it('reads its clock once and pins the tap, the target and the models to that instant (FB_ADS_ELT_NOW)', async () => {
    writeFileSync(s.targetConfig, JSON.stringify({ destination: 'duckdb', duckdb_path: path.join(s.dir, 'warehouse.duckdb') }));
    const instants = ['2027-01-01T00:30:00.000Z', '2027-01-02T00:30:00.000Z'];
    let reads = 0;
    let modelsNow: Date | undefined;
    const targetNow = path.join(s.dir, 'target-now.txt');
    const r = await runSync(
      opts({
        clock: () => new Date(instants[Math.min(reads++, 1)]!),
        models: true,
        modelsRunner: async (m) => {
          modelsNow = m.now;
          return { raw: null };
        },
        env: { STANDIN_TARGET_NOW_FILE: targetNow },
      }),
    );
    expect(r.exitCode, sink.text).to.equal(0);
    expect(reads).to.equal(1);
    expect(tapArgs().now).to.equal(instants[0]);
    expect(readFileSync(targetNow, 'utf8')).to.equal(instants[0]);
    expect(modelsNow?.toISOString()).to.equal(instants[0]);
  });

  it('measures its duration on the monotonic clock, whatever instant the run clock is pinned to', async () => {
    for (const pinned of ['2030-01-01T00:00:00Z', '2019-06-01T00:00:00Z']) {
      const r = await runSync(opts({ clock: () => new Date(pinned) }));
      expect(r.exitCode, sink.text).to.equal(0);
      expect(r.summary.started_at).to.equal(new Date(pinned).toISOString());
      expect(r.summary.duration_s).to.be.within(0, 60);
      expect(Date.parse(r.summary.finished_at) - Date.parse(r.summary.started_at)).to.be.within(0, 60_000);
    }
  });

  it('takes its clock from FB_ADS_ELT_NOW when set, and refuses a value without a zone (exit 2)', async () => {
    const r = await runSync(opts({ env: { FB_ADS_ELT_NOW: '2026-02-28T23:59:59+01:00' } }));
    expect(r.exitCode, sink.text).to.equal(0);
    expect(tapArgs().now).to.equal('2026-02-28T22:59:59.000Z');
    let err: unknown;
    try {
      await runSync(opts({ env: { FB_ADS_ELT_NOW: '2026-02-28 10:00' } }));
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ConfigError);
    expect((err as ConfigError).message).to.include('FB_ADS_ELT_NOW');
  });

  it('pipes every record from the tap into the target and counts rows per stream', async () => {
    const records = path.join(s.dir, 'records.jsonl');
    const r = await runSync(opts({ env: { STANDIN_RECORDS_FILE: records, STANDIN_ROWS: '50' } }));
    expect(r.exitCode).to.equal(0);
    const received = readFileSync(records, 'utf8').trim().split('\n');
    expect(received.filter((l) => l.includes('"campaigns"'))).to.have.length(100);
    expect(r.summary.rows).to.deep.equal({ campaigns: 100, sync_log: 2 });
    expect(r.summary.api_calls).to.equal(8);
  });

  it('persists the last state the target committed and feeds it to the next run', async () => {
    const first = await runSync(opts());
    expect(first.exitCode).to.equal(0);
    const saved = JSON.parse(readFileSync(path.join(s.dir, 'state.json'), 'utf8')) as { bookmarks: { campaigns: Record<string, unknown> } };
    expect(Object.keys(saved.bookmarks.campaigns)).to.deep.equal(['111', '222']);
    expect(tapArgs().args).not.to.include('--state');
    expect(first.summary.accounts).to.include({ found: 2, added: 2, updated: 0, failed: 0 });

    const second = await runSync(opts({ env: { STANDIN_ACCOUNTS: '111,333' } }));
    expect(second.exitCode).to.equal(0);
    expect(tapArgs().args).to.include('--state');
    expect(tapArgs().state).to.deep.equal(saved);
    expect(second.summary.accounts).to.include({ found: 2, added: 1, updated: 1 });
  });

  it("keeps numbers beyond 2^53 in the state exact, from the target's line to the file and the next run's tap", async () => {
    const text = '{"bookmarks":{"campaigns":{"111":{"updated_time":"2026-11-01T00:00:00Z","cursor":9007199254740993}}},"seq":18446744073709551615}';
    expect((await runSync(opts({ env: { STANDIN_TARGET_STATE_TEXT: text } }))).exitCode).to.equal(0);
    expect(readFileSync(path.join(s.dir, 'state.json'), 'utf8')).to.equal(text + '\n');
    expect((await runSync(opts())).exitCode).to.equal(0);
    expect(tapArgs().state_text).to.equal(text + '\n');
  });

  describe('--full-refresh', () => {
    const before = {
      bookmarks: {
        campaigns: { '111': { updated_time: '2026-11-01T00:00:00Z' }, act_222: { updated_time: '2026-11-02T00:00:00Z' } },
        insights_account: { '111': { date_start: '2026-11-20' }, '222': { date_start: '2026-11-21' } },
      },
    };
    const stateFile = (): string => path.join(s.dir, 'state.json');
    const saved = (): typeof before => JSON.parse(readFileSync(stateFile(), 'utf8')) as typeof before;
    /** The stand-in tap, dying right after it has recorded its arguments and state (before any output). */
    const dyingTap = (): string[] => {
      const file = path.join(s.dir, 'dying-tap.mjs');
      writeFileSync(file, readFileSync(s.tap[s.tap.length - 1]!, 'utf8').replace('const log = ', 'process.exit(3);\nconst log = '));
      return [...s.tap.slice(0, -1), file];
    };
    beforeEach(() => {
      writeFileSync(s.targetConfig, JSON.stringify({ destination: 'duckdb', duckdb_path: path.join(s.dir, 'warehouse.duckdb') }));
      writeFileSync(path.join(s.dir, 'warehouse.duckdb'), '');
      writeFileSync(stateFile(), JSON.stringify(before));
    });

    it("hands the tap the state without the named streams' bookmarks, and writes that state to the file before the tap starts", async () => {
      // The tap dies at once: what the file holds then is what the next run resumes from.
      const r = await runSync(opts({ fullRefresh: ['insights_account'], tapCommand: dyingTap() }));
      expect(r.exitCode, sink.text).to.equal(3);
      expect(tapArgs().state).to.deep.equal({ bookmarks: { campaigns: before.bookmarks.campaigns } });
      expect(saved()).to.deep.equal({ bookmarks: { campaigns: before.bookmarks.campaigns } });
      expect(sink.text).to.match(/full refresh: insights_account is read from start_date/);
    });

    it('with --account clears only that account of each stream (act_ prefix or not), and with no stream named, every stream', async () => {
      await runSync(opts({ fullRefresh: 'all', account: 'act_222', tapCommand: dyingTap() }));
      expect(tapArgs().state).to.deep.equal({ bookmarks: { campaigns: { '111': before.bookmarks.campaigns['111'] }, insights_account: { '111': before.bookmarks.insights_account['111'] } } });
      await runSync(opts({ fullRefresh: 'all', tapCommand: dyingTap() }));
      expect(tapArgs().state).to.deep.equal({ bookmarks: {} });
    });

    it('refuses (exit 2) a stream that keeps no bookmarks, listing those that do, and --days with it, before anything runs or is written', async () => {
      for (const [over, message] of [
        [{ fullRefresh: ['insights_acount'] }, /^--full-refresh names "insights_acount", not a stream that keeps bookmarks/],
        [{ fullRefresh: 'all', days: 3 }, /^--full-refresh re-reads the streams from start_date, --days reads only the last N days/],
      ] as const) {
        let err: unknown;
        await runSync(opts(over)).catch((e: unknown) => (err = e));
        expect(err).to.be.instanceOf(ConfigError);
        expect((err as ConfigError).message).to.match(message);
        expect(saved()).to.deep.equal(before);
        expect(existsSync(path.join(s.dir, 'args.json'))).to.equal(false);
      }
      let err: ConfigError | undefined;
      await runSync(opts({ fullRefresh: ['nope'] })).catch((e: ConfigError) => (err = e));
      expect(err?.hint).to.match(/Streams with bookmarks: .*campaigns.*insights_account/);
    });
  });

  it('leaves no temp file next to the state file after writing it', async () => {
    await runSync(opts());
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(s.dir).filter((f) => f.endsWith('.tmp'))).to.deep.equal([]);
  });

  it('exits 5 when the tap reports a partial success, keeps the committed state and names the failed account with its hint', async () => {
    const r = await runSync(opts({ env: { STANDIN_ACCOUNTS: '111,222,333', STANDIN_FAILED: '222' } }));
    expect(r.exitCode).to.equal(5);
    expect(r.summary.status).to.equal('partial');
    const saved = JSON.parse(readFileSync(path.join(s.dir, 'state.json'), 'utf8')) as { bookmarks: { campaigns: Record<string, unknown> } };
    expect(Object.keys(saved.bookmarks.campaigns)).to.deep.equal(['111', '333']);
    const failure = r.summary.failures.find((f) => f.account_id === '222');
    expect(failure).to.include({ scope: 'account', kind: 'permission' });
    expect(failure?.hint).to.match(/ads_read/);
    expect(r.summary.throttles).to.equal(1);
    expect(r.summary.accounts.failed).to.equal(1);
    // Without --models too: a scheduler running dbt itself (the Airflow DAG) reads whether to build.
    expect(r.summary.models).to.deep.equal({ ran: false, due: true, stale_accounts: ['222'] });
  });

  it('fails with exit 6 naming the stream and the account when the target committed fewer records than the tap says it wrote', async () => {
    const r = await runSync(opts({ env: { STANDIN_ACCOUNTS: '111,222', STANDIN_EXTRA_WRITTEN: '6' } }));
    expect(r.exitCode).to.equal(6);
    expect(r.summary.status).to.equal('failed');
    const lost = r.summary.failures.filter((f) => f.scope === 'pipeline');
    expect(lost).to.have.length(1);
    expect(lost[0]).to.include({ kind: 'data', account_id: '111' });
    expect(lost[0]!.message).to.equal('stream "campaigns", account 111: the tap wrote 9 records but the target committed 3 (the pipe carried 6 for the whole stream)');
  });

  it('fails with exit 6 when a tap that sent records reported no record counts (its last log lines were lost)', async () => {
    const quiet = path.join(s.dir, 'quiet-tap.mjs');
    writeFileSync(quiet, readFileSync(s.tap[s.tap.length - 1]!, 'utf8').replace('reportCounts(written);', ''));
    const r = await runSync(opts({ tapCommand: [...s.tap.slice(0, -1), quiet] }));
    expect(r.exitCode).to.equal(6);
    expect(r.summary.failures.find((f) => f.scope === 'pipeline')?.message).to.match(/^the tap sent 8 records but reported no record_count metrics/);
  });

  it('lets a target failure win over the tap, stops the tap, and keeps only the state committed before the failure', async () => {
    const r = await runSync(opts({ env: { STANDIN_TARGET_FAIL_AFTER_STATES: '1', STANDIN_ACCOUNTS: '111,222,333', STANDIN_HANG: '1' } }));
    expect(r.exitCode).to.equal(6);
    const saved = JSON.parse(readFileSync(path.join(s.dir, 'state.json'), 'utf8')) as { bookmarks: { campaigns: Record<string, unknown> } };
    expect(Object.keys(saved.bookmarks.campaigns)).to.deep.equal(['111']);
    const target = r.summary.failures.find((f) => f.scope === 'target');
    expect(target).to.include({ kind: 'data', hint: 'drop the table' });
  });

  it("passes the tap's own exit code through with its error and hint", async () => {
    const r = await runSync(opts({ env: { STANDIN_TAP_EXIT: '2' } }));
    expect(r.exitCode).to.equal(2);
    expect(r.summary.failures.find((f) => f.scope === 'tap')).to.include({ kind: 'config', hint: 'fix account_ids' });
  });

  it('passes --account, --days and --catalog to the tap', async () => {
    const catalog = path.join(s.dir, 'catalog.json');
    writeFileSync(catalog, '{"streams":[]}');
    await runSync(opts({ account: 'act_111', days: 7, catalogPath: catalog }));
    const { args, run_id } = tapArgs();
    expect(args.slice(args.indexOf('--account'), args.indexOf('--account') + 2)).to.deep.equal(['--account', 'act_111']);
    expect(args.slice(args.indexOf('--days'), args.indexOf('--days') + 2)).to.deep.equal(['--days', '7']);
    expect(args).to.include(catalog);
    expect(run_id)
      .to.be.a('string')
      .and.match(/^\d{8}T\d{6}Z-[0-9a-f]{6}$/);
  });

  it('redacts configured tokens in the relayed child logs', async () => {
    await runSync(opts({ env: { STANDIN_LEAK: s.token } }));
    expect(sink.text).to.include('starting with token');
    expect(sink.text).not.to.include(s.token);
  });

  it('refuses (exit 2) a state file with bookmarks whose DuckDB warehouse does not exist — a mistyped duckdb_path, not a first run — before spawning anything', async () => {
    expect((await runSync(opts())).exitCode).to.equal(0);
    const state = readFileSync(path.join(s.dir, 'state.json'), 'utf8');
    writeFileSync(s.targetConfig, JSON.stringify({ destination: 'duckdb', duckdb_path: path.join(s.dir, 'warehuose.duckdb') }));
    rmSync(path.join(s.dir, 'args.json'));
    const err = await refusal();
    expect(err.message).to.include('state.json').and.to.include('warehuose.duckdb').and.to.include('does not exist');
    expect(existsSync(path.join(s.dir, 'args.json')), 'no tap started').to.equal(false);
    expect(existsSync(path.join(s.dir, 'warehuose.duckdb')), 'no new warehouse created').to.equal(false);
    expect(readFileSync(path.join(s.dir, 'state.json'), 'utf8')).to.equal(state);
    // Without a state file the same path is a first run.
    expect((await runSync(opts({ stateFile: path.join(s.dir, 'fresh-state.json') }))).exitCode).to.equal(0);
  });

  it('refuses (exit 2) a state file with bookmarks when the DuckDB warehouse has no raw tables in the target dataset — a renamed or mistyped dataset would get only the rows after the bookmarks — unless every stream is fully refreshed', async () => {
    const file = path.join(s.dir, 'warehouse.duckdb');
    const db = await DuckDBInstance.create(file);
    const conn = await db.connect();
    // As a catalog selecting only campaigns leaves it: no sync_log, ad_accounts or insights table.
    await conn.run('CREATE SCHEMA facebook_ads; CREATE TABLE facebook_ads.campaigns (id VARCHAR)');
    conn.closeSync();
    db.closeSync();
    expect((await runSync(opts())).exitCode, sink.text).to.equal(0);
    const state = readFileSync(path.join(s.dir, 'state.json'), 'utf8');
    expect(Object.keys((JSON.parse(state) as { bookmarks: object }).bookmarks)).to.include('campaigns');
    writeFileSync(s.targetConfig, JSON.stringify({ destination: 'duckdb', duckdb_path: file, dataset: 'fb_ads' }));
    rmSync(path.join(s.dir, 'args.json'));
    const err = await refusal();
    expect(err.message).to.include('state.json').and.to.include('holds bookmarks of campaigns').and.to.include('no table of theirs in dataset "fb_ads"').and.to.include('they are in "facebook_ads"');
    expect(err.hint).to.include('--full-refresh');
    expect(existsSync(path.join(s.dir, 'args.json')), 'no tap started').to.equal(false);
    expect(readFileSync(path.join(s.dir, 'state.json'), 'utf8')).to.equal(state);
    // Refreshing only some streams still leaves bookmarks to start from: refused too, state untouched.
    try {
      await runSync(opts({ fullRefresh: ['insights_ad'] }));
      expect.fail('a partial refresh was not refused');
    } catch (e) {
      expect(e).to.be.instanceOf(ConfigError);
    }
    expect(readFileSync(path.join(s.dir, 'state.json'), 'utf8')).to.equal(state);
    // The dataset the tables are in, or a full refresh of every stream into the new one, runs.
    expect((await runSync(opts({ fullRefresh: 'all' }))).exitCode, sink.text).to.equal(0);
    writeFileSync(s.targetConfig, JSON.stringify({ destination: 'duckdb', duckdb_path: file, dataset: 'FACEBOOK_ADS' }));
    expect((await runSync(opts())).exitCode, sink.text).to.equal(0);
  });

  it('refuses (exit 2) a state file with bookmarks when the BigQuery dataset holds none of their tables — a renamed dataset — reading only table metadata, and runs once it holds one or BigQuery cannot be asked', async function () {
    this.timeout(60_000);
    process.env['METADATA_SERVER_DETECTION'] = 'none';
    const emulator = new BigQueryEmulator('acme-ads-prod');
    const url = await emulator.start();
    try {
      const bq = (dataset: string, endpoint = url) => JSON.stringify({ destination: 'bigquery', project_id: 'acme-ads-prod', dataset, api_endpoint: endpoint });
      writeFileSync(s.targetConfig, bq('meta_raw'));
      expect((await runSync(opts())).exitCode, sink.text).to.equal(0);
      const state = readFileSync(path.join(s.dir, 'state.json'), 'utf8');
      expect(Object.keys((JSON.parse(state) as { bookmarks: object }).bookmarks)).to.include('campaigns');
      rmSync(path.join(s.dir, 'args.json'));
      const err = await refusal();
      expect(err.message).to.equal(`state file ${path.join(s.dir, 'state.json')} holds bookmarks of campaigns, but BigQuery dataset acme-ads-prod.meta_raw (the target config's) has no table of theirs`);
      expect(err.hint).to.include('--full-refresh');
      expect(existsSync(path.join(s.dir, 'args.json')), 'no tap started').to.equal(false);
      expect(readFileSync(path.join(s.dir, 'state.json'), 'utf8')).to.equal(state);
      expect(
        emulator.requests.filter((r) => r.method !== 'GET'),
        'only metadata read',
      ).to.deep.equal([]);
      // The table there (the stand-in target writes none): the same state runs.
      const client = new BigQuery({ projectId: 'acme-ads-prod', apiEndpoint: url, authClient: new PassThroughClient() });
      const dest = new BigQueryDestination({ client, projectId: 'acme-ads-prod', dataset: 'meta_raw', location: 'US' });
      await dest.open();
      await dest.createTable('campaigns', [{ name: 'id', type: 'STRING', mode: 'NULLABLE' }], { clusterFields: ['id'] });
      expect((await runSync(opts())).exitCode, sink.text).to.equal(0);
      // BigQuery unreachable: the check cannot tell, so it leaves the question to the target.
      writeFileSync(s.targetConfig, bq('other_raw', 'http://127.0.0.1:9'));
      expect((await runSync(opts())).exitCode, sink.text).to.equal(0);
    } finally {
      await emulator.stop();
    }
  });

  it('refuses an invalid tap config before spawning anything (exit 2)', async () => {
    writeFileSync(s.tapConfig, JSON.stringify({ access_token: s.token, page_size: 0 }));
    const err = await refusal();
    expect(err.message).to.equal(`Invalid tap config (${s.tapConfig}): config.page_size must be >= 1`);
    expect(existsSync(path.join(s.dir, 'args.json'))).to.equal(false);
  });

  it('names the target config file in its refusal, as the target itself does (exit 2)', async () => {
    writeFileSync(s.targetConfig, JSON.stringify({ destination: 'bigquery' }));
    const err = await refusal();
    expect(err.message).to.equal(`Invalid target config (${s.targetConfig}): config.project_id is required when destination is "bigquery"`);
  });

  it('builds the models after a committed sync, on the DuckDB file and schema of the target config', async () => {
    writeFileSync(s.targetConfig, JSON.stringify({ destination: 'duckdb', duckdb_path: path.join(s.dir, 'warehouse.duckdb'), dataset: 'meta_raw' }));
    const calls: string[] = [];
    const r = await runSync(
      opts({
        models: true,
        modelsRunner: async (m) => {
          calls.push(m.duckdbPath);
          expect(m.vars).to.deep.equal({ facebook_ads_schema: 'meta_raw' });
          expect(m.now).to.be.instanceOf(Date);
          return { models: 12, raw: null };
        },
      }),
    );
    expect(r.exitCode).to.equal(0);
    expect(calls).to.deep.equal([path.join(s.dir, 'warehouse.duckdb')]);
    expect(r.summary.models).to.deep.equal({ ran: true, due: true, exit_code: 0, models: 12 });
  });

  it("hands the user's dbt vars (sync --vars, serve's dbt_vars) to the models build, over the target's schema default", async () => {
    writeFileSync(s.targetConfig, JSON.stringify({ destination: 'duckdb', duckdb_path: path.join(s.dir, 'warehouse.duckdb'), dataset: 'meta_raw' }));
    let vars: Record<string, unknown> | undefined;
    const modelsVars = { cac_orders: { relation: 'shop.orders' }, reporting_currency: 'EUR' };
    const r = await runSync(opts({ models: true, modelsVars, modelsRunner: async (m) => ((vars = m.vars), { models: 3, raw: null }) }));
    expect(r.exitCode).to.equal(0);
    expect(vars).to.deep.equal({ facebook_ads_schema: 'meta_raw', ...modelsVars });
  });

  it('turns the history staging models off when the target keeps no __history tables (history: false)', async () => {
    writeFileSync(s.targetConfig, JSON.stringify({ destination: 'duckdb', duckdb_path: path.join(s.dir, 'warehouse.duckdb'), history: false }));
    let vars: Record<string, unknown> | undefined;
    const r = await runSync(opts({ models: true, modelsRunner: async (m) => ((vars = m.vars), { models: 3, raw: null }) }));
    expect(r.exitCode).to.equal(0);
    expect(vars).to.deep.equal({ facebook_ads_schema: 'facebook_ads', facebook_ads__using_history: false });
  });

  it('does not build the models when the target failed, and reports a models failure with its exit code', async () => {
    let called = 0;
    const runner = async (): Promise<never> => {
      called++;
      throw new ConfigError('model fct_x refers to a missing column', { hint: 'fix the model' });
    };
    const failedTarget = await runSync(opts({ models: true, modelsRunner: runner, env: { STANDIN_TARGET_FAIL_AFTER_STATES: '0' } }));
    expect(failedTarget.exitCode).to.equal(6);
    expect(called).to.equal(0);
    const skipped = sink.lines().find((l) => String(l['msg']).startsWith('models not built'));
    expect(skipped?.['msg']).to.equal('models not built: the target failed (exit 6): only what the saved state covers was committed');
    expect(skipped?.['hint']).to.include('fb-ads-elt models build --duckdb-path');
    const failedModels = await runSync(opts({ models: true, modelsRunner: runner }));
    expect(called).to.equal(1);
    expect(failedModels.exitCode).to.equal(2);
    expect(failedModels.summary.failures.find((f) => f.scope === 'models')).to.include({ hint: 'fix the model' });
  });

  it('says why the models were not built when the tap ended with an error before finishing every account, not that nothing was committed', async () => {
    let called = 0;
    const r = await runSync(opts({ models: true, modelsRunner: async () => (called++, { models: 1, raw: null }), env: { STANDIN_TAP_EXIT: '7' } }));
    expect(r.exitCode).to.equal(7);
    expect(called).to.equal(0);
    expect(r.summary.state.written, 'rows were committed').to.equal(true);
    const skipped = sink.lines().find((l) => String(l['msg']).startsWith('models not built'));
    expect(skipped?.['msg']).to.equal('models not built: the tap ended with exit 7 before it finished every account');
    expect(skipped?.['hint']).to.match(/^What this run committed reaches the models at the next sync that builds them, or now with `fb-ads-elt models build --duckdb-path .*warehouse\.duckdb`\.$/);
    expect(r.summary.models).to.deep.equal({ ran: false, due: false, not_built: 'the tap ended with exit 7 before it finished every account' });
  });

  it('builds the models after a run that went through every account and ended with exit 7 or 4, keeps that exit code and names the stale accounts', async () => {
    for (const code of ['7', '4']) {
      let called = 0;
      const r = await runSync(opts({ models: true, modelsRunner: async () => (called++, { models: 9, raw: null }), env: { STANDIN_TAP_EXIT: code, STANDIN_SUMMARY: '1', STANDIN_FAILED: '222' } }));
      expect(called, `tap exit ${code}`).to.equal(1);
      expect(r.exitCode).to.equal(Number(code));
      expect(r.summary.status).to.equal('failed');
      expect(r.summary.models).to.deep.equal({ ran: true, due: true, exit_code: 0, models: 9, stale_accounts: ['222'] });
      // 222 has no bookmark before this run: it has no rows in the reports, not old ones.
      expect(formatSummary(r.summary)).to.include('  models    built (9 models) over a partial run: act_222 failed on its first run, so the reports have none of its rows yet\n');
    }
    const said = sink.lines().filter((l) => String(l['msg']).startsWith('building the models over a partial run'));
    expect(said.map((l) => l['stale_accounts'])).to.deep.equal([['222'], ['222']]);
    // The warning says it as the summary does (it read "account 222 … their rows").
    expect(said[0]?.['msg']).to.equal('building the models over a partial run: act_222 failed on its first run, so the reports have none of its rows yet');
  });

  it('does not build the models when no account finished, whatever the exit code says', async () => {
    let called = 0;
    const r = await runSync(opts({ models: true, modelsRunner: async () => (called++, { models: 1, raw: null }), env: { STANDIN_TAP_EXIT: '4', STANDIN_SUMMARY: '1', STANDIN_FAILED: '111,222' } }));
    expect(r.exitCode).to.equal(4);
    expect(called).to.equal(0);
    expect(r.summary.models).to.deep.equal({ ran: false, due: false, not_built: 'the tap ended with exit 4 and no account finished' });
    expect(formatSummary(r.summary)).to.include('  models    not built: the tap ended with exit 4 and no account finished\n');
  });

  it('fails with the spawn error when the tap command cannot be started', async () => {
    let err: unknown;
    try {
      await runSync(opts({ tapCommand: [path.join(s.dir, 'no-such-tap')] }));
    } catch (e) {
      err = e;
    }
    expect((err as NodeJS.ErrnoException | undefined)?.code).to.equal('ENOENT');
  });

  it('ends with the retry-later exit code naming the target when the target is killed with -9, keeping the state it committed', async () => {
    // The stand-in target sends SIGKILL to itself after echoing its first state (a real kill -9).
    const r = await runSync(opts({ env: { STANDIN_TARGET_KILL9_AFTER_STATES: '1', STANDIN_HANG: '1' } }));
    expect(r.exitCode).to.equal(7);
    const failure = r.summary.failures.find((f) => f.scope === 'target');
    expect(failure).to.include({ kind: 'killed', message: 'target-bigquery was killed by SIGKILL before it finished' });
    expect(failure?.hint).to.match(/^Nothing after the last saved state was committed; re-run/);
    const saved = JSON.parse(readFileSync(path.join(s.dir, 'state.json'), 'utf8')) as { bookmarks: { campaigns: Record<string, unknown> } };
    expect(Object.keys(saved.bookmarks.campaigns)).to.deep.equal(['111']);
  });

  it('stops the tap when aborted and ends with the retry-later exit code, without building the models (nobody waits for dbt after Ctrl-C)', async () => {
    const ac = new AbortController();
    let called = 0;
    // Abort once the target committed something, so the test does not depend on timing.
    const r = await runSync(opts({ signal: ac.signal, onState: () => ac.abort(), models: true, modelsRunner: async () => (called++, { models: 1, raw: null }), env: { STANDIN_HANG: '1' } }));
    expect(r.exitCode).to.equal(7);
    expect(existsSync(path.join(s.dir, 'state.json'))).to.equal(true);
    expect(called).to.equal(0);
    expect(r.summary.models).to.deep.equal({ ran: false, due: false, not_built: 'the run was stopped before the tap finished' });
  });

  it('counts the account the tap was reading as found when it is stopped before its sync_log (Ctrl-C)', async () => {
    const ac = new AbortController();
    const onChildLog = (_c: string, line: { fields: Record<string, unknown> }): void => {
      if (line.fields['account_id'] !== undefined) ac.abort();
    };
    const r = await runSync(opts({ signal: ac.signal, onChildLog, env: { STANDIN_HANG_FIRST: '1' } }));
    expect(r.exitCode).to.equal(7);
    // No sync_log record and no summary line came from the tap: before, the summary said "0 found".
    expect(r.summary.accounts.list).to.deep.equal([]);
    expect(r.summary.accounts.found).to.equal(1);
  });
});
