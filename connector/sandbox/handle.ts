// One Graph call from request to response: version check (facts §1.1), faults, authentication
// (facts §1.3/§1.4), app budget, routing, batch (facts §8), error bodies and stats. Pure with
// respect to HTTP so batch sub-requests run through the very same path.
import { authenticate, findToken } from './auth.js';
import { Call, OutcomeSignal, applyFault, limitOf, type Core } from './context.js';
import { E, GraphError } from './errors.js';
import { decodeCursor, encodeCursor, linkFor, pageLimit } from './paging.js';
import { hash32 } from './prng.js';
import type { GraphRequest, GraphResponse, Outcome } from './request.js';
import { debugToken, exchangeToken } from './routes/debug.js';
import { route } from './routes/graph.js';
import { REJECTED_KEEP, THROTTLE_CODES, bump, endpointPattern } from './stats.js';

export const MIN_VERSION = 19;
export const MAX_VERSION = 26;
export const MAX_BATCH = 50; // facts §8

const TRACE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function fbtrace(core: Core): string {
  let h = hash32(core.opts.seed, 'trace', core.traceSeq++);
  let s = 'A';
  for (let i = 0; i < 10; i++) {
    s += TRACE_ALPHABET[h % TRACE_ALPHABET.length];
    h = Math.floor(h / TRACE_ALPHABET.length) ^ hash32(h, i);
    h >>>= 0;
  }
  return s;
}

/**
 * Headers Graph sends on every answer. `date` is the world clock: Meta stamps its answers with the
 * same clock that stamps `updated_time` (Node's default would be this machine's wall clock, which
 * the world never reads), moving on from it in real time with SandboxOptions.liveDate. It is an HTTP header of the answer itself: the items of a Batch API
 * answer carry no `date` of their own (Meta's batch docs and the recorded fixtures list none).
 */
function baseHeaders(core: Core, req: GraphRequest): Record<string, string> {
  const served = core.world.clock.nowUnix * 1000 + (core.opts.liveDate ? Math.floor(core.nowMs()) : 0);
  return {
    ...(req.batched ? {} : { date: new Date(served).toUTCString() }),
    'content-type': req.batched ? 'text/javascript; charset=UTF-8' : 'application/json; charset=UTF-8',
    'facebook-api-version': req.version,
    'cache-control': 'private, no-cache, no-store, must-revalidate',
    pragma: 'no-cache',
    expires: 'Sat, 01 Jan 2000 00:00:00 GMT',
    'access-control-allow-origin': '*',
  };
}

export function errorResponse(core: Core, req: GraphRequest, err: GraphError, headers: Record<string, string>): GraphResponse {
  const trace = fbtrace(core);
  const code = err.spec.code;
  core.stats.errors++;
  bump(core.stats.errorsByCode, String(code));
  const params = Object.fromEntries([...req.params].filter(([k]) => k !== 'access_token' && k !== 'appsecret_proof'));
  const rejected = core.stats.rejected;
  rejected.push({ method: req.method, path: req.path, version: req.version, params, status: err.spec.status, code, ...(err.spec.subcode !== undefined ? { subcode: err.spec.subcode } : {}), message: err.spec.message });
  if (rejected.length > REJECTED_KEEP) rejected.splice(0, rejected.length - REJECTED_KEEP);
  if (THROTTLE_CODES.has(code)) {
    core.stats.throttles++;
    bump(core.stats.throttlesByCode, String(code));
  }
  return { status: err.spec.status, headers: { ...baseHeaders(core, req), ...headers, ...err.headers, 'x-fb-trace-id': trace }, body: JSON.stringify(err.body(trace)) };
}

export async function handle(core: Core, req: GraphRequest): Promise<Outcome> {
  const stats = core.stats;
  stats.calls++;
  bump(stats.byEndpoint, endpointPattern(req.method, req.path));
  const tok = findToken(core.world, req.token);
  const label = tok?.label ?? null;
  bump(stats.byToken, label ?? (req.token ? 'unknown' : 'none'));
  const call = new Call(core, req, label);
  try {
    const major = Number(/^v(\d+)\.\d+$/.exec(req.version)?.[1] ?? NaN);
    if (!(major >= MIN_VERSION)) throw E.deprecatedVersion(core.opts.apiVersion);
    if (major > MAX_VERSION) throw E.unknownPath(req.version);
    const f = req.skipFaults ? null : core.faults.match({ method: req.method, path: req.path, tokenLabel: label, accountId: null, limit: limitOf(req), batchSize: batchSizeOf(req) }, null, 'request');
    if (f) applyFault(call, f);
    if (req.path === '' && req.method === 'POST' && req.params.has('batch')) {
      // Meta authenticates the batch request itself (its access_token is the items' fallback): an invalid,
      // expired or unproven one fails the whole call with its 190 before any item runs. An item naming its
      // own access_token is authenticated with that one, as a call of its own (subRequest).
      authenticate(core.world, req.token, req.params.get('appsecret_proof'), core.opts.appSecret, core.faults.expiredLabels);
      return await batch(core, req);
    }
    if (req.path === '/debug_token') return ok(core, req, call, debugToken(call));
    if (req.path === '/oauth/access_token') return ok(core, req, call, exchangeToken(call));
    call.auth = authenticate(core.world, req.token, req.params.get('appsecret_proof'), core.opts.appSecret, core.faults.expiredLabels);
    core.limiter.chargeApp(call.headers);
    return ok(core, req, call, route(call));
  } catch (err) {
    if (err instanceof OutcomeSignal) return err.outcome;
    if (err instanceof GraphError) return errorResponse(core, req, err, call.headers);
    throw err;
  }
}

