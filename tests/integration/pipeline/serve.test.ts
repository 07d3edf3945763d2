import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { clockStartingAt, type Clock } from '../../../connector/core/clock.js';
import { Logger } from '../../../connector/core/log.js';
import { REPO_ROOT } from '../../../connector/core/config.js';
import { ConfigError, ConnectorError, EXIT_CODES } from '../../../connector/core/errors.js';
import { listenUrl, REPORT_PATH, SyncServer, SYNC_PATH, STATUS_PATH } from '../../../connector/pipeline/serve.js';
import { validateServeConfig, type ServeConfig } from '../../../connector/pipeline/serve-config.js';
import { readLockOwner } from '../../../connector/pipeline/run-lock.js';
import { runSync, type SyncOptions } from '../../../connector/pipeline/sync.js';
import { makeStandins, MemorySink, type Standins } from './standins.js';

const SECRET = 'serve-secret-' + 'ab12'.repeat(6);

describe('fb-ads-elt serve HTTP API (over loopback, stand-in tap and target)', () => {
  let s: Standins;
  let sink: MemorySink;
  let server: SyncServer;
  let base: string;

  async function start(env: Record<string, string> = {}, extra: Record<string, unknown> = {}, syncExtra: Partial<SyncOptions> = {}, clock?: Clock): Promise<void> {
    const { config } = validateServeConfig({ bearer_secret: SECRET, tap_config: 'tap.json', target_config: 'target.json', state_file: 'state.json', port: 0, ...extra }, s.dir);
    server = new SyncServer({
      config: config as ServeConfig,
      log: new Logger({ component: 'serve', sink }),
      runSync,
      ...(clock ? { clock } : {}),
      syncDefaults: { tapCommand: s.tap, targetCommand: s.target, logSink: sink, env: { ...process.env, ...env }, ...syncExtra },
    });
    const port = await server.listen();
    base = `http://127.0.0.1:${port}`;
  }
  const call = (method: string, p: string, body?: string, auth: string | null = `Bearer ${SECRET}`): Promise<Response> =>
    fetch(base + p, { method, headers: { ...(auth === null ? {} : { authorization: auth }), ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body }) });

  beforeEach(() => {
    s = makeStandins();
    sink = new MemorySink();
  });
  afterEach(async () => {
    await server?.close();
    s.cleanup();
  });

  it('answers 401 without a bearer token or with a wrong one, on both endpoints', async () => {
    await start();
    for (const [method, p] of [
      ['GET', STATUS_PATH],
      ['POST', SYNC_PATH],
    ] as const) {
      expect((await call(method, p, undefined, null)).status).to.equal(401);
      const wrong = await call(method, p, undefined, `Bearer ${SECRET}x`);
      expect(wrong.status).to.equal(401);
      expect(wrong.headers.get('www-authenticate')).to.match(/^Bearer/);
      expect((await call(method, p, undefined, `Basic ${SECRET}`)).status).to.equal(401);
    }
    expect((await call('GET', STATUS_PATH)).status).to.equal(200);
  });

  it('logs each refused call (method, path, client address) without the token or query it carried', async () => {
    await start();
    const guess = 'guessed-token-' + 'z9'.repeat(8);
    expect((await call('GET', `${STATUS_PATH}?access_token=${guess}`, undefined, `Bearer ${guess}`)).status).to.equal(401);
    expect((await call('POST', SYNC_PATH, undefined, null)).status).to.equal(401);
    const refused = sink.lines().filter((l) => l['msg'] === 'call refused: missing or wrong bearer token');
    expect(refused.map((l) => [l['level'], l['method'], l['path'], l['remote']])).to.deep.equal([
      ['warn', 'GET', STATUS_PATH, '127.0.0.1'],
      ['warn', 'POST', SYNC_PATH, '127.0.0.1'],
    ]);
    expect(sink.text).to.not.include(guess);
    expect(sink.text).to.not.include(SECRET);
  });

  it('closes the connection after a 401 even while the client is still trickling a body', async () => {
    await start();
    const { port } = new URL(base);
    const sock = net.connect(Number(port), '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    let answer = '';
    sock.on('data', (c: Buffer) => (answer += c.toString()));
    const closed = new Promise<number>((r) => sock.once('close', () => r(Date.now())));
    sock.write(`POST ${SYNC_PATH} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n{`);
    const trickle = setInterval(() => sock.writable && sock.write(' '), 50);
    const started = Date.now();
    try {
      const at = await Promise.race([closed, new Promise<number>((r) => setTimeout(() => r(-1), 5000))]);
      expect(at, 'the server hung up').to.be.greaterThan(0);
      expect(at - started).to.be.lessThan(5000);
      expect(answer).to.match(/^HTTP\/1\.1 401/);
    } finally {
      clearInterval(trickle);
      sock.destroy();
    }
  });

  it('triggers a run with 202, then reports it per account in sync-status once finished', async () => {
    await start({ STANDIN_ACCOUNTS: '111,222,333', STANDIN_FAILED: '333' });
    const r = await call('POST', SYNC_PATH, JSON.stringify({ days: 3 }));
    expect(r.status).to.equal(202);
    const { run_id } = (await r.json()) as { run_id: string };
    expect(run_id).to.be.a('string');
    await server.idle();
    const st = (await (await call('GET', STATUS_PATH)).json()) as {
      running: unknown;
      last_run: { run_id: string; status: string; exit_code: number; params: unknown; rows: Record<string, number> };
      accounts: { account_id: string; last_status: string; last_run_id: string; last_success_at?: string; error?: { hint?: string } }[];
      errors: { account_id?: string; hint?: string }[];
    };
    expect(st.running).to.equal(null);
    expect(st.last_run).to.include({ run_id, status: 'partial', exit_code: 5 });
    expect(st.last_run.params).to.deep.equal({ days: 3 });
    expect(st.last_run.rows['campaigns']).to.equal(6);
    expect(st.accounts.map((a) => [a.account_id, a.last_status])).to.deep.equal([
      ['111', 'ok'],
      ['222', 'ok'],
      ['333', 'failed'],
    ]);
    expect(st.accounts.every((a) => a.last_run_id === run_id)).to.equal(true);
    expect(st.accounts[2]?.last_success_at).to.equal(undefined);
    expect(st.errors.find((e) => e.account_id === '333')?.hint).to.match(/ads_read/);
  });

  it('stamps each run from the server clock: with a pinned instant, later runs are later and run id, started_at and the run clock agree', async () => {
    const seen: Date[] = [];
    await start({}, {}, {}, clockStartingAt(new Date('2030-05-01T00:00:00Z')));
    const runs: { run_id: string; started_at: string }[] = [];
    for (let i = 0; i < 2; i++) {
      const { run_id } = (await (await call('POST', SYNC_PATH)).json()) as { run_id: string };
      await server.idle();
      const st = (await (await call('GET', STATUS_PATH)).json()) as { last_run: { run_id: string; started_at: string; summary?: { started_at: string } } };
      expect(st.last_run.run_id).to.equal(run_id);
      runs.push(st.last_run);
      if (st.last_run.summary) seen.push(new Date(st.last_run.summary.started_at));
    }
    for (const r of runs) expect(r.run_id.startsWith('20300501T0000')).to.equal(true);
    expect(Date.parse(runs[1]!.started_at)).to.be.greaterThan(Date.parse(runs[0]!.started_at));
    expect(seen).to.have.length(2);
    // The run reads the same clock a moment later (never the restarted pinned instant, never the wall clock).
    for (const [i, d] of seen.entries()) expect(d.getTime() - Date.parse(runs[i]!.started_at)).to.be.within(0, 1000);
  });

  it('refuses a second trigger with 409 naming the running run', async () => {
    await start({ STANDIN_HANG: '1' });
    const first = (await (await call('POST', SYNC_PATH)).json()) as { run_id: string };
    const second = await call('POST', SYNC_PATH, '{}');
    expect(second.status).to.equal(409);
    expect(await second.json()).to.deep.include({ run_id: first.run_id });
    const st = (await (await call('GET', STATUS_PATH)).json()) as { running: { run_id: string; status: string } };
    expect(st.running).to.include({ run_id: first.run_id, status: 'running' });
    // The running run shows live progress: the stand-in commits two states, then hangs.
    let progress: { phase?: string; account_id?: string; states_committed: number } = { states_committed: 0 };
    for (let i = 0; i < 200 && progress.states_committed < 2; i++) {
      await new Promise((r) => setTimeout(r, 50));
      progress = ((await (await call('GET', STATUS_PATH)).json()) as { running: { progress: typeof progress } }).running.progress;
    }
    expect(progress).to.deep.include({ phase: 'syncing', states_committed: 2, account_id: '222' });
  });

  it("GET report: 401 without the bearer, 405 for another method, 409 naming the serve config's models while none are built, 503 while a sync writes the warehouse, 501 on BigQuery", async () => {
    await start({ STANDIN_HANG: '1' });
    expect((await call('GET', REPORT_PATH, undefined, null)).status).to.equal(401);
    const post = await call('POST', REPORT_PATH);
    expect(post.status).to.equal(405);
    expect(post.headers.get('allow')).to.equal('GET');
    // No warehouse yet (no sync ran): nothing to read.
    const none = await call('GET', REPORT_PATH);
    expect(none.status, sink.text.slice(-1500)).to.equal(409);
    expect(((await none.json()) as { hint: string }).hint).to.equal('Set "models": true in the serve config and trigger a sync: the report reads the models it builds.');
    const run = (await (await call('POST', SYNC_PATH)).json()) as { run_id: string };
    const busy = await call('GET', REPORT_PATH);
    expect(busy.status).to.equal(503);
    expect(busy.headers.get('retry-after')).to.equal('60');
    expect(await busy.json()).to.deep.include({ run_id: run.run_id });
    await server.close();
    writeFileSync(path.join(s.dir, 'target.json'), JSON.stringify({ destination: 'bigquery', project_id: 'acme-ads-prod', dataset: 'meta_raw' }));
    await start();
    const bq = await call('GET', REPORT_PATH);
    expect(bq.status).to.equal(501);
    expect(((await bq.json()) as { error: string }).error).to.equal('the report reads a DuckDB warehouse; this serve loads into bigquery');
  });

  it('answers 400 with a message for bad JSON and bad parameters, without starting a run', async () => {
    await start();
    const cases: [string, RegExp][] = [
      ['{not json', /not valid JSON/],
      ['[1]', /JSON object/],
      ['{"days": 0}', /days must be an integer/],
      ['{"days": "7"}', /days must be an integer/],
      ['{"days": 5000}', /days must be an integer from 1 to 1131/],
      ['{"account_id": 123}', /account_id must be/],
      ['{"account_id": "act_12x"}', /account_id must be/],
      ['{"acount_id": "1"}', /unknown field.*acount_id.*allowed: account_id, days, full_refresh/],
      ['{"full_refresh": "insights_ad"}', /full_refresh must be true \(every stream\) or a list of stream names/],
      ['{"full_refresh": []}', /full_refresh must be true/],
      ['{"full_refresh": true, "days": 3}', /full_refresh re-reads the streams from start_date, days only the last N days/],
    ];
    for (const [body, msg] of cases) {
      const r = await call('POST', SYNC_PATH, body);
      expect(r.status, body).to.equal(400);
      expect(((await r.json()) as { error: string }).error, body).to.match(msg);
    }
    const st = (await (await call('GET', STATUS_PATH)).json()) as { running: unknown; runs: unknown[] };
    expect(st.running).to.equal(null);
    expect(st.runs).to.deep.equal([]);
  });

  it('passes account_id and days from the trigger to the tap', async () => {
    await start({ STANDIN_ARGS_FILE: path.join(s.dir, 'args.json') });
    expect((await call('POST', SYNC_PATH, '{"account_id":"act_222","days":7}')).status).to.equal(202);
    await server.idle();
    const { readFileSync } = await import('node:fs');
    const { args } = JSON.parse(readFileSync(path.join(s.dir, 'args.json'), 'utf8')) as { args: string[] };
    expect(args.join(' ')).to.include('--account 222').and.include('--days 7');
  });

  it('clears the bookmarks full_refresh names before the run (every stream for true), as sync --full-refresh does', async () => {
    const state = path.join(s.dir, 'state.json');
    const { readFileSync } = await import('node:fs');
    const tapState = (): unknown => (JSON.parse(readFileSync(path.join(s.dir, 'args.json'), 'utf8')) as { state: unknown }).state;
    await start({ STANDIN_ARGS_FILE: path.join(s.dir, 'args.json') });
    expect((await call('POST', SYNC_PATH, '{}')).status).to.equal(202);
    await server.idle();
    const committed = JSON.parse(readFileSync(state, 'utf8')) as { bookmarks: Record<string, unknown> };
    expect(Object.keys(committed.bookmarks)).to.deep.equal(['campaigns']);
    expect((await call('POST', SYNC_PATH, '{"full_refresh":["ads"]}')).status).to.equal(202);
    await server.idle();
    expect(tapState()).to.deep.equal(committed);
    expect((await call('POST', SYNC_PATH, '{"full_refresh":["campaigns"]}')).status).to.equal(202);
    await server.idle();
    expect(tapState()).to.deep.equal({ bookmarks: {} });
  });

  it("hands the config's dbt_vars to the models build of each run", async () => {
    writeFileSync(s.targetConfig, JSON.stringify({ destination: 'duckdb', duckdb_path: path.join(s.dir, 'warehouse.duckdb'), dataset: 'meta_raw' }));
    const seen: Record<string, unknown>[] = [];
    const phases: unknown[] = [];
    const dbt_vars = { cac_orders: { relation: 'shop.orders' }, reporting_currency: 'EUR' };
    const modelsRunner = async (m: { vars?: Record<string, unknown> }): Promise<{ models: number; raw: null }> => {
      seen.push(m.vars ?? {});
      // While dbt builds, /sync-status says so (not the tap's last stream as if it were still reading).
      phases.push(((await (await call('GET', STATUS_PATH)).json()) as { running: { progress: { phase?: string } } }).running.progress.phase);
      return { models: 1, raw: null };
    };
    await start({}, { models: true, dbt_vars }, { modelsRunner });
    expect((await call('POST', SYNC_PATH)).status).to.equal(202);
    await server.idle();
    expect(seen).to.deep.equal([{ facebook_ads_schema: 'meta_raw', ...dbt_vars }]);
    expect(phases).to.deep.equal(['building models']);
  });

  it('builds the models after a partial run as sync does, keeping exit 5 and naming the stale accounts in the run status', async () => {
    let built = 0;
    await start({ STANDIN_FAILED: '222' }, { models: true }, { modelsRunner: async () => (built++, { models: 4, raw: null }) });
    expect((await call('POST', SYNC_PATH)).status).to.equal(202);
    await server.idle();
    const st = (await (await call('GET', STATUS_PATH)).json()) as { last_run: { status: string; exit_code: number; summary: { models: unknown } } };
    expect(built).to.equal(1);
    expect(st.last_run).to.include({ status: 'partial', exit_code: 5 });
    expect(st.last_run.summary.models).to.deep.equal({ ran: true, due: true, exit_code: 0, models: 4, stale_accounts: ['222'] });
  });

  it("words the errors of a run it triggered in its own terms: the POST body keys and the serve config keys, not sync's flags", async () => {
    await start({ STANDIN_ARGS_FILE: path.join(s.dir, 'args.json') });
    expect((await call('POST', SYNC_PATH, '{"full_refresh":["campaignz"]}')).status).to.equal(202);
    await server.idle();
    type Last = { last_run: { exit_code: number; error: { message: string; hint: string } } };
    const st = (await (await call('GET', STATUS_PATH)).json()) as Last;
    expect(st.last_run.exit_code).to.equal(2);
    expect(st.last_run.error.message).to.equal(`"full_refresh" in the POST ${SYNC_PATH} body names "campaignz", not a stream that keeps bookmarks`);
    expect(st.last_run.error.hint).to.match(new RegExp(`To refresh every stream: POST ${SYNC_PATH} with \\{"full_refresh": true\\}\\.$`));
    expect(JSON.stringify(st)).not.to.include('--full-refresh');
  });

  it('names tap settings in hints as keys of the tap config it runs with, not as config.… (a caller has no --config)', async () => {
    await start({ STANDIN_FAILED: '222', STANDIN_FAILED_HINT: 'Grant the token ads_read, or drop the account from config.account_ids.' });
    expect((await call('POST', SYNC_PATH)).status).to.equal(202);
    await server.idle();
    type St = { last_run: { summary: { failures: Array<{ account_id?: string; hint?: string }> } }; accounts: Array<{ account_id: string; error?: { hint?: string } }> };
    const st = (await (await call('GET', STATUS_PATH)).json()) as St;
    const want = "Grant the token ads_read, or drop the account from account_ids in the tap config (the serve config's tap_config).";
    expect(st.last_run.summary.failures.find((f) => f.account_id === '222')?.hint).to.equal(want);
    expect(st.accounts.find((a) => a.account_id === '222')?.error?.hint).to.equal(want);
  });

  it('records a run that failed before spawning (bad tap config) as failed with its hint', async () => {
    writeFileSync(s.tapConfig, '{"access_token": "short"}');
    await start();
    await call('POST', SYNC_PATH);
    await server.idle();
    const st = (await (await call('GET', STATUS_PATH)).json()) as { last_run: { status: string; exit_code: number; error: { kind: string; hint: string } } };
    expect(st.last_run).to.include({ status: 'failed', exit_code: 2 });
    expect(st.last_run.error.kind).to.equal('config');
  });

  it('keeps the run history across restarts when a status file is configured', async () => {
    await start({}, { status_file: 'status.json' });
    await call('POST', SYNC_PATH);
    await server.idle();
    await server.close();
    await start({}, { status_file: 'status.json' });
    const st = (await (await call('GET', STATUS_PATH)).json()) as { last_run: { status: string }; accounts: unknown[] };
    expect(st.last_run.status).to.equal('ok');
    expect(st.accounts).to.have.length(2);
  });

  it('moves a status file it cannot read aside instead of overwriting its history with the next run', async () => {
    await start({}, { status_file: 'status.json' });
    await call('POST', SYNC_PATH);
    await server.idle();
    await server.close();
    const statusFile = path.join(s.dir, 'status.json');
    // Hand-edited and left broken: the history in it is the operator's only record of past runs.
    const broken = readFileSync(statusFile, 'utf8') + '\n{"runs": [';
    writeFileSync(statusFile, broken);
    await start({}, { status_file: 'status.json' });
    await call('POST', SYNC_PATH);
    await server.idle();
    const kept = readdirSync(s.dir).filter((f) => f.startsWith('status.json.unreadable-'));
    expect(kept).to.have.length(1);
    expect(readFileSync(path.join(s.dir, kept[0]!), 'utf8')).to.equal(broken);
    const warned = sink.lines().find((l) => l['msg'] === 'status file unreadable: moved aside, starting with an empty history');
    expect(warned).to.include({ file: statusFile, kept_as: path.join(s.dir, kept[0]!) });
    expect(String(warned?.['hint'])).to.match(/put it back/);
    // The new history holds the new run only, in a readable file.
    expect((JSON.parse(readFileSync(statusFile, 'utf8')) as { runs: unknown[] }).runs).to.have.length(1);
  });

  it('after a serve killed mid-run (kill -9), the restarted one lists that run as stopped (exit 7) instead of losing its run id', async () => {
    const statusFile = path.join(s.dir, 'status.json');
    await start({ STANDIN_HANG: '1' }, { status_file: 'status.json' });
    const { run_id } = (await (await call('POST', SYNC_PATH)).json()) as { run_id: string };
    // What a kill -9 leaves on disk: the status file as it was while the run was going.
    const atKill = readFileSync(statusFile, 'utf8');
    expect((JSON.parse(atKill) as { running?: { run_id: string } }).running?.run_id).to.equal(run_id);
    await server.close();
    writeFileSync(statusFile, atKill);
    await start({}, { status_file: 'status.json' });
    const st = (await (await call('GET', STATUS_PATH)).json()) as {
      running: unknown;
      last_run: { run_id: string; status: string; exit_code: number; error?: { kind: string; hint?: string } };
      errors: { run_id: string; scope: string }[];
    };
    expect(st.running).to.equal(null);
    expect(st.last_run).to.include({ run_id, status: 'failed', exit_code: 7 });
    expect(st.last_run.error?.kind).to.equal('stopped');
    expect(st.last_run.error?.hint).to.match(/trigger a sync to continue/);
    expect(st.errors[0]).to.include({ run_id, scope: 'run' });
    // Recorded once, on disk: a second restart does not add it again.
    const onDisk = JSON.parse(readFileSync(statusFile, 'utf8')) as { running?: unknown; runs: { run_id: string }[] };
    expect(onDisk.running).to.equal(undefined);
    expect(onDisk.runs.map((r) => r.run_id)).to.deep.equal([run_id]);
  });

  it('leaves a running run alone when a second serve on the same status file is refused (exit 7, the file is locked, before the port)', async () => {
    const statusFile = path.join(s.dir, 'status.json');
    await start({ STANDIN_HANG: '1' }, { status_file: 'status.json' });
    const { run_id } = (await (await call('POST', SYNC_PATH)).json()) as { run_id: string };
    const { config } = validateServeConfig({ bearer_secret: SECRET, tap_config: 'tap.json', target_config: 'target.json', state_file: 'state.json', status_file: 'status.json' }, s.dir);
    const second = new SyncServer({ config: config as ServeConfig, log: new Logger({ component: 'serve', sink }), runSync });
    let refused: unknown;
    try {
      await second.listen(Number(new URL(base).port), '127.0.0.1');
    } catch (e) {
      refused = e;
    }
    expect(refused).to.be.instanceOf(ConnectorError);
    expect((refused as ConnectorError).exitCode).to.equal(EXIT_CODES.retryLater);
    expect((refused as ConnectorError).message).to.equal(`fb-ads-elt serve (pid ${process.pid}, since ${readLockOwner(statusFile)!.since}) holds status file ${statusFile}`);
    const onDisk = JSON.parse(readFileSync(statusFile, 'utf8')) as { running?: { run_id: string }; runs: unknown[] };
    expect(onDisk.running?.run_id).to.equal(run_id);
    expect(onDisk.runs).to.deep.equal([]);
  });

  it('refuses a port in use (exit 7), a port out of range and a host not of this machine (exit 2), naming host and port, not as a bug', async () => {
    await start();
    const busy = Number(new URL(base).port);
    const { config } = validateServeConfig({ bearer_secret: SECRET, tap_config: 'tap.json', target_config: 'target.json' }, s.dir);
    for (const [port, host, exit, what, hint] of [
      [busy, '127.0.0.1', EXIT_CODES.retryLater, `cannot listen on 127.0.0.1 port ${busy}: another process already listens there`, /ss -ltnp 'sport = :\d+'.*free port/],
      [70000, '127.0.0.1', EXIT_CODES.config, 'cannot listen on 127.0.0.1 port 70000: a port is a number from 0 to 65535', /--host\/--port/],
      [0, '192.0.2.1', EXIT_CODES.config, 'cannot listen on 192.0.2.1 port 0: 192.0.2.1 is not an address of this machine', /127\.0\.0\.1 behind a reverse proxy/],
    ] as const) {
      const other = new SyncServer({ config: config as ServeConfig, log: new Logger({ component: 'serve', sink }), runSync });
      const refused = await other.listen(port, host).then(
        () => other.close(),
        (e: unknown) => e,
      );
      expect(refused, `${host}:${port}`).to.be.instanceOf(ConnectorError);
      expect((refused as ConnectorError).exitCode).to.equal(exit);
      expect((refused as ConnectorError).message).to.equal(what);
      expect((refused as ConnectorError).hint).to.match(hint);
    }
  });

  it('prints an IPv6 listening address in brackets, as a URL a client can use', () => {
    expect(listenUrl('::1', 8080)).to.equal('http://[::1]:8080');
    expect(listenUrl('127.0.0.1', 8080)).to.equal('http://127.0.0.1:8080');
    expect(new URL(listenUrl('::', 8080)).port).to.equal('8080');
  });

  it('answers 404 for unknown paths and 405 for the wrong method, naming the method the path takes in Allow', async () => {
    await start();
    expect((await call('GET', '/api/meta-ads/nope')).status).to.equal(404);
    for (const [method, p, allow] of [
      ['GET', SYNC_PATH, 'POST'],
      ['PUT', SYNC_PATH, 'POST'],
      ['POST', STATUS_PATH, 'GET'],
      ['DELETE', STATUS_PATH, 'GET'],
    ] as const) {
      const r = await call(method, p);
      expect(r.status, `${method} ${p}`).to.equal(405);
      expect(r.headers.get('allow'), `${method} ${p}`).to.equal(allow);
      expect(((await r.json()) as { error: string }).error).to.equal(`use ${allow} ${p}`);
    }
    expect((await call('GET', '/healthz', undefined, null)).status).to.equal(200);
  });
});

