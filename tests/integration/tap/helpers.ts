// Test helpers for the tap: run `tap-facebook-ads` as a child process the way Meltano does (config,
// catalog and state files, Singer lines on stdout), against a sandbox reached through a recording
// loopback proxy, so tests can assert on the exact calls (params included) the tap made.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { newAjv, REPO_ROOT } from '../../../connector/core/config.js';
import { NOW_ENV, nowEnv } from '../../../connector/core/clock.js';
import { addTapFormats } from '../../../connector/tap/schemas.js';
import { startSandbox, type Sandbox } from '../../../connector/sandbox/index.js';
import { discover } from '../../../connector/tap/discover.js';

export interface RecordedCall {
  method: string;
  path: string;
  params: URLSearchParams;
}

export interface Recorder {
  baseUrl: string;
  calls: RecordedCall[];
  close(): Promise<void>;
}

/**
 * A loopback proxy in front of the sandbox that records every Graph call with its parameters.
 * `afterAnswer` runs once the sandbox answered a call and before the tap receives that answer (a
 * test changes the world "while the tap reads", between two pages).
 */
export async function recordingProxy(target: string, afterAnswer?: (call: RecordedCall) => void): Promise<Recorder> {
  const calls: RecordedCall[] = [];
  const t = new URL(target);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = new URL(req.url ?? '/', target);
      const params = new URLSearchParams(url.search);
      const type = String(req.headers['content-type'] ?? '');
      if (body.length && type.includes('application/x-www-form-urlencoded')) for (const [k, v] of new URLSearchParams(body.toString())) params.set(k, v);
      if (body.length && type.includes('application/json')) {
        for (const [k, v] of Object.entries(JSON.parse(body.toString()) as Record<string, unknown>)) params.set(k, typeof v === 'string' ? v : JSON.stringify(v));
      }
      const call = { method: req.method ?? 'GET', path: url.pathname.replace(/^\/v\d+\.\d+/, ''), params };
      const graphCall = !url.pathname.startsWith('/__sandbox');
      if (graphCall) calls.push(call);
      const fwd = http.request({ host: t.hostname, port: t.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
        if (!afterAnswer || !graphCall) {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
          return;
        }
        const answer: Buffer[] = [];
        up.on('data', (c: Buffer) => answer.push(c));
        up.on('end', () => {
          afterAnswer(call);
          res.writeHead(up.statusCode ?? 502, up.headers);
          res.end(Buffer.concat(answer));
        });
      });
      fwd.on('error', () => res.destroy());
      fwd.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export interface SingerLine {
  type: string;
  stream?: string;
  record?: Record<string, unknown>;
  schema?: Record<string, unknown>;
  key_properties?: string[];
  value?: Record<string, unknown>;
  version?: number;
}

export interface TapRun {
  code: number | null;
  stdout: string;
  stderr: string;
  messages: SingerLine[];
  records(stream: string): Array<Record<string, unknown>>;
  lastState(): Record<string, unknown> | undefined;
  logs(): Array<Record<string, unknown>>;
}

const TAP_BIN = path.join(REPO_ROOT, 'bin', 'tap-facebook-ads.js');
const running = new Set<import('node:child_process').ChildProcess>();

/** Kills tap processes still running (a test that timed out must not leak a child into the next one). */
export function killRunningTaps(): void {
  for (const c of running) c.kill('SIGKILL');
  running.clear();
}

/**
 * Runs the tap in a child process with the given files; resolves when it exits. `now` pins the tap's
 * clock (FB_ADS_ELT_NOW) — pass the sandbox's `now()` so the tap's "today" is the world's; null only
 * for runs that never reach a date decision (config errors, discovery).
 */
export async function runTap(opts: { config: unknown; now: Date | null; catalog?: unknown; state?: unknown; stateText?: string; args?: string[]; dir: string; rawStdout?: boolean; env?: Record<string, string> }): Promise<TapRun> {
  const n = Math.random().toString(36).slice(2, 8);
  const cfg = path.join(opts.dir, `config-${n}.json`);
  writeFileSync(cfg, JSON.stringify(opts.config));
  const args = [TAP_BIN, '--config', cfg, ...(opts.args ?? [])];
  if (opts.catalog !== undefined) {
    const f = path.join(opts.dir, `catalog-${n}.json`);
    writeFileSync(f, JSON.stringify(opts.catalog));
    args.push('--catalog', f);
  }
  if (opts.state !== undefined || opts.stateText !== undefined) {
    const f = path.join(opts.dir, `state-${n}.json`);
    writeFileSync(f, opts.stateText ?? JSON.stringify(opts.state));
    args.push('--state', f);
  }
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'info' };
  delete env[NOW_ENV];
  if (opts.now) Object.assign(env, nowEnv(opts.now));
  Object.assign(env, opts.env);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  running.add(child);
  child.on('exit', () => running.delete(child));
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  const messages = (opts.rawStdout ? '' : stdout)
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as SingerLine);
  return {
    code,
    stdout,
    stderr,
    messages,
    records: (stream) => messages.filter((m) => m.type === 'RECORD' && m.stream === stream).map((m) => m.record!),
    lastState: () => [...messages].reverse().find((m) => m.type === 'STATE')?.value,
    logs: () =>
      stderr
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

export function tempDir(): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tap-it-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The world day the tap tests pin their sandbox to (any day works: the tap runs on the sandbox's clock). */
export const TEST_TODAY = '2026-11-20';

/** Base tap config against a sandbox (through `baseUrl`, usually a recorder). Fast polling and backoff for tests. */
export function tapConfig(sb: Sandbox, baseUrl: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    access_tokens: sb.tokens.map((t) => ({ label: t.label, token: t.token })),
    api_base_url: baseUrl,
    api_version: sb.apiVersion,
    insights_poll_interval_seconds: 0.01,
    retry_base_ms: 5,
    max_concurrency: 4,
    // The breaker's default 60 s pause would stall tests that inject repeated 5xx faults.
    circuit_breaker: { failures: 5, pause_seconds: 0.05 },
    ...extra,
  };
}

/** Validates every RECORD against the last SCHEMA of its stream; returns the problems found. */
export function schemaProblems(messages: SingerLine[]): string[] {
  const ajv = newAjv();
  addTapFormats(ajv);
  const validators = new Map<string, ReturnType<typeof ajv.compile>>();
  const problems: string[] = [];
  for (const m of messages) {
    if (m.type === 'SCHEMA') validators.set(m.stream!, ajv.compile(m.schema!));
    if (m.type === 'RECORD') {
      const v = validators.get(m.stream!);
      if (!v) problems.push(`${m.stream}: RECORD before SCHEMA`);
      else if (!v(m.record)) problems.push(`${m.stream}: ${ajv.errorsText(v.errors)} in ${JSON.stringify(m.record).slice(0, 200)}`);
    }
  }
  return problems;
}

/** Exact sum of decimal strings (no floats): returns a normalised decimal string. */
export function sumDecimals(values: Array<unknown>): string {
  let scale = 0;
  const strs = values.filter((v) => v !== null && v !== undefined && v !== '').map(String);
  for (const s of strs) scale = Math.max(scale, (s.split('.')[1] ?? '').length);
  let total = 0n;
  for (const s of strs) {
    const [i, f = ''] = s.replace('-', '').split('.');
    const v = BigInt(`${i}${f.padEnd(scale, '0')}`);
    total += s.startsWith('-') ? -v : v;
  }
  const neg = total < 0n;
  const digits = (neg ? -total : total).toString().padStart(scale + 1, '0');
  const out = scale ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  return (neg ? '-' : '') + out.replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
}

/**
 * Call inside a describe(): a small-world sandbox pinned to TEST_TODAY behind a recording proxy, and a
 * temp dir, set up in before() and torn down (with any tap still running) in after(); faults are
 * cleared after each test. Read the fields inside tests and hooks, not at describe time.
 */
export function sandboxedTap(): { sb: Sandbox; rec: Recorder; tmp: ReturnType<typeof tempDir> } {
  const h = {} as { sb: Sandbox; rec: Recorder; tmp: ReturnType<typeof tempDir> };
  before(async () => {
    h.sb = await startSandbox({ world: 'small', today: TEST_TODAY });
    h.rec = await recordingProxy(h.sb.baseUrl);
    h.tmp = tempDir();
  });
  afterEach(() => h.sb.faults.clear());
  after(() => closeTapRig(h));
  return h;
}

/** The discovered catalog (with config's custom insights reports, if given) with only the named streams selected. */
export function catalogSelecting(streams: readonly string[], config?: Parameters<typeof discover>[0]): unknown {
  const c = discover(config);
  for (const e of c.streams) e.metadata[0]!.metadata['selected'] = streams.includes(e.stream);
  return c;
}

/** The `msg` of every log line of a run. */
export const logMessages = (r: TapRun): string[] => r.logs().map((l) => String(l['msg']));

/** Ends what a tap test suite started: running taps, the recording proxy, the sandbox, the temp dir. */
export async function closeTapRig(rig: { rec?: Recorder | undefined; sb?: Sandbox | undefined; tmp?: { cleanup(): void } | undefined }): Promise<void> {
  killRunningTaps();
  await rig.rec?.close();
  await rig.sb?.close();
  rig.tmp?.cleanup();
}
