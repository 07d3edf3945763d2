// Shared state of one running sandbox and the per-call context routes work with: who is calling,
// which ad account the call touches (faults, budgets, stats) and the headers to send back.
import { GraphError } from './errors.js';
import { type Auth } from './auth.js';
import type { Faults, FaultSpec } from './faults.js';
import type { InsightsRow } from './insights.js';
import type { RateLimiter, UseCase } from './ratelimit.js';
import type { ReportRuns } from './report-runs.js';
import type { GraphRequest, GraphResponse, Outcome } from './request.js';
import { bump, type SandboxStats } from './stats.js';
import type { World } from './world.js';
import { faultError } from './fault-errors.js';

export interface ResolvedOptions {
  seed: number;
  latencyMs: number;
  jobDurationMs: number;
  appSecret: string | undefined;
  apiVersion: string;
  /** SandboxOptions.liveDate. */
  liveDate: boolean;
}

export interface Core {
  world: World;
  opts: ResolvedOptions;
  faults: Faults;
  limiter: RateLimiter;
  runs: ReportRuns;
  stats: SandboxStats;
  /** Sync-insights results per query signature and clock, so paging does not recompute. */
  insightsCache: Map<string, InsightsRow[]>;
  /** Lifetime spend per account per clock epoch (AdAccount.amount_spent). */
  spentCache: Map<string, number>;
  traceSeq: number;
  /** Wall-ish clock for job progress (ms). */
  nowMs(): number;
}

/** Thrown to turn a call into a non-response (faults `timeout`, `reset`). */
export class OutcomeSignal extends Error {
  constructor(readonly outcome: Outcome) {
    super('kind' in outcome ? outcome.kind : `HTTP ${outcome.status}`);
  }
}

/** What a proxy or load balancer in front of Graph answers when Graph does not (not JSON). */
function gatewayPage(status: number): GraphResponse {
  const title = status === 504 ? '504 Gateway Time-out' : status === 503 ? '503 Service Temporarily Unavailable' : '502 Bad Gateway';
  return { status, headers: { 'content-type': 'text/html' }, body: `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n</body>\r\n</html>\r\n` };
}

export class Call {
  readonly headers: Record<string, string> = {};
  /** Fault `truncated_json`: the 200 body is cut off mid-way, as a dropped connection leaves it. */
  truncate = false;
  /** Fault `paging_repeat`: the page's `next` asks for this very page again. */
  repeatPage = false;
  /** Fault `paging_past_end`: the page names a next one even at the end, past it with `data: []` and a new cursor. */
  pastEnd = false;
  /** Fault `multi_day_row`: the page's first insights row covers three days (date_stop = date_start + 2). */
  multiDayRow = false;
  auth: Auth | null = null;
  accountId: string | null = null;
  constructor(
    readonly core: Core,
    readonly req: GraphRequest,
    readonly tokenLabel: string | null,
  ) {}

  requireAuth(): Auth {
    if (!this.auth) throw new Error('route needs auth but the call was not authenticated');
    return this.auth;
  }

  /** Every call that reads an ad account's data goes through here (once). */
  touchAccount(bareId: string, useCase: UseCase): void {
    if (this.accountId !== null) return;
    this.accountId = bareId;
    bump(this.core.stats.byAccount, bareId);
    const f = this.req.skipFaults ? null : this.core.faults.match({ method: this.req.method, path: this.req.path, tokenLabel: this.tokenLabel, accountId: bareId, limit: limitOf(this.req) }, null, 'account');
    if (f) applyFault(this, f);
    this.core.limiter.chargeAccount(this.headers, bareId, useCase);
  }
}

/** The request's `limit` parameter as a number (faults that model "too big a page" look at it). */
export function limitOf(req: GraphRequest): number | null {
  const v = Number(req.params.get('limit'));
  return req.params.has('limit') && Number.isFinite(v) ? v : null;
}

/** Turns a matched fault into the error/outcome it stands for. */
export function applyFault(call: Call, f: FaultSpec): void {
  if (f.kind === 'timeout') throw new OutcomeSignal({ kind: 'hang', delayMs: f.delayMs ?? null });
  if (f.kind === 'reset') throw new OutcomeSignal({ kind: 'reset' });
  if (f.kind === 'proxy_html') throw new OutcomeSignal(gatewayPage(f.status ?? 502));
  if (f.kind === 'truncated_json') {
    call.truncate = true;
    return;
  }
  if (f.kind === 'paging_repeat') {
    call.repeatPage = true;
    return;
  }
  if (f.kind === 'paging_past_end') {
    call.pastEnd = true;
    return;
  }
  if (f.kind === 'multi_day_row') {
    call.multiDayRow = true;
    return;
  }
  if (f.kind === 'token_expired') {
    const label = f.token ?? call.tokenLabel;
    if (label !== null) call.core.faults.expiredLabels.set(label, f.subcode ?? 463);
    return; // authentication (or re-authentication) now fails with 190/463
  }
  const err: GraphError = faultError(f, call.accountId, call.req.path);
  throw err;
}
