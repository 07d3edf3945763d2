// A scripted loopback HTTP server standing in for Graph in unit tests: each request is recorded and
// answered by the test's handler (JSON, headers, or a socket reset / no answer at all).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { GraphClient, type GraphClientOptions } from '../../../connector/graph/client.js';
import { Logger } from '../../../connector/core/log.js';
import { Redactor } from '../../../connector/core/secrets.js';
import { validateTapConfig, type TapConfig } from '../../../connector/tap/config.js';

export interface Seen {
  method: string;
  path: string;
  query: URLSearchParams;
  body: string;
}

export type Reply = { status?: number; json?: unknown; text?: string; headers?: Record<string, string> } | 'reset' | 'hang';
export type Handler = (req: Seen, n: number) => Reply | Promise<Reply>;

export interface FakeGraph {
  baseUrl: string;
  seen: Seen[];
  handle: Handler;
  close(): Promise<void>;
}

export async function startFakeGraph(handle: Handler): Promise<FakeGraph> {
  const seen: Seen[] = [];
  const fake: FakeGraph = { baseUrl: '', seen, handle, close: async () => undefined };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://x');
      const s: Seen = { method: req.method ?? 'GET', path: u.pathname, query: u.searchParams, body: Buffer.concat(chunks).toString() };
      seen.push(s);
      void Promise.resolve(fake.handle(s, seen.length)).then((reply) => {
        if (reply === 'reset') return req.socket.destroy();
        if (reply === 'hang') return; // never answers; closeAllConnections ends it
        const body = reply.text ?? JSON.stringify(reply.json ?? {});
        res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
        res.end(body);
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  fake.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return fake;
}

export const graphError = (code: number, subcode?: number, extra: Record<string, unknown> = {}): { error: Record<string, unknown> } => ({
  error: { message: `fake error ${code}`, type: 'OAuthException', code, ...(subcode !== undefined ? { error_subcode: subcode } : {}), fbtrace_id: 'AbCdEf123', ...extra },
});

export function tapConfig(over: Record<string, unknown>): TapConfig {
  const token = 'access_tokens' in over ? {} : { access_token: 'sbx_default_00000000aa' };
  return validateTapConfig({ ...token, retry_base_ms: 1, ...over }).config;
}

/** A logger that collects its lines (and the raw text, to grep for secrets). */
export function memoryLogger(secrets: string[] = []): { log: Logger; lines: Array<Record<string, unknown>>; text: () => string } {
  const raw: string[] = [];
  const log = new Logger({ component: 'test', level: 'debug', sink: { write: (l: string) => raw.push(l) }, redactor: new Redactor(secrets) });
  return { log, lines: raw as unknown as Array<Record<string, unknown>>, text: () => raw.join('') };
}

/** Parsed log lines. */
export const parsed = (text: string): Array<Record<string, unknown>> =>
  text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

/** A clock that only moves when the client sleeps, so waits of minutes cost nothing. */
export function fakeTime(start = Date.parse('2026-11-20T00:00:00Z')): { clock: () => Date; sleep: (ms: number) => Promise<void>; sleeps: number[]; now: () => number } {
  let now = start;
  const sleeps: number[] = [];
  return {
    clock: () => new Date(now),
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
    sleeps,
    now: () => now,
  };
}

/**
 * Call inside a describe(): `serve(handler)` starts a scripted Graph for the test (closed after it),
 * `client(over)` a GraphClient on it whose clock moves only when it sleeps. `config` and `options`
 * are the suite's defaults.
 */
export function scriptedGraph(config: Record<string, unknown> = {}, options: Partial<GraphClientOptions> = {}) {
  const h = {
    fake: undefined as unknown as FakeGraph,
    serve: async (handle: Handler): Promise<FakeGraph> => (h.fake = await startFakeGraph(handle)),
    client: (over: Record<string, unknown> = {}) => {
      const time = fakeTime();
      const mem = memoryLogger();
      const c = new GraphClient({ config: { ...tapConfig({ api_base_url: h.fake.baseUrl, ...config }), ...over }, log: mem.log, clock: time.clock, sleep: time.sleep, ...options });
      return { c, mem, time };
    },
  };
  afterEach(async () => h.fake?.close());
  return h;
}
