// The loopback HTTP server: parses Graph requests (query, form, JSON and multipart bodies, Bearer
// header — facts §1.3), serves the control endpoints under /__sandbox, applies latency and the
// timeout/reset faults, and counts bytes.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Core } from './context.js';
import { parseFaultSpec } from './faults.js';
import { handle } from './handle.js';
import { isResponse, type GraphRequest, type GraphResponse } from './request.js';

export interface ControlHooks {
  stats(): unknown;
  resetStats(): void;
  advanceDay(days: number): void;
  advanceSeconds(seconds: number): void;
  tokens(): Array<{ label: string; token: string }>;
}

const MAX_BODY = 10 * 1024 * 1024;

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Form, JSON (NODESDK) or multipart (curl -F) bodies → flat string params. */
export function parseBody(contentType: string | undefined, raw: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  if (raw.length === 0) return out;
  const ct = (contentType ?? '').toLowerCase();
  const text = raw.toString('utf8');
  if (ct.includes('application/json')) {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      return out;
    }
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      for (const [k, val] of Object.entries(v as Record<string, unknown>)) out.set(k, typeof val === 'string' ? val : JSON.stringify(val));
    }
    return out;
  }
  if (ct.includes('multipart/form-data')) {
    const m = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType ?? '');
    const boundary = m?.[1] ?? m?.[2];
    if (!boundary) return out;
    for (const part of text.split(`--${boundary}`)) {
      const sep = part.indexOf('\r\n\r\n');
      if (sep < 0) continue;
      const head = part.slice(0, sep);
      const name = /name="([^"]*)"/.exec(head)?.[1];
      if (name === undefined) continue;
      out.set(name, part.slice(sep + 4).replace(/\r\n$/, ''));
    }
    return out;
  }
  for (const [k, v] of new URLSearchParams(text)) out.set(k, v);
  return out;
}

export function createSandboxServer(core: Core, hooks: ControlHooks): { server: Server; sockets: Set<Socket>; hung: Set<ServerResponse> } {
  const sockets = new Set<Socket>();
  const hung = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    void serve(core, hooks, req, res, hung).catch((err: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json; charset=UTF-8' });
        res.end(JSON.stringify({ error: { message: `sandbox internal error: ${(err as Error).message}`, type: 'SandboxException', code: 1 } }));
      }
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return { server, sockets, hung };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
  res.end(JSON.stringify(body));
}

async function serve(core: Core, hooks: ControlHooks, req: IncomingMessage, res: ServerResponse, hung: Set<ServerResponse>): Promise<void> {
  const host = req.headers.host ?? '127.0.0.1';
  const url = new URL(req.url ?? '/', `http://${host}`);
  const raw = await readBody(req);
  const method = (req.method ?? 'GET').toUpperCase();

  if (url.pathname.startsWith('/__sandbox/')) {
    // A fake world, but still: the control surface answers loopback callers only.
    const ip = req.socket.remoteAddress ?? '';
    if (!(ip === '::1' || ip.startsWith('127.') || ip.startsWith('::ffff:127.'))) return sendJson(res, 403, { error: 'control endpoints answer loopback callers only' });
    return control(core, hooks, method, url, raw, res);
  }

  core.stats.requests++;
  const body = parseBody(req.headers['content-type'], raw);
  const query: Array<[string, string]> = [...url.searchParams.entries()];
  const params = new Map<string, string>(query);
  for (const [k, v] of body) params.set(k, v);
  let token = params.get('access_token');
  const authz = req.headers.authorization;
  if (token === undefined && authz && /^Bearer\s+/i.test(authz)) token = authz.replace(/^Bearer\s+/i, '').trim();
  // The `method` override lets a POST carry a GET (PYSDK style) — not needed here, but harmless.
  let path = url.pathname.replace(/\/+$/, '');
  let version = core.opts.apiVersion;
  let versionInPath = false;
  const vm = /^\/(v\d+\.\d+)(\/.*)?$/.exec(path);
  if (vm) {
    version = vm[1]!;
    path = vm[2] ?? '';
    versionInPath = true;
  }
  const greq: GraphRequest = {
    method: method === 'POST' ? 'POST' : method === 'DELETE' ? 'DELETE' : 'GET',
    version,
    versionInPath,
    path,
    params,
    query,
    token,
    origin: `http://${host}`,
    batched: false,
  };
  if (core.opts.latencyMs > 0) await new Promise((r) => setTimeout(r, core.opts.latencyMs));
  const out = await handle(core, greq);
  if (!isResponse(out)) {
    if (out.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    if (out.delayMs === null) {
      hung.add(res); // never answers; closed when the sandbox closes
      res.on('close', () => hung.delete(res));
      return;
    }
    await new Promise((r) => setTimeout(r, out.delayMs!));
    // A slow answer: the same call again, this time without faults.
    core.stats.calls--;
    const late = await handle(core, { ...greq, skipFaults: true });
    if (!isResponse(late)) {
      req.socket.destroy();
      return;
    }
    return write(core, res, late);
  }
  return write(core, res, out);
}

function write(core: Core, res: ServerResponse, out: GraphResponse): void {
  const buf = Buffer.from(out.body);
  core.stats.bytesOut += buf.length;
  res.writeHead(out.status, { ...out.headers, 'content-length': String(buf.length) });
  res.end(buf);
}

/** The world clock as the control endpoints announce it; `now` is what FB_ADS_ELT_NOW must be set to. */
function clockView(core: Core): { today: string; now: string; epoch: number } {
  return { today: core.world.clock.today, now: new Date(core.world.clock.nowUnix * 1000).toISOString(), epoch: core.world.clock.epoch };
}

function control(core: Core, hooks: ControlHooks, method: string, url: URL, raw: Buffer, res: ServerResponse): void {
  const what = url.pathname.slice('/__sandbox/'.length);
  try {
    if (what === 'stats' && method === 'GET') return sendJson(res, 200, hooks.stats());
    if (what === 'reset-stats' && method === 'POST') {
      hooks.resetStats();
      return sendJson(res, 200, { ok: true });
    }
    if (what === 'clock' && method === 'GET') return sendJson(res, 200, clockView(core));
    if (what === 'advance' && method === 'POST') {
      const days = Number(url.searchParams.get('days') ?? '0');
      const seconds = Number(url.searchParams.get('seconds') ?? '0');
      if (!Number.isInteger(days) || days < 0 || !Number.isFinite(seconds) || seconds < 0) return sendJson(res, 400, { error: 'days must be a non-negative integer, seconds a non-negative number' });
      if (days > 0) hooks.advanceDay(days);
      if (seconds > 0) hooks.advanceSeconds(seconds);
      return sendJson(res, 200, clockView(core));
    }
    if (what === 'faults' && method === 'POST') {
      const input: unknown = JSON.parse(raw.toString('utf8') || 'null');
      const specs = Array.isArray(input) ? input : [input];
      const ids = specs.map((s) => core.faults.add(parseFaultSpec(s)));
      return sendJson(res, 200, { ids });
    }
    if (what === 'faults' && method === 'DELETE') {
      core.faults.clear();
      return sendJson(res, 200, { ok: true });
    }
    if (what === 'faults' && method === 'GET') return sendJson(res, 200, { faults: core.faults.list() });
    if (what === 'tokens' && method === 'GET') return sendJson(res, 200, { tokens: hooks.tokens() });
    return sendJson(res, 404, { error: `unknown control endpoint ${method} /__sandbox/${what}` });
  } catch (err) {
    return sendJson(res, 400, { error: (err as Error).message });
  }
}
