// Stand-in tap and target child processes for the pipeline's tests: tiny scripts that speak the
// CLI contracts (Singer on stdout/stdin, STATE echoed after "commit", JSON logs on stderr, exit
// codes) and whose behaviour each test steers through environment variables.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const TAP = String.raw`
import { writeFileSync, readFileSync } from 'node:fs';
const args = process.argv.slice(2);
const arg = (n) => { const i = args.indexOf(n); return i === -1 ? undefined : args[i + 1]; };
const env = process.env;
if (env.STANDIN_ARGS_FILE) writeFileSync(env.STANDIN_ARGS_FILE, JSON.stringify({ args, state: arg('--state') ? JSON.parse(readFileSync(arg('--state'), 'utf8')) : null, state_text: arg('--state') ? readFileSync(arg('--state'), 'utf8') : null, run_id: env.FB_ADS_ELT_RUN_ID, now: env.FB_ADS_ELT_NOW }));
const log = (level, msg, fields = {}) => process.stderr.write(JSON.stringify({ ts: new Date().toISOString(), level, component: 'tap-facebook-ads', msg, ...fields }) + '\n');
const written = new Map();
const out = (m) => {
  if (m.type === 'RECORD') { const k = m.stream + '|' + (m.record.account_id ?? ''); written.set(k, (written.get(k) ?? 0) + 1); }
  return new Promise((r) => (process.stdout.write(JSON.stringify(m) + '\n') ? r() : process.stdout.once('drain', r)));
};
const reportCounts = (counts, extra = {}) => {
  for (const [k, value] of counts) {
    const [stream, account] = k.split('|');
    const tags = { stream, ...(account ? { account_id: account } : {}), ...extra };
    log('info', 'METRIC: ' + JSON.stringify({ type: 'counter', metric: 'record_count', value, tags }), { type: 'metric', metric_type: 'counter', metric: 'record_count', value, tags });
  }
};
const accounts = (env.STANDIN_ACCOUNTS ?? '111,222').split(',');
const failed = (env.STANDIN_FAILED ?? '').split(',').filter(Boolean);
const rowsPer = Number(env.STANDIN_ROWS ?? 3);
log('info', 'starting with token ' + (env.STANDIN_LEAK ?? ''));
await out({ type: 'SCHEMA', stream: 'campaigns', schema: { type: 'object' }, key_properties: ['id'] });
await out({ type: 'SCHEMA', stream: 'sync_log', schema: { type: 'object' }, key_properties: ['run_id', 'account_id'] });
let state = { bookmarks: { campaigns: {} } };
for (const a of accounts) {
  log('info', 'account stream', { type: 'progress', account_id: a, stream: 'campaigns' });
  if (env.STANDIN_HANG_FIRST) await new Promise(() => setInterval(() => {}, 1000));
  if (failed.includes(a)) {
    log('error', 'account failed', { account_id: a, error_kind: 'permission' });
    log('info', 'metric http_request_count', { type: 'metric', metric_type: 'counter', metric: 'http_request_count', value: 2, tags: { account_id: a } });
    log('info', 'metric throttled_request_count', { type: 'metric', metric_type: 'counter', metric: 'throttled_request_count', value: 1, tags: { account_id: a } });
    await out({ type: 'RECORD', stream: 'sync_log', record: { run_id: 'r', account_id: a, status: 'failed', api_calls: 2, throttles: 1, error_class: 'permission', error_message: 'token cannot read act_' + a, hint: env.STANDIN_FAILED_HINT ?? 'grant ads_read on the account to the system user' } });
    continue;
  }
  for (let i = 0; i < rowsPer; i++) await out({ type: 'RECORD', stream: 'campaigns', record: { id: a + '00' + i, account_id: a } });
  log('info', 'metric http_request_count', { type: 'metric', metric_type: 'counter', metric: 'http_request_count', value: 4, tags: { account_id: a } });
  state = { bookmarks: { campaigns: { ...state.bookmarks.campaigns, [a]: { updated_time: '2026-11-0' + (accounts.indexOf(a) + 1) + 'T00:00:00Z' } } } };
  await out({ type: 'STATE', value: state });
  await out({ type: 'RECORD', stream: 'sync_log', record: { run_id: 'r', account_id: a, status: 'ok', api_calls: 4, throttles: 0 } });
}
if (env.STANDIN_HANG) await new Promise(() => setInterval(() => {}, 1000));
if (env.STANDIN_EXTRA_WRITTEN) written.set('campaigns|' + accounts[0], (written.get('campaigns|' + accounts[0]) ?? 0) + Number(env.STANDIN_EXTRA_WRITTEN));
reportCounts(written);
const code = Number(env.STANDIN_TAP_EXIT ?? (failed.length ? 5 : 0));
// As the real tap once it went through every account (tap/sync.ts logSummary).
if (env.STANDIN_SUMMARY) log('info', 'Sync finished', { type: 'summary', accounts: accounts.length, added: 0, updated: accounts.length - failed.length, exit_code: code, skipped_objects: [] });
if (code === 2) log('error', 'config.account_ids[0] must match', { error_kind: 'config', hint: 'fix account_ids', exit_code: 2 });
process.exitCode = code;
`;

const TARGET = String.raw`
import { createInterface } from 'node:readline';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
const env = process.env;
// As the real target opens its DuckDB file at start (creating it on a first run).
const cfg = process.argv.indexOf('--config');
const duckdbPath = cfg > 0 ? JSON.parse(readFileSync(process.argv[cfg + 1], 'utf8')).duckdb_path : undefined;
if (duckdbPath && !existsSync(duckdbPath)) writeFileSync(duckdbPath, '');
if (env.STANDIN_TARGET_NOW_FILE) appendFileSync(env.STANDIN_TARGET_NOW_FILE, String(env.FB_ADS_ELT_NOW));
const failAfter = env.STANDIN_TARGET_FAIL_AFTER_STATES === undefined ? Infinity : Number(env.STANDIN_TARGET_FAIL_AFTER_STATES);
let records = 0, states = 0;
const log = (level, msg, fields = {}) => process.stderr.write(JSON.stringify({ level, component: 'target-bigquery', msg, ...fields }) + '\n');
const committed = new Map();
for await (const line of createInterface({ input: process.stdin })) {
  const m = JSON.parse(line);
  if (m.type === 'RECORD') { records++; const k = m.stream + '|' + (m.record.account_id ?? ''); committed.set(k, (committed.get(k) ?? 0) + 1); if (env.STANDIN_RECORDS_FILE) appendFileSync(env.STANDIN_RECORDS_FILE, line + '\n'); }
  if (m.type === 'STATE') {
    if (states >= failAfter) {
      process.stderr.write(JSON.stringify({ level: 'error', component: 'target-bigquery', msg: 'load job failed: table is broken', error_kind: 'data', hint: 'drop the table', exit_code: 6 }) + '\n');
      process.exit(6);
    }
    states++;
    if (states > Number(env.STANDIN_TARGET_KILL9_AFTER_STATES ?? Infinity)) process.kill(process.pid, 'SIGKILL');
    // The state value, as target-bigquery writes it (or a given text: numbers JSON.stringify would round).
    process.stdout.write((env.STANDIN_TARGET_STATE_TEXT ?? JSON.stringify(m.value)) + '\n');
  }
}
for (const [k, value] of committed) {
  const [stream, account] = k.split('|');
  const tags = { stream, ...(account ? { account_id: account } : {}), status: 'committed' };
  log('info', 'METRIC: ' + JSON.stringify({ type: 'counter', metric: 'record_count', value, tags }), { type: 'metric', metric_type: 'counter', metric: 'record_count', value, tags });
}
log('info', 'done', { records });
`;

export interface Standins {
  dir: string;
  tap: string[];
  target: string[];
  tapConfig: string;
  targetConfig: string;
  token: string;
  cleanup(): void;
}

/** Writes the stand-ins and a valid pair of configs into a fresh temp dir. */
export function makeStandins(): Standins {
  const dir = mkdtempSync(path.join(tmpdir(), 'pipeline-standins-'));
  writeFileSync(path.join(dir, 'tap.mjs'), TAP);
  writeFileSync(path.join(dir, 'target.mjs'), TARGET);
  const token = 'sbx_agency_' + 'c0ffee'.repeat(6);
  const tapConfig = path.join(dir, 'tap.json');
  writeFileSync(tapConfig, JSON.stringify({ access_tokens: [{ label: 'agency', token }], api_base_url: 'http://127.0.0.1:9', start_date: '2026-11-01' }));
  const targetConfig = path.join(dir, 'target.json');
  writeFileSync(targetConfig, JSON.stringify({ destination: 'duckdb', duckdb_path: path.join(dir, 'warehouse.duckdb') }));
  return {
    dir,
    tap: [process.execPath, path.join(dir, 'tap.mjs')],
    target: [process.execPath, path.join(dir, 'target.mjs')],
    tapConfig,
    targetConfig,
    token,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A sink that keeps what was written (log lines) for assertions. */
export class MemorySink {
  readonly chunks: string[] = [];
  write(s: string): boolean {
    this.chunks.push(s);
    return true;
  }
  get text(): string {
    return this.chunks.join('');
  }
  lines(): Record<string, unknown>[] {
    return this.text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}