function ok(core: Core, req: GraphRequest, call: Call, body: unknown): GraphResponse {
  if (call.repeatPage) repeatNext(req, body);
  if (call.pastEnd) pageOnPastEnd(req, body);
  if (call.multiDayRow) stretchFirstRow(body);
  const text = JSON.stringify(body);
  return { status: 200, headers: { ...baseHeaders(core, req), ...call.headers }, body: call.truncate ? text.slice(0, Math.max(1, Math.floor(text.length / 2))) : text };
}

/** Fault `multi_day_row`: a daily report's row that sums three days, dates as Graph writes them. */
function stretchFirstRow(body: unknown): void {
  const row = (body as { data?: unknown })?.data;
  const first = Array.isArray(row) ? (row[0] as Record<string, unknown> | undefined) : undefined;
  if (typeof first?.['date_start'] !== 'string') return;
  const stop = new Date(`${first['date_start']}T00:00:00Z`);
  stop.setUTCDate(stop.getUTCDate() + 2);
  first['date_stop'] = stop.toISOString().slice(0, 10);
}

/** Fault `paging_repeat`: `next` names the cursor just read (facebook-python-business-sdk#661). */
function repeatNext(req: GraphRequest, body: unknown): void {
  const page = body as { data?: unknown; paging?: Record<string, unknown> };
  if (!Array.isArray(page?.data)) return;
  const after = req.params.get('after');
  const limit = req.params.get('limit');
  page.paging = { ...(page.paging ?? {}), next: linkFor(req, { ...(limit !== undefined ? { limit } : {}), ...(after !== undefined ? { after } : {}) }) };
}

/**
 * Fault `paging_past_end`: Graph paging on past the last row, as restfb/restfb#916 captured it (Meta bug
 * 482984005516645): a short last page still carries `next`, and every page after it answers
 * `{"data": [], "paging": {"cursors": {"after": …}, "next": …}}` with a new cursor, for ever.
 */
function pageOnPastEnd(req: GraphRequest, body: unknown): void {
  const page = body as { data?: unknown; paging?: { cursors?: { after?: string }; next?: string } };
  if (!Array.isArray(page?.data)) return;
  const limit = String(pageLimit(req));
  let after = page.paging?.cursors?.after;
  if (after === undefined) {
    // Past the end: one page further than the cursor asked for (or than the start), in its style.
    const asked = req.params.get('after');
    const style = asked !== undefined && Number.isInteger(Number(Buffer.from(asked, 'base64url').toString('utf8'))) ? 'insights' : 'object';
    const from = asked !== undefined ? decodeCursor(asked, style) : -1;
    after = encodeCursor(from + Number(limit), style);
  }
  page.paging = { ...(page.paging ?? {}), cursors: { ...(page.paging?.cursors ?? {}), after }, next: linkFor(req, { limit, after }) };
}

/** How many requests a Batch API call holds (null for any other request, or a batch that is no JSON list). */
function batchSizeOf(req: GraphRequest): number | null {
  if (req.path !== '' || req.method !== 'POST' || !req.params.has('batch')) return null;
  try {
    const items: unknown = JSON.parse(req.params.get('batch')!);
    return Array.isArray(items) ? items.length : null;
  } catch {
    return null;
  }
}

/** POST / with batch=[…] (facts §8): ≤ 50 sub-requests, each a call of its own. */
async function batch(core: Core, req: GraphRequest): Promise<GraphResponse> {
  core.stats.batches++;
  let items: unknown;
  try {
    items = JSON.parse(req.params.get('batch')!);
  } catch {
    throw E.invalidParam('The parameter batch must be a JSON array');
  }
  if (!Array.isArray(items)) throw E.invalidParam('The parameter batch must be a JSON array');
  if (items.length > MAX_BATCH) throw E.batchTooBig();
  const includeHeaders = req.params.get('include_headers') !== 'false';
  const out: unknown[] = [];
  for (const it of items) {
    const o = (it ?? {}) as Record<string, unknown>;
    const rel = typeof o['relative_url'] === 'string' ? o['relative_url'] : '';
    const method = (typeof o['method'] === 'string' ? o['method'].toUpperCase() : 'GET') as GraphRequest['method'];
    const sub = subRequest(req, method, rel, typeof o['body'] === 'string' ? o['body'] : undefined);
    const res = await handle(core, sub);
    if (!('status' in res)) {
      out.push(null); // not processed: the caller retries it (facts §8)
      continue;
    }
    const entry: Record<string, unknown> = { code: res.status };
    if (includeHeaders) entry['headers'] = Object.entries(res.headers).map(([name, value]) => ({ name, value }));
    entry['body'] = res.body;
    out.push(entry);
  }
  return { status: 200, headers: { ...baseHeaders(core, req) }, body: JSON.stringify(out) };
}

function subRequest(outer: GraphRequest, method: GraphRequest['method'], rel: string, body: string | undefined): GraphRequest {
  const url = new URL(rel.replace(/^\/?/, '/'), 'http://batch.invalid');
  let path = url.pathname.replace(/\/+$/, '');
  let version = outer.version;
  let versionInPath = outer.versionInPath;
  const vm = /^\/(v\d+\.\d+)(\/.*)?$/.exec(path);
  if (vm) {
    version = vm[1]!;
    path = vm[2] ?? '';
    versionInPath = true;
  }
  const query: Array<[string, string]> = [...url.searchParams.entries()];
  const params = new Map<string, string>(query);
  if (body) for (const [k, v] of new URLSearchParams(body)) params.set(k, v);
  const token = params.get('access_token') ?? outer.token;
  const proof = params.get('appsecret_proof') ?? outer.params.get('appsecret_proof');
  if (proof !== undefined) params.set('appsecret_proof', proof);
  return { method, version, versionInPath, path, params, query, token, origin: outer.origin, batched: true };
}