describe('serve config (schemas/serve-config.json)', () => {
  it('rejects a short secret and unknown fields, naming them, without echoing the secret', () => {
    expect(() => validateServeConfig({ bearer_secret: 'short-secret', tap_config: 'a', target_config: 'b' }, '/x')).to.throw(/bearer_secret/);
    let msg = '';
    try {
      validateServeConfig({ bearer_secret: SECRET, tap_config: 'a', target_config: 'b', prot: 1 }, '/x');
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).to.match(/unknown field "prot"/);
    expect(msg).not.to.include(SECRET);
  });

  it('refuses a blank, space-only or trivially weak secret as a config error (exit 2) without echoing it', () => {
    const weak = ['', ' '.repeat(24), `  ${SECRET}  `, 'a'.repeat(32), 'abcdabcdabcdabcdabcd', '0123456789abcdefghij', 'password1234567890', 'changeme-changeme'];
    for (const bearer_secret of weak) {
      let err: unknown;
      try {
        validateServeConfig({ bearer_secret, tap_config: 'a', target_config: 'b' }, '/x');
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(bearer_secret)).to.be.instanceOf(ConfigError);
      expect((err as ConfigError).exitCode).to.equal(2);
      expect((err as Error).message).to.match(/bearer_secret/);
      if (bearer_secret.trim().length >= 4) expect((err as Error).message).not.to.include(bearer_secret.trim());
    }
  });

  it('refuses a state_file or status_file it could not write when it starts (exit 2), naming the field and the path', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'serve-config-'));
    try {
      writeFileSync(path.join(dir, 'tap.json'), '{}');
      const cases: [Record<string, string>, RegExp][] = [
        [{ state_file: 'tap.json/state.json' }, /state_file .*tap\.json\/state\.json cannot be written: .*tap\.json is not a folder/],
        [{ status_file: 'var/status.json' }, /status_file .*var\/status\.json cannot be written: its folder .*var does not exist/],
      ];
      for (const [paths, msg] of cases) {
        let err: unknown;
        try {
          validateServeConfig({ bearer_secret: SECRET, tap_config: 'tap.json', target_config: 'target.json', ...paths }, dir);
        } catch (e) {
          err = e;
        }
        expect(err, JSON.stringify(paths)).to.be.instanceOf(ConfigError);
        expect((err as ConfigError).exitCode).to.equal(2);
        expect((err as Error).message).to.match(msg);
        expect((err as ConfigError).hint).to.match(/ReadWritePaths/);
      }
      expect(validateServeConfig({ bearer_secret: SECRET, tap_config: 'tap.json', target_config: 'target.json', state_file: 'state.json', status_file: 'status.json' }, dir).config.state_file).to.equal(path.join(dir, 'state.json'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('resolves relative paths from the config file directory and fills defaults', () => {
    const { config, redactor } = validateServeConfig({ bearer_secret: SECRET, tap_config: 'tap.json', target_config: '/abs/target.json' }, '/etc/fb-ads-elt');
    expect(config).to.include({ tap_config: '/etc/fb-ads-elt/tap.json', target_config: '/abs/target.json', models: false, host: '127.0.0.1', port: 8080, history_size: 20 });
    expect(redactor.redact(`x ${SECRET} y`)).not.to.include(SECRET);
  });
});

describe('fb-ads-elt serve command', () => {
  it('listens on the port from --port, prints its URL, requires the bearer token and stops on SIGTERM', async function () {
    this.timeout(30_000);
    const s = makeStandins();
    const cfg = path.join(s.dir, 'serve.json');
    writeFileSync(cfg, JSON.stringify({ bearer_secret: SECRET, tap_config: 'tap.json', target_config: 'target.json' }));
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'fb-ads-elt.js'), 'serve', '--config', cfg, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const first = await new Promise<string>((resolve, reject) => {
        const rl = createInterface({ input: child.stdout });
        rl.once('line', resolve);
        child.once('exit', (code) => reject(new Error(`serve exited ${code}`)));
      });
      const { url } = JSON.parse(first) as { url: string };
      expect((await fetch(url + STATUS_PATH)).status).to.equal(401);
      const ok = await fetch(url + STATUS_PATH, { headers: { authorization: `Bearer ${SECRET}` } });
      expect(ok.status).to.equal(200);
      expect(await ok.json()).to.include({ running: null, last_run: null });
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).to.equal(0);
    } finally {
      child.kill('SIGKILL');
      s.cleanup();
    }
  });
});
