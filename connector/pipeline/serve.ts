// `fb-ads-elt serve`: a small HTTP API to trigger a sync and read its status. One sync at a time
// (a second trigger gets 409 with the running run's id); every call needs the bearer secret,
// compared in constant time. Runs go through runSync, exactly like the CLI.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, renameSync } from 'node:fs';
import { asConnectorError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { newRunId } from './run-id.js';
import { runClock, type Clock } from '../core/clock.js';
import { writeStateAtomic } from './state-file.js';
import type { SyncOptions, SyncPhase, SyncResult } from './sync.js';
import type { SyncSummary } from './summary.js';
import type { ServeConfig } from './serve-config.js';
import { lockExclusive, type ExclusiveLock } from './run-lock.js';
import { ConfigError, TransientError, type ConnectorError } from '../core/errors.js';
import { SYNC_PATH } from '../core/surface.js';
import { tapSettingsFor } from '../tap/config.js';
// Static, not imported on demand: serve is loaded only by its own command, and an error class from a
// module imported on demand is another copy under the test runner (instanceof fails across them).
import { loadTargetConfig } from '../target/config.js';
import { BIGQUERY_REPORT_HINT, buildReport } from '../report/write.js';

export { SYNC_PATH };

export const STATUS_PATH = '/api/meta-ads/sync-status';
/** The HTML report of the warehouse's models (as `fb-ads-elt report` writes it), for the people who read it. */
export const REPORT_PATH = '/api/meta-ads/report';
/** Trigger bodies are tiny; anything bigger is a mistake or an attack. */
const MAX_BODY_BYTES = 16 * 1024;

export interface RunParams {
  account_id?: string;
  days?: number;
  /** true: every stream; names: those streams (sync --full-refresh). */
  full_refresh?: true | string[];
}

export interface RunView {
  run_id: string;
  status: 'running' | 'ok' | 'partial' | 'failed';
  params: RunParams;
  started_at: string;
  finished_at?: string;
  exit_code?: number;
  /** Rows loaded so far per stream (live while running). */
  rows?: Record<string, number>;
  /** While running: the step (tap → target, or the dbt build), the account and stream the tap last reported, and states committed so far. */
  progress?: { phase?: SyncPhase; account_id?: string; stream?: string; states_committed: number };
  summary?: Omit<SyncSummary, 'accounts'> & { accounts: Omit<SyncSummary['accounts'], 'list'> };
  error?: { kind: string; message: string; hint?: string };
}

export interface AccountStatus {
  account_id: string;
  last_status: string;
  last_run_id: string;
  last_finished_at: string;
  last_success_at?: string;
  records?: number;
  api_calls?: number;
  error?: { kind: string; message: string; hint?: string };
}

interface StatusStore {
  runs: RunView[];
  accounts: Record<string, AccountStatus>;
  /** The run in progress, kept on disk so a serve killed mid-run (kill -9, OOM, power loss) still accounts for it after a restart. */
  running?: RunView;
}

/** What a restarted serve records for a run its predecessor left unfinished: stopped from outside, exit 7 (README "Exit codes"). */
const INTERRUPTED: NonNullable<RunView['error']> = {
  kind: 'stopped',
  message: 'fb-ads-elt serve ended (killed, crashed or its machine stopped) while this run was in progress; the run never finished',
  hint: 'What the target committed before that is kept and the state file stops there: trigger a sync to continue from it.',
};

/** A hint as serve's caller reads it: tap settings named as keys of the tap config serve runs with, not `config.…` (tap/config.ts tapSettingsFor). */
const forCaller = <T extends { hint?: string }>(x: T): T => (x.hint ? { ...x, hint: tapSettingsFor(x.hint, 'serve') } : x);

export type SyncRunner = (o: SyncOptions) => Promise<SyncResult>;

export interface SyncServerOptions {
  config: ServeConfig;
  log: Logger;
  runSync: SyncRunner;
  /** Extra SyncOptions for every run (tests pass stand-in commands here). */
  syncDefaults?: Partial<SyncOptions>;
  /**
   * The server's clock, read once at start (default FB_ADS_ELT_NOW or the system clock): with a
   * pinned instant, later runs are later (the clock moves on), not all stamped the same instant.
   */
  clock?: Clock;
  /**
   * Another process took the status file's lock over (this serve was frozen for longer than
   * LOCK_STALE_MS): the server has been closed and the caller should exit 7.
   */
  onLockLost?: (err: ConnectorError) => void;
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** Constant-time bearer check: both sides hashed to equal length first, so the length leaks nothing. */
export function bearerMatches(header: string | undefined, secret: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  const given = m?.[1] ?? '';
  return timingSafeEqual(digest(given), digest(secret)) && given.length > 0;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Parses and checks a trigger body; every problem is a 400 with a sentence naming the field. */
export function parseRunParams(text: string, maxDays: number): RunParams {
  if (text.trim() === '') return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, `the body is not valid JSON: ${(err as Error).message}`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new HttpError(400, 'the body must be a JSON object like {"account_id": "123", "days": 7}');
  const o = v as Record<string, unknown>;
  const unknown = Object.keys(o).filter((k) => k !== 'account_id' && k !== 'days' && k !== 'full_refresh');
  if (unknown.length) throw new HttpError(400, `unknown field(s) ${unknown.map((k) => JSON.stringify(k)).join(', ')}; allowed: account_id, days, full_refresh`);
  const out: RunParams = {};
  if (o['account_id'] !== undefined && o['account_id'] !== null) {
    const a = o['account_id'];
    if (typeof a !== 'string' || !/^(act_)?[0-9]{1,20}$/.test(a)) throw new HttpError(400, 'account_id must be an ad account id string: digits, optionally prefixed act_');
    out.account_id = a.replace(/^act_/, '');
  }
  if (o['days'] !== undefined && o['days'] !== null) {
    const d = o['days'];
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 1 || d > maxDays) throw new HttpError(400, `days must be an integer from 1 to ${maxDays}`);
    out.days = d;
  }
  const f = o['full_refresh'];
  if (f !== undefined && f !== null && f !== false) {
    const names = Array.isArray(f) && f.length > 0 && f.every((n) => typeof n === 'string' && /^[A-Za-z0-9_]{1,100}$/.test(n)) ? (f as string[]) : undefined;
    if (f !== true && !names) throw new HttpError(400, 'full_refresh must be true (every stream) or a list of stream names like ["insights_ad"]');
    if (out.days !== undefined) throw new HttpError(400, 'full_refresh re-reads the streams from start_date, days only the last N days: give one of them');
    out.full_refresh = f === true ? true : names!;
  }
  return out;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new HttpError(413, `the body is larger than ${MAX_BODY_BYTES} bytes`));
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** The URL serve prints once listening: an IPv6 literal goes in brackets (RFC 3986), or no client can use it. */
export function listenUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * Why the port could not be opened, naming host and port: the serve config's `host` and `port` (or
 * --host/--port) are wrong (exit 2), or the port is taken (exit 7), not a bug. Anything else stays as it is.
 */
function listenError(err: NodeJS.ErrnoException, host: string, port: number): unknown {
  const where = `${host} port ${port}`;
  const fix = 'set `host`/`port` in the serve config (or --host/--port)';
  switch (err.code) {
    case 'EADDRINUSE':
      // Exit 7 like a second serve on one status file: the port frees when the other process stops (a restart racing the old serve).
      return new TransientError(`cannot listen on ${where}: another process already listens there`, { hint: `Stop that process (\`ss -ltnp 'sport = :${port}'\` names it; is another serve running?) or ${fix} to a free port.` });
    case 'EACCES':
      return new ConfigError(`cannot listen on ${where}: this user may not open a port below 1024`, { hint: `Use a port from 1024 up behind a reverse proxy, or ${fix}.` });
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ConfigError(`cannot listen on ${where}: ${host} is not an address of this machine`, { hint: `Use 127.0.0.1 behind a reverse proxy, or one of this machine's addresses: ${fix}.` });
    case 'ERR_SOCKET_BAD_PORT':
      return new ConfigError(`cannot listen on ${where}: a port is a number from 0 to 65535`, { hint: `Fix it: ${fix}.` });
    default:
      return err;
  }
}

export class SyncServer {
  private server: Server | undefined;
  private running: { view: RunView; done: Promise<void>; abort: AbortController } | undefined;
  /** A GET report reading the warehouse (settled either way): a triggered run waits for it. */
  private reading: Promise<void> | undefined;
  private store: StatusStore = { runs: [], accounts: {} };
  private lock: ExclusiveLock | undefined;

  private readonly clock: Clock;

  constructor(private readonly o: SyncServerOptions) {
    this.clock = o.clock ?? runClock();
  }

  /** Starts listening; resolves with the bound port. Loads the status history first, if kept. */
  async listen(port = this.o.config.port, host = this.o.config.host): Promise<number> {
    // One serve per status file (exit 7 for a second): two would each run syncs on the same state.
    const file = this.o.config.status_file;
    this.lock = file
      ? await lockExclusive({
          file,
          role: 'status file',
          holder: 'fb-ads-elt serve',
          onLost: (err) => {
            this.o.log.error(err.message, { hint: err.hint, ...err.context });
            void this.close().then(() => this.o.onLockLost?.(err));
          },
        })
      : undefined;
    try {
      return await this.listenLocked(port, host);
    } catch (err) {
      await this.releaseLock();
      throw err;
    }
  }

  private async releaseLock(): Promise<void> {
    const lock = this.lock;
    this.lock = undefined;
    await lock?.release();
  }

  private async listenLocked(port: number, host: string): Promise<number> {
    this.store = this.loadStore();
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (err instanceof HttpError) {
          send(res, err.status, { error: err.message, ...err.extra }, err.headers);
          return;
        }
        this.o.log.failure(err, { path: req.url });
        if (!res.headersSent) send(res, 500, { error: 'internal error; see the server log' });
      });
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    }).catch((err: unknown) => {
      throw listenError(err as NodeJS.ErrnoException, host, port);
    });
    // Written back once listening (a serve refused its port touches nothing), so the stopped run is
    // recorded even if this serve never finishes a run.
    if (this.store.runs[0]?.error === INTERRUPTED) this.saveStore();
    const bound = (server.address() as AddressInfo).port;
    this.o.log.info('serve listening', { host, port: bound });
    return bound;
  }

  /** Stops accepting calls, stops a running sync (the target commits what it has) and waits for it. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (this.running) {
      this.running.abort.abort();
      await this.running.done;
    }
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    await this.releaseLock();
  }

  /** Resolves when the current run (if any) has finished; for tests and graceful shutdown. */
  async idle(): Promise<void> {
    while (this.running) await this.running.done;
  }

  status(): Record<string, unknown> {
    const last = this.store.runs[0];
    return {
      running: this.running ? this.running.view : null,
      last_run: last ?? null,
      runs: this.store.runs,
      accounts: Object.values(this.store.accounts).sort((a, b) => a.account_id.localeCompare(b.account_id)),
      errors: this.store.runs
        .filter((r) => r.status !== 'ok')
        .flatMap((r) => [...(r.error ? [{ run_id: r.run_id, scope: 'run', ...r.error }] : []), ...(r.summary?.failures ?? []).map((f) => ({ run_id: r.run_id, ...f }))])
        .slice(0, 50),
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/healthz') {
      send(res, 200, { ok: true });
      return;
    }
    if (url.pathname !== SYNC_PATH && url.pathname !== STATUS_PATH && url.pathname !== REPORT_PATH) throw new HttpError(404, `no such endpoint; use POST ${SYNC_PATH}, GET ${STATUS_PATH} or GET ${REPORT_PATH}`);
    if (!bearerMatches(req.headers.authorization, this.o.config.bearer_secret)) {
      // One line per refusal, for the operator (and fail2ban): path without the query, never what was sent as a token.
      this.o.log.warn('call refused: missing or wrong bearer token', { method: req.method, path: url.pathname, remote: req.socket.remoteAddress });
      // Answer and hang up: an unauthenticated client that trickles a body must not hold a socket.
      res.once('finish', () => req.socket.destroy());
      send(res, 401, { error: 'missing or wrong bearer token; send Authorization: Bearer <bearer_secret from the serve config>' }, { 'www-authenticate': 'Bearer realm="fb-ads-elt"', connection: 'close' });
      return;
    }
    if (url.pathname === STATUS_PATH) {
      if (req.method !== 'GET') throw new HttpError(405, `use GET ${STATUS_PATH}`, {}, { allow: 'GET' });
      send(res, 200, this.status());
      return;
    }
    if (url.pathname === REPORT_PATH) {
      if (req.method !== 'GET') throw new HttpError(405, `use GET ${REPORT_PATH}`, {}, { allow: 'GET' });
      await this.report(res);
      return;
    }
    // RFC 9110 §15.5.6: a 405 names the methods the path takes (clients and proxies read Allow).
    if (req.method !== 'POST') throw new HttpError(405, `use POST ${SYNC_PATH}`, {}, { allow: 'POST' });
    const params = parseRunParams(await readBody(req), this.o.config.max_days);
    // A report being read holds the DuckDB file for a moment: the run waits for it, or its target
    // would find the file held and fail (exit 7).
    while (this.reading) await this.reading;
    if (this.running) throw new HttpError(409, 'a sync is already running', { run_id: this.running.view.run_id });
    const view = this.start(params);
    send(res, 202, { run_id: view.run_id, status_url: STATUS_PATH });
  }

  /**
   * GET report: the page `fb-ads-elt report` writes, built from the warehouse's models now. Never
   * while a sync runs (it writes the file: 503 with Retry-After); a BigQuery target has no page
   * here (501), a warehouse without built models gets 409 naming the serve config's `models`.
   */
  private async report(res: ServerResponse): Promise<void> {
    if (this.running) throw new HttpError(503, 'a sync is writing the warehouse; ask again once it is over', { run_id: this.running.view.run_id }, { 'retry-after': '60' });
    let built: Awaited<ReturnType<typeof buildReport>>;
    const reading = this.readReport();
    this.reading = reading.then(
      () => undefined,
      () => undefined,
    );
    try {
      built = await reading;
    } catch (err) {
      if (err instanceof HttpError) throw err;
      const e = asConnectorError(err);
      if (e instanceof ConfigError) throw new HttpError(409, e.message, { hint: this.o.config.models ? 'Trigger a sync: the models are built after each one that commits.' : 'Set "models": true in the serve config and trigger a sync: the report reads the models it builds.' });
      if (e instanceof TransientError) throw new HttpError(503, e.message, { ...(e.hint ? { hint: e.hint } : {}) }, { 'retry-after': '60' });
      throw err;
    } finally {
      this.reading = undefined;
    }
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      // The page is static (inline styles and SVG, no scripts): a browser loads nothing else for it.
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
      'x-content-type-options': 'nosniff',
      'content-length': Buffer.byteLength(built.html),
    });
    res.end(built.html);
  }

  /** The report of the target config's DuckDB warehouse now (report/write.ts buildReport); 501 for a BigQuery target. */
  private async readReport(): ReturnType<typeof buildReport> {
    const { config: target } = loadTargetConfig(this.o.config.target_config);
    if (target.destination !== 'duckdb') {
      throw new HttpError(501, `the report reads a DuckDB warehouse; this serve loads into ${target.destination}`, { hint: BIGQUERY_REPORT_HINT });
    }
    return buildReport({ duckdbPath: target.duckdb_path, dataset: target.dataset, now: this.clock() });
  }

  private start(params: RunParams): RunView {
    const startedAt = this.clock();
    const run_id = newRunId(startedAt);
    const view: RunView = { run_id, status: 'running', params, started_at: startedAt.toISOString(), progress: { states_committed: 0 } };
    const progress = view.progress!;
    const abort = new AbortController();
    const c = this.o.config;
    const log = this.o.log.child({ run_id });
    log.info('sync triggered over HTTP', { params });
    const done = this.o
      .runSync({
        tapConfigPath: c.tap_config,
        targetConfigPath: c.target_config,
        stateFile: c.state_file,
        catalogPath: c.catalog,
        models: c.models,
        ...(c.dbt_vars ? { modelsVars: c.dbt_vars } : {}),
        account: params.account_id,
        days: params.days,
        fullRefresh: params.full_refresh === true ? 'all' : params.full_refresh,
        runId: run_id,
        // Its hints name the POST body's keys and the serve config's, not sync's flags.
        surface: 'serve',
        // The run's clock is the server's, so its started_at, run id and FB_ADS_ELT_NOW agree.
        clock: this.clock,
        log: this.o.log,
        signal: abort.signal,
        onChildLog: (component, line) => {
          if (component !== 'tap') return;
          const a = line.fields['account_id'];
          const st = line.fields['stream'];
          if (typeof a === 'string') progress.account_id = a;
          if (typeof st === 'string') progress.stream = st;
        },
        onState: () => {
          progress.states_committed++;
        },
        onPhase: (phase) => {
          progress.phase = phase;
        },
        ...this.o.syncDefaults,
      })
      .then(
        (r) => this.finish(view, r.summary, undefined),
        (err: unknown) => {
          const e = asConnectorError(err);
          log.failure(e);
          this.finish(view, undefined, { kind: e.kind, message: e.message, ...(e.hint ? { hint: e.hint } : {}) }, e.exitCode);
        },
      )
      .finally(() => {
        this.running = undefined;
      });
    this.running = { view, done, abort };
    this.store.running = view;
    this.saveStore();
    return view;
  }

  private finish(view: RunView, done: SyncSummary | undefined, failed: RunView['error'], exitCode?: number): void {
    const { progress: _live, ...rest } = view;
    const summary = done && { ...done, failures: done.failures.map(forCaller), skipped_objects: done.skipped_objects.map(forCaller) };
    const error = failed && forCaller(failed);
    const finished: RunView = {
      ...rest,
      status: summary ? summary.status : 'failed',
      finished_at: this.clock().toISOString(),
      exit_code: summary ? summary.exit_code : (exitCode ?? 1),
      ...(summary ? { rows: summary.rows, summary: { ...summary, accounts: { found: summary.accounts.found, added: summary.accounts.added, updated: summary.accounts.updated, failed: summary.accounts.failed } } } : {}),
      ...(error ? { error } : {}),
    };
    for (const a of summary?.accounts.list ?? []) {
      const prev = this.store.accounts[a.account_id];
      const ok = a.status === 'ok';
      this.store.accounts[a.account_id] = {
        account_id: a.account_id,
        last_status: a.status,
        last_run_id: view.run_id,
        last_finished_at: finished.finished_at!,
        ...(ok ? { last_success_at: finished.finished_at! } : prev?.last_success_at ? { last_success_at: prev.last_success_at } : {}),
        ...(a.records !== undefined ? { records: a.records } : {}),
        ...(a.api_calls !== undefined ? { api_calls: a.api_calls } : {}),
        ...(a.error ? { error: forCaller(a.error) } : {}),
      };
    }
    delete this.store.running;
    this.store.runs = [finished, ...this.store.runs].slice(0, this.o.config.history_size);
    this.saveStore();
  }

  private loadStore(): StatusStore {
    const file = this.o.config.status_file;
    if (!file) return { runs: [], accounts: {} };
    let v: Partial<StatusStore>;
    try {
      v = JSON.parse(readFileSync(file, 'utf8')) as Partial<StatusStore>;
      if (!v || typeof v !== 'object' || !Array.isArray(v.runs) || !v.accounts || typeof v.accounts !== 'object') throw new Error('not a status file: no "runs" list and "accounts" object');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { runs: [], accounts: {} };
      return this.setAside(file, err as Error);
    }
    const store: StatusStore = { runs: v.runs!, accounts: v.accounts! };
    const left = v.running;
    if (left && typeof left === 'object' && typeof left.run_id === 'string') {
      // The previous serve died mid-run: its caller holds this run id, so the run must show up as ended.
      const { progress: _live, ...rest } = left;
      this.o.log.warn('the previous serve ended while a run was in progress; recorded as stopped (exit 7)', { run_id: left.run_id });
      store.runs = [{ ...rest, status: 'failed' as const, exit_code: 7, error: INTERRUPTED }, ...store.runs].slice(0, this.o.config.history_size);
    }
    return store;
  }

  /**
   * A status file this serve cannot read (edited by hand, cut short, another tool’s file) is moved
   * aside, not overwritten by the next save: the history and each account's last success stay there.
   */
  private setAside(file: string, err: Error): StatusStore {
    const kept = `${file}.unreadable-${newRunId(this.clock())}`;
    try {
      renameSync(file, kept);
    } catch (e) {
      throw new ConfigError(`status file ${file} cannot be read (${err.message}) nor moved aside (${(e as Error).message})`, {
        hint: 'Repair it, or move it away yourself to start with an empty history; serve will not overwrite a history it cannot read.',
      });
    }
    this.o.log.warn('status file unreadable: moved aside, starting with an empty history', { file, kept_as: kept, error: err.message, hint: `Repair ${kept} and put it back (with serve stopped) to restore the history.` });
    return { runs: [], accounts: {} };
  }

  private saveStore(): void {
    const file = this.o.config.status_file;
    if (!file) return;
    try {
      writeStateAtomic(file, this.store as unknown as Record<string, unknown>);
    } catch (err) {
      this.o.log.warn('status file not written', { file, error: (err as Error).message });
    }
  }
}
