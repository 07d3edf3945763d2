// The Graph API client every part of the tap calls: versioned URLs, token + appsecret_proof, SDK-style
// parameter encoding, cursor paging, and the resilience around each attempt (usage-header pacing,
// retries with backoff, token rotation, circuit breaker), with errors typed by the table in errors.ts.
import { createHmac } from 'node:crypto';
import pLimit, { type LimitFunction } from 'p-limit';
import { AuthError, ConnectorError, DataError, ThrottledError, TransientError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { Redactor } from '../core/secrets.js';
import { MAX_BATCH_REQUESTS, batchItem, decodeBatch, type BatchAnswer, type BatchRequest, type ItemResponse } from './batch.js';
import { GraphBreaker } from './breaker.js';
import { checkCallBudget } from './call-budget.js';
import { ReduceDataError, classifyGraphError, classifyNetworkError, type Classified, type GraphErrorBody, type ThrottleScope } from './errors.js';
import { HttpFailure, httpRequest, type HttpAnswer } from './http.js';
import { MAX_EMPTY_PAGES_IN_A_ROW, accountOfPath, encodeParams, graphUrl, isPage, nextLink, nextPageUrl, stripAuth } from './paging.js';
import { UsagePacer, parseUsageHeaders, regainSecondsFor } from './usage.js';

export interface TokenRef {
  label: string;
  token: string;
}

export interface GraphCallOptions {
  /** Arrays/objects are JSON-encoded (compact) like the official SDKs; strings/numbers as they are. */
  params?: Record<string, unknown>;
  /** Candidate tokens in preference order (all with access to the object); the client rotates on 190/throttle. */
  tokens: TokenRef[];
  /** Bare digits; per-account stats, usage pacing. Derived from an `act_<id>` path when absent. */
  accountId?: string;
  method?: 'GET' | 'POST';
  signal?: AbortSignal;
  /**
   * The caller can ask for less (a smaller page, fewer days, a finer level): a "reduce the amount of
   * data" answer is then handed back at once instead of being retried unchanged.
   */
  shrinkable?: boolean;
  /**
   * Told of each successful answer with the instant of its `Date` header (undefined when absent or
   * unreadable: a proxy may drop it). That is Meta's clock, the one that stamps `updated_time`; the
   * entity readers cap their bookmark with it (tap/entity-bookmark.ts).
   */
  onAnswer?: (servedAt: Date | undefined) => void;
}

export interface CallStats {
  /** HTTP attempts sent. */
  api_calls: number;
  /** Attempts answered with a throttle error. */
  throttles: number;
  /** Attempts that repeated an earlier one (after a failure or on another token). */
  retries: number;
  /** Calls that failed for good (thrown to the caller). */
  errors: number;
}

/**
 * What the client is told (the tap passes its validated config, which has these fields): the Graph
 * host and version, paging, retries, pacing and the app secret for appsecret_proof. Tokens come with
 * each call and are registered with the redactor there.
 */
export interface GraphClientConfig {
  api_base_url: string;
  api_version: string;
  page_size: number;
  max_retries: number;
  retry_base_ms: number;
  request_timeout_seconds: number;
  circuit_breaker: { failures: number; pause_seconds: number };
  max_concurrency: number;
  max_api_calls_per_account: number;
  usage_pause_threshold: number;
  user_agent?: string | undefined;
  app_secret?: string | undefined;
}

export interface GraphClientOptions {
  config: GraphClientConfig;
  log: Logger;
  clock?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  /** A throttle whose wait exceeds this is surfaced as ThrottledError (exit 7, re-run later) instead of slept through. */
  maxThrottleWaitMs?: number;
  /** Spacing between calls on a budget that reads 100% (see UsagePacer); default 30 × retry_base_ms. */
  pacerMaxIntervalMs?: number;
  /** Upper bound of one backoff delay. */
  maxBackoffMs?: number;
}

const DEFAULT_MAX_THROTTLE_WAIT_MS = 15 * 60_000;
/**
 * Smallest page an edge read shrinks to when Meta answers "reduce the amount of data" (HTTP 500
 * code 1): the page halves from config.page_size down to this, as Airbyte does (streams/common.py).
 */
export const MIN_PAGE_SIZE = 1;
/** Pacing at a full budget, in units of retry_base_ms (30 s at the default 1 s): the waits we choose scale together. */
const PACER_MAX_INTERVAL_UNITS = 30;
/**
 * First wait after a report run failed for the app's/account's rate limit (4/1504022, 4/1504039), in
 * units of retry_base_ms (30 s at the default), doubling per repeat: Meta says "wait before retrying"
 * without saying how long, and a run carries no usage headers to read the wait from.
 */
const JOB_THROTTLE_WAIT_UNITS = 30;
const DEFAULT_MAX_BACKOFF_MS = 5 * 60_000;
/** What we identify as; Meta support asks for it when debugging (facts §1.3 lists the SDKs' own). */
const USER_AGENT = 'fb-ads-elt/0.1 (tap-facebook-ads; node)';

const emptyStats = (): CallStats => ({ api_calls: 0, throttles: 0, retries: 0, errors: 0 });

/** An attempt that failed, carrying its classification through the breaker. */
class AttemptFailure extends Error {
  constructor(
    readonly classified: Classified,
    readonly regainSeconds: number | undefined,
  ) {
    super(classified.error.message);
  }
}

/** hex HMAC-SHA256(key = app secret, message = access token), facts §1.4. */
export function appsecretProof(appSecret: string, token: string): string {
  return createHmac('sha256', appSecret).update(token).digest('hex');
}

export { accountOfPath } from './paging.js';

const maxDefined = (a: number | undefined, b: number | undefined): number | undefined => (a === undefined ? b : b === undefined ? a : Math.max(a, b));

/** '250 ms', '1.5 s', '3 min': waits are logged at a precision a reader can use. */
const seconds = (ms: number): string => (ms < 1000 ? `${Math.round(ms)} ms` : ms < 120_000 ? `${Math.round(ms / 100) / 10} s` : `${Math.round(ms / 6000) / 10} min`);

/**
 * The error a retried failure ends with once max_retries are spent. A "reduce the amount of data"
 * answer to a request that cannot shrink is also Meta's generic internal error (code 1), so it is
 * reported as "re-run later" (exit 7).
 */
function retriesExhausted(classified: Classified): ConnectorError {
  const { error } = classified;
  return classified.failure === 'reduce_data' && classified.retry ? new TransientError(error.message, { ...(error.hint ? { hint: error.hint } : {}), context: error.context }) : error;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class GraphClient {
  private readonly config: GraphClientConfig;
  private readonly log: Logger;
  private readonly redactor: Redactor;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly headers: Record<string, string>;
  private readonly pacer: UsagePacer;
  private readonly breaker: GraphBreaker;
  private readonly maxThrottleWaitMs: number;
  private readonly maxBackoffMs: number;
  /** At most max_concurrency HTTP requests in flight across every caller, whatever the tap's own fan-out. */
  private readonly inflight: LimitFunction;
  private readonly proofs = new Map<string, string>();
  private readonly dead = new Map<string, string>();
  private readonly byAccount = new Map<string, CallStats>();
  private readonly byToken = new Map<string, CallStats>();
  private readonly total = emptyStats();
  /** Per account: batch items beyond the one HTTP request each batch counts as (Meta counts every item as a call). */
  private readonly batchedExtra = new Map<string, number>();

  constructor(opts: GraphClientOptions) {
    this.config = opts.config;
    this.log = opts.log.child({ component: 'graph' });
    this.redactor = opts.log.redactor;
    // Register the secret we hold, so even a log line someone else writes cannot carry it (tokens are
    // registered as each call brings them).
    this.redactor.add(opts.config.app_secret);
    const clock = opts.clock ?? (() => new Date());
    this.now = () => clock().getTime();
    this.sleep = opts.sleep ?? defaultSleep;
    this.maxThrottleWaitMs = opts.maxThrottleWaitMs ?? DEFAULT_MAX_THROTTLE_WAIT_MS;
    this.maxBackoffMs = opts.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS;
    this.inflight = pLimit(opts.config.max_concurrency);
    // Every status is classified here, and redirects are never followed (one could carry the token to another host): http.ts does neither.
    this.headers = { 'User-Agent': opts.config.user_agent ?? USER_AGENT, Accept: 'application/json' };
    this.pacer = new UsagePacer({
      threshold: opts.config.usage_pause_threshold,
      clock: this.now,
      maxIntervalMs: opts.pacerMaxIntervalMs ?? PACER_MAX_INTERVAL_UNITS * opts.config.retry_base_ms,
    });
    const cb = opts.config.circuit_breaker;
    this.breaker = new GraphBreaker({
      failures: cb.failures,
      pauseMs: cb.pause_seconds * 1000,
      log: this.log,
      // Only failures of the service count; a policy block ('blocked', 368) or a refused object does not.
      isFailure: (err) => err instanceof AttemptFailure && (err.classified.failure === 'transient' || err.classified.failure === 'throttle'),
      describe: (err) => (err instanceof AttemptFailure ? this.redactor.redact(err.classified.error.message) : 'unknown'),
    });
  }

  /** One call to a node or edge: `path` has no version ('me/adaccounts', 'act_123/campaigns', '1234'). */
  async request<T = unknown>(path: string, opts: GraphCallOptions): Promise<T> {
    const url = new URL(graphUrl(this.config.api_base_url, this.config.api_version, path));
    return this.call<T>(url, encodeParams(opts.params), opts);
  }

  /**
   * Yields the rows of an edge, following `paging.next` until it is absent (never stopping on a short
   * page). When Meta answers a page with "reduce the amount of data", the page size halves (down to
   * MIN_PAGE_SIZE) and the read goes on from the same cursor with the smaller size.
   */
  async *paginate<T = Record<string, unknown>>(path: string, opts: GraphCallOptions): AsyncGenerator<T> {
    const params = encodeParams({ limit: this.config.page_size, ...opts.params });
    let url = new URL(graphUrl(this.config.api_base_url, this.config.api_version, path));
    let body: Record<string, string> = params;
    // Next links already followed: Meta has answered a last page with a `next` repeating the cursor
    // just read (facebook-python-business-sdk#661), which would otherwise loop until throttled.
    const followed = new Set<string>();
    let emptyInARow = 0;
    for (;;) {
      // Meta counts calls, not rows, so we only shrink the page when the response itself is too big.
      const limit = Number(body['limit'] ?? url.searchParams.get('limit'));
      const shrinkable = Number.isFinite(limit) && limit > MIN_PAGE_SIZE;
      let page: unknown;
      try {
        page = await this.call<unknown>(url, body, { ...opts, shrinkable });
      } catch (err) {
        if (err instanceof ReduceDataError && shrinkable) {
          const smaller = Math.max(MIN_PAGE_SIZE, Math.floor(limit / 2));
          this.log.warn(`Meta asked for less data: reading ${this.shownPath(url)} with page size ${smaller} instead of ${limit}`, {
            path: this.shownPath(url),
            account_id: this.accountFor(url, opts),
            page_size: smaller,
            previous_page_size: limit,
            graph_code: err.context['graph_code'],
          });
          this.count(this.accountFor(url, opts), undefined, 'retries');
          if ('limit' in body) body = { ...body, limit: String(smaller) };
          else url.searchParams.set('limit', String(smaller));
          continue;
        }
        throw err;
      }
      if (!isPage(page)) {
        throw new DataError(`Graph API answered ${this.shownPath(url)} without a data[] list`, {
          hint: 'The path is probably a node, not an edge: use request() for it.',
          context: { path: this.shownPath(url), account_id: this.accountFor(url, opts) },
        });
      }
      for (const row of page.data ?? []) yield row as T;
      const next = nextLink(page);
      if (!next) return;
      emptyInARow = (page.data ?? []).length === 0 ? emptyInARow + 1 : 0;
      if (emptyInARow >= MAX_EMPTY_PAGES_IN_A_ROW) {
        this.log.warn(`Graph answered ${emptyInARow} empty pages in a row on ${this.shownPath(url)}, each with a next page; the edge ends here instead of paging on until the call budget`, {
          path: this.shownPath(url),
          account_id: this.accountFor(url, opts),
          empty_pages: emptyInARow,
          hint: 'Meta pages past the end of a listing this way at times, and then nothing is missing. If rows of this edge do turn out missing in the warehouse, re-read its stream from start_date with a full refresh (fb-ads-elt sync --full-refresh <stream>, or meltano run --full-refresh).',
        });
        return;
      }
      const nextUrl = nextPageUrl(next, this.config.api_base_url);
      if (followed.has(nextUrl.toString()) || nextUrl.toString() === url.toString()) {
        // The page behind it was read already: its rows are out, reading it again adds nothing.
        this.log.warn(`Graph paging of ${this.shownPath(url)} repeats a page already read; the edge ends here`, {
          path: this.shownPath(url),
          account_id: this.accountFor(url, opts),
          after: nextUrl.searchParams.get('after') ?? undefined,
        });
        return;
      }
      followed.add(nextUrl.toString());
      url = nextUrl;
      body = {}; // the next URL already carries every parameter
    }
  }

  /**
   * Up to MAX_BATCH_REQUESTS GETs in one Batch API call (facts §8), each answered on its own, in
   * request order. Every item is handled as the plain GET it stands for would be: its usage headers
   * feed the pacer; a throttled or transiently failing item waits like a plain retry and goes out again
   * in the next batch; a refused one comes back as its error (the caller decides whether that skips one
   * object); one Meta did not process (null, a partially completed batch) is retried alone as a plain
   * GET, as is one refused to this token while another may read it. A batch Meta answers "reduce the
   * amount of data" (as a whole, or for some items) is sent again in halves, down to single items read
   * as plain GETs with their own reduce-data handling (a shrinkable caller gets ReduceDataError). Throws what a plain call throws
   * for the batch request itself (a dead token set, a throttle too long to wait, the call budget).
   */
  async requestBatch<T = unknown>(requests: readonly BatchRequest[], opts: GraphCallOptions): Promise<Array<BatchAnswer<T>>> {
    if (requests.length > MAX_BATCH_REQUESTS) throw new RangeError(`a Graph batch holds at most ${MAX_BATCH_REQUESTS} requests, got ${requests.length}`);
    const answers: Array<BatchAnswer<T> | undefined> = requests.map(() => undefined);
    const failures = new Map<number, number>(); // per item: answers that count against max_retries
    const alone: Array<{ index: number; tokens: TokenRef[] }> = [];
    const accountId = opts.accountId;
    const accountOf = (i: number): string | undefined => requests[i]!.accountId ?? accountId;
    const root = new URL(graphUrl(this.config.api_base_url, this.config.api_version, ''));
    // Batches still to send, in order; one Meta finds too big is replaced by its halves.
    const queue: number[][] = [requests.map((_, i) => i)];
    for (let pending = queue.shift(); pending !== undefined; pending = queue.shift()) {
      const items = pending.map((i) => batchItem(requests[i]!));
      let sent: { body: unknown; token: TokenRef };
      try {
        // shrinkable: a "reduce the amount of data" answer to the batch comes back at once, to be halved below.
        sent = await this.callWith<unknown>(root, { batch: JSON.stringify(items), include_headers: 'true' }, { ...opts, method: 'POST', shrinkable: true }, items.length);
      } catch (err) {
        if (!(err instanceof ReduceDataError)) throw err;
        this.shrinkBatch(pending, pending, queue, alone, opts.tokens, accountId);
        continue;
      }
      const { body, token } = sent;
      // The HTTP request was counted for the batch's account; Meta counts each item against its own.
      if (accountId) this.batchedExtra.set(accountId, (this.batchedExtra.get(accountId) ?? 0) - 1);
      for (const i of pending) {
        const a = accountOf(i);
        if (a) this.batchedExtra.set(a, (this.batchedExtra.get(a) ?? 0) + 1);
      }
      const again: number[] = [];
      const tooBig: number[] = [];
      let waitMs = 0;
      decodeBatch(body, items.length).forEach((res, k) => {
        const index = pending[k]!;
        if (res === null) {
          // Meta gave up on the item within its time (facts §8): a timeout, for the breaker as for a plain call.
          this.breaker.record(this.itemTimeout(requests[index]!, token, accountOf(index)));
          alone.push({ index, tokens: opts.tokens });
        } else {
          const step = this.itemAnswer<T>(res, requests[index]!, token, opts.tokens, accountOf(index), failures.get(index) ?? 0);
          if ('answer' in step) answers[index] = step.answer;
          else if ('alone' in step) alone.push({ index, tokens: step.alone });
          else if ('shrink' in step) tooBig.push(index);
          else {
            if (step.failed) failures.set(index, (failures.get(index) ?? 0) + 1);
            waitMs = Math.max(waitMs, step.waitMs);
            again.push(index);
          }
        }
      });
      if (tooBig.length > 0) this.shrinkBatch(pending, tooBig, queue, alone, opts.tokens, accountId);
      if (again.length > 0) {
        for (let n = 0; n < again.length; n++) this.count(accountId, token.label, 'retries');
        this.log.warn(`${again.length} of ${items.length} batched Graph requests were throttled or failed; sending them again${waitMs > 0 ? ` in ${seconds(waitMs)}` : ''}`, { account_id: accountId, token_label: token.label, wait_ms: Math.round(waitMs) });
        if (waitMs > 0) await this.abortable(this.sleep(waitMs), opts.signal);
        queue.push(again);
      }
    }
    if (alone.length > 0) this.log.info(`${alone.length} batched Graph requests were not answered in their batch; reading them one by one`, { account_id: accountId });
    await Promise.all(
      alone.map(async ({ index, tokens }) => {
        const req = requests[index]!;
        this.count(accountId, undefined, 'retries');
        try {
          const a = accountOf(index);
          answers[index] = { ok: true, body: await this.request<T>(req.path, { ...opts, params: req.params ?? {}, tokens, ...(a ? { accountId: a } : {}) }) };
        } catch (err) {
          if (!(err instanceof ConnectorError)) throw err;
          answers[index] = { ok: false, error: err };
        }
      }),
    );
    return answers.map((a) => a!);
  }

  /**
   * Meta answered "reduce the amount of data" for the batch `sent` (as a whole, or for the items
   * `tooBig` of it): those items go out again in batches half the size of `sent`, down to one item,
   * which is then read as the plain GET it stands for, with that call's own reduce-data handling.
   */
  private shrinkBatch(sent: readonly number[], tooBig: readonly number[], queue: number[][], alone: Array<{ index: number; tokens: TokenRef[] }>, tokens: TokenRef[], accountId: string | undefined): void {
    if (sent.length === 1) {
      alone.push({ index: sent[0]!, tokens });
      return;
    }
    const size = Math.ceil(sent.length / 2);
    this.log.warn(`Meta asked for less data in a Batch API call of ${sent.length} requests: sending ${tooBig.length} of them again in batches of at most ${size}`, { account_id: accountId, batch_size: size, previous_batch_size: sent.length });
    for (let i = 0; i < tooBig.length; i += size) queue.push(tooBig.slice(i, i + size));
    for (let n = 0; n < tooBig.length; n++) this.count(accountId, undefined, 'retries');
  }

  /**
   * Applies a throttle that did not come from an HTTP answer (an async report run that failed with a
   * rate-limit code) to the shared pacer, so every worker on that budget waits; returns the wait.
   */
  holdAfterThrottle(scope: ThrottleScope | undefined, attempt: number, accountId: string | undefined): number {
    const waitMs = Math.min(this.maxBackoffMs, JOB_THROTTLE_WAIT_UNITS * this.config.retry_base_ms * 2 ** (Math.max(1, attempt) - 1));
    const until = this.now() + waitMs;
    if (scope === 'app' || accountId === undefined) this.pacer.blockApp(until);
    else this.pacer.blockAccount(accountId, until);
    return waitMs;
  }

  statsFor(accountId: string): CallStats {
    return { ...(this.byAccount.get(accountId) ?? emptyStats()) };
  }

  totals(): CallStats & { by_token: Record<string, CallStats> } {
    const by_token: Record<string, CallStats> = {};
    for (const [label, s] of this.byToken) by_token[label] = { ...s };
    return { ...this.total, by_token };
  }

  deadTokens(): string[] {
    return [...this.dead.keys()];
  }

  /** How many times the circuit breaker opened in this run. */
  breakerOpens(): number {
    return this.breaker.openCount;
  }

  // ---------------------------------------------------------------------------------------------

  private accountFor(url: URL, opts: GraphCallOptions): string | undefined {
    return opts.accountId ?? accountOfPath(url.pathname);
  }

  /** The path shown in errors and logs: version-relative, no query (no token can hide there). */
  private shownPath(url: URL): string {
    const rel = url.pathname.replace(/^\/v\d+\.\d+\/?/, '');
    // The version root takes only Batch API requests: name it so an error about one says what failed.
    return rel === '' ? 'the Batch API (POST /)' : this.redactor.redact(stripAuth(rel));
  }

  private count(accountId: string | undefined, label: string | undefined, key: keyof CallStats): void {
    this.total[key] += 1;
    if (accountId) {
      const s = this.byAccount.get(accountId) ?? emptyStats();
      s[key] += 1;
      this.byAccount.set(accountId, s);
    }
    if (label) {
      const s = this.byToken.get(label) ?? emptyStats();
      s[key] += 1;
      this.byToken.set(label, s);
    }
  }

  /** First living candidate that is not blocked; else the living one that frees up first. */
  private pickToken(candidates: TokenRef[]): TokenRef | undefined {
    const alive = candidates.filter((t) => !this.dead.has(t.label));
    if (alive.length === 0) return undefined;
    const now = this.now();
    return alive.find((t) => this.pacer.tokenFreeAt(t.label) <= now) ?? [...alive].sort((a, b) => this.pacer.tokenFreeAt(a.label) - this.pacer.tokenFreeAt(b.label))[0];
  }

  private backoffMs(attempt: number): number {
    // Exponential with up to 20 % jitter (so parallel workers do not retry in step): 2^attempt × base/2, i.e. attempt 1 ≈ base.
    const delay = 2 ** attempt * (this.config.retry_base_ms / 2);
    return Math.min(this.maxBackoffMs, delay + delay * 0.2 * Math.random());
  }

  private proofFor(token: string): string | undefined {
    const secret = this.config.app_secret;
    if (!secret) return undefined;
    let p = this.proofs.get(token);
    if (!p) {
      p = appsecretProof(secret, token);
      this.proofs.set(token, p);
      this.redactor.add(p); // a proof is as good as the token for replaying this call
    }
    return p;
  }

  private async call<T>(url: URL, params: Record<string, string>, opts: GraphCallOptions): Promise<T> {
    return (await this.callWith<T>(url, params, opts)).body;
  }

  /**
   * The attempt loop around one logical call; says which token got the answer. `cost` is how many
   * Graph calls Meta counts it as (a batch: one per item), for max_api_calls_per_account.
   */
  private async callWith<T>(url: URL, params: Record<string, string>, opts: GraphCallOptions, cost = 1): Promise<{ body: T; token: TokenRef }> {
    const accountId = this.accountFor(url, opts);
    const path = this.shownPath(url);
    for (const t of opts.tokens) this.redactor.add(t.token);
    let failures = 0; // attempts that count against max_retries
    let attempts = 0;
    const deniedTo = new Set<string>();
    for (;;) {
      const token = this.pickToken(opts.tokens.filter((t) => !deniedTo.has(t.label)));
      if (!token) throw this.noTokenError(opts.tokens, path, accountId);
      if (accountId) checkCallBudget(accountId, this.spent(accountId) + cost - 1, this.config.max_api_calls_per_account, path);
      const { waitMs, reason } = this.pacer.reserve(accountId, token.label);
      if (waitMs > this.maxThrottleWaitMs) {
        this.count(accountId, token.label, 'errors');
        throw this.tooLongError(waitMs, path, accountId, token.label);
      }
      if (waitMs > 0) {
        this.log.info(`pacing Graph calls: waiting ${seconds(waitMs)} because a rate-limit budget is nearly spent`, { budget: reason, wait_ms: Math.round(waitMs), account_id: accountId, token_label: token.label, ...this.pacer.usage(accountId) });
        await this.abortable(this.sleep(waitMs), opts.signal);
      }
      if (attempts > 0) this.count(accountId, token.label, 'retries');
      attempts += 1;
      try {
        const body = await this.breaker.run(() => this.send<T>(url, params, token, opts, accountId, path), opts.signal);
        return { body, token };
      } catch (err) {
        if (!(err instanceof AttemptFailure)) throw err;
        const { classified, regainSeconds } = err;
        const { error } = classified;
        if (classified.failure === 'token_dead') {
          if (this.onTokenDead(token, error, opts.tokens)) continue;
          this.count(accountId, token.label, 'errors');
          throw this.noTokenError(opts.tokens, path, accountId, error);
        }
        if (classified.failure === 'throttle') this.count(accountId, token.label, 'throttles');
        if (error.kind === 'permission' || classified.failure === 'blocked') {
          // Candidates all claim access; one may have lost its role on the object while another still has
          // it, and a policy block (368) is on the person behind one token, not on the others.
          deniedTo.add(token.label);
          const other = opts.tokens.find((t) => !this.dead.has(t.label) && !deniedTo.has(t.label));
          if (other) {
            this.log.warn(`token "${token.label}" was refused access; trying token "${other.label}"`, { reason: error.message, account_id: accountId });
            continue;
          }
        }
        // Handed back to a caller that asks for less instead: not a failed call, so not counted as one.
        if (classified.failure === 'reduce_data' && opts.shrinkable) throw error;
        if (!classified.retry) {
          this.count(accountId, token.label, 'errors');
          throw error;
        }
        if (classified.failure === 'throttle') {
          const next = this.onThrottle(classified, regainSeconds, failures + 1, token, opts.tokens, deniedTo, accountId, path);
          if (next === 'rotate') continue;
          failures += 1;
          if (failures > this.config.max_retries) {
            this.count(accountId, token.label, 'errors');
            throw error;
          }
          this.log.warn(`Graph call throttled; retry ${failures}/${this.config.max_retries} in ${seconds(next.waitMs)}`, { reason: error.message, wait_ms: Math.round(next.waitMs), account_id: accountId, token_label: token.label });
          continue; // the pacer makes this (and every other worker on the budget) wait
        }
        failures += 1;
        if (failures > this.config.max_retries) {
          this.count(accountId, token.label, 'errors');
          throw retriesExhausted(classified);
        }
        const waitMs = Math.min(this.maxThrottleWaitMs, Math.max(this.backoffMs(failures), (regainSeconds ?? 0) * 1000));
        this.log.warn(`Graph call failed; retry ${failures}/${this.config.max_retries} in ${seconds(waitMs)}`, { reason: error.message, wait_ms: Math.round(waitMs), account_id: accountId, token_label: token.label });
        await this.abortable(this.sleep(waitMs), opts.signal);
      }
    }
  }

  /**
   * One item of a batch answer, decided as the attempt loop (callWith) decides a plain answer: its
   * final answer, a plain retry on its own (with these tokens), or another try in the next batch
   * (`failed`: counts against max_retries; `waitMs`: backoff before it).
   */
  private itemAnswer<T>(res: ItemResponse, req: BatchRequest, token: TokenRef, candidates: TokenRef[], accountId: string | undefined, failuresSoFar: number): { answer: BatchAnswer<T> } | { alone: TokenRef[] } | { shrink: true } | { failed: boolean; waitMs: number } {
    const path = this.redactor.redact(stripAuth(req.path.replace(/^\/+/, '')));
    try {
      // Items carry no Date header (only the batch answer does, and that went to onAnswer already).
      const body = this.interpret<T>(res, token, undefined, accountId, path);
      this.breaker.record();
      return { answer: { ok: true, body } };
    } catch (err) {
      if (!(err instanceof AttemptFailure)) throw err;
      // A failing item (5xx, throttle) counts toward the circuit breaker as a failing plain call does.
      this.breaker.record(err);
      const { classified, regainSeconds } = err;
      const { error } = classified;
      // Items go out with the batch's token: dead for one, dead for all; the next batch picks another
      // living token, or fails as a plain call would when none is left.
      if (classified.failure === 'token_dead') {
        this.onTokenDead(token, error, candidates);
        return { failed: false, waitMs: 0 };
      }
      if (classified.failure === 'throttle') this.count(accountId, token.label, 'throttles');
      if (error.kind === 'permission' || classified.failure === 'blocked') {
        const others = candidates.filter((t) => t.label !== token.label && !this.dead.has(t.label));
        if (others.length > 0) return { alone: others };
      }
      // "Reduce the amount of data" (code 1): sent again in a smaller batch, not as it was.
      if (classified.failure === 'reduce_data' && classified.retry) return { shrink: true };
      const failures = failuresSoFar + 1;
      const final = (e: ConnectorError): { answer: BatchAnswer<T> } => {
        this.count(accountId, token.label, 'errors');
        return { answer: { ok: false, error: e } };
      };
      if (!classified.retry) return final(error);
      if (classified.failure === 'throttle') {
        const next = this.onThrottle(classified, regainSeconds, failures, token, candidates, new Set(), accountId, path);
        if (next === 'rotate') return { failed: false, waitMs: 0 };
        // The pacer holds the next batch until the budget frees up, as it holds a plain retry.
        return failures > this.config.max_retries ? final(error) : { failed: true, waitMs: 0 };
      }
      if (failures > this.config.max_retries) return final(retriesExhausted(classified));
      return { failed: true, waitMs: Math.min(this.maxThrottleWaitMs, Math.max(this.backoffMs(failures), (regainSeconds ?? 0) * 1000)) };
    }
  }

  /** The failure a batch item Meta did not process (null) stands for: the plain call timing out. */
  private itemTimeout(req: BatchRequest, token: TokenRef, accountId: string | undefined): AttemptFailure {
    const path = this.redactor.redact(stripAuth(req.path.replace(/^\/+/, '')));
    return new AttemptFailure(classifyNetworkError({ code: undefined, timedOut: true, path, accountId, tokenLabel: token.label, timeoutSeconds: this.config.request_timeout_seconds }), undefined);
  }

  /** Graph calls an account spent in this run as Meta counts them: each batch item is one. */
  private spent(accountId: string): number {
    return (this.byAccount.get(accountId)?.api_calls ?? 0) + (this.batchedExtra.get(accountId) ?? 0);
  }

  /** Marks a token dead for the run (190); true when another candidate can take over. */
  private onTokenDead(token: TokenRef, error: ConnectorError, candidates: TokenRef[]): boolean {
    const first = !this.dead.has(token.label);
    this.dead.set(token.label, error.message);
    const others = candidates.filter((t) => !this.dead.has(t.label)).map((t) => t.label);
    // Calls in flight with the same token die too; one warning per token is enough.
    if (first) {
      this.log.warn(`token "${token.label}" was rejected by Meta and is not used again in this run`, {
        token_label: token.label,
        graph_code: error.context['graph_code'],
        graph_subcode: error.context['graph_subcode'],
        next_token: others[0],
        hint: error.hint,
      });
    }
    return others.length > 0;
  }

  /**
   * Where a throttle's wait goes. A user-level throttle ('token', code 17/32) parks the token and,
   * when another candidate is free, the call moves on at once ('rotate'). An app-level one (code 4)
   * is the budget every token of the app shares: the whole client pauses. An ad-account one
   * (17/2446079, 613, 80000–80014) pauses that account only, whichever token reads it. A wait beyond
   * maxThrottleWaitMs is not slept through: ThrottledError tells the orchestrator to re-run later.
   */
  private onThrottle(classified: Classified, regainSeconds: number | undefined, attempt: number, token: TokenRef, candidates: TokenRef[], deniedTo: Set<string>, accountId: string | undefined, path: string): 'rotate' | { waitMs: number } {
    const regainMs = (regainSeconds ?? 0) * 1000;
    const waitMs = Math.max(this.backoffMs(attempt), regainMs);
    const until = this.now() + waitMs;
    if (classified.scope === 'token') {
      this.pacer.blockToken(token.label, until);
      const fresh = candidates.find((t) => !this.dead.has(t.label) && !deniedTo.has(t.label) && t.label !== token.label && this.pacer.tokenFreeAt(t.label) <= this.now());
      if (fresh) {
        this.log.warn(`token "${token.label}" is throttled; continuing with token "${fresh.label}"`, { reason: classified.error.message, account_id: accountId });
        return 'rotate';
      }
    }
    if (regainMs > this.maxThrottleWaitMs) {
      this.count(accountId, token.label, 'errors');
      throw this.tooLongError(regainMs, path, accountId, token.label, classified.error);
    }
    if (classified.scope === 'app') {
      this.pacer.blockApp(until);
      this.log.warn(`the app's rate limit is reached: every Graph call pauses for ${seconds(waitMs)}`, { reason: classified.error.message, wait_ms: Math.round(waitMs), account_id: accountId });
    } else if (classified.scope !== 'token') {
      if (accountId) this.pacer.blockAccount(accountId, until);
      else this.pacer.blockToken(token.label, until);
    }
    return { waitMs };
  }

  /** One HTTP attempt: resolves with the parsed body or throws AttemptFailure. */
  private async send<T>(url: URL, params: Record<string, string>, token: TokenRef, opts: GraphCallOptions, accountId: string | undefined, path: string): Promise<T> {
    const auth: Record<string, string> = { access_token: token.token };
    const proof = this.proofFor(token.token);
    if (proof) auth['appsecret_proof'] = proof;
    const method = opts.method ?? 'GET';
    const target = new URL(url);
    for (const [k, v] of Object.entries(auth)) target.searchParams.set(k, v);
    if (method === 'GET') for (const [k, v] of Object.entries(params)) target.searchParams.set(k, v);
    this.count(accountId, token.label, 'api_calls');
    let res: HttpAnswer;
    const started = Date.now();
    try {
      res = await this.inflight(() =>
        httpRequest({
          url: target,
          method,
          timeoutMs: this.config.request_timeout_seconds * 1000,
          headers: method === 'POST' ? { ...this.headers, 'Content-Type': 'application/x-www-form-urlencoded' } : this.headers,
          ...(method === 'POST' ? { body: new URLSearchParams(params).toString() } : {}),
          ...(opts.signal ? { signal: opts.signal } : {}),
        }),
      );
    } catch (err) {
      if (opts.signal?.aborted) throw opts.signal.reason ?? err;
      const code = err instanceof HttpFailure ? err.code : (err as NodeJS.ErrnoException).code;
      const timedOut = err instanceof HttpFailure ? err.timedOut : code === 'ETIMEDOUT';
      throw new AttemptFailure(classifyNetworkError({ code, timedOut, path, accountId, tokenLabel: token.label, timeoutSeconds: this.config.request_timeout_seconds }), undefined);
    }
    this.log.debug('graph call', { method, path, http_status: res.status, ms: Date.now() - started, account_id: accountId, token_label: token.label });
    return this.interpret<T>(res, token, opts.onAnswer, accountId, path);
  }

  /**
   * Reads one answer (an HTTP answer, or one item of a batch answer, which stands for one): its usage
   * headers go to the pacer; it resolves with the parsed body or throws AttemptFailure.
   */
  private interpret<T>(res: { status: number; headers: Record<string, unknown>; body: string }, token: TokenRef, onAnswer: GraphCallOptions['onAnswer'], accountId: string | undefined, path: string): T {
    let body: unknown;
    let parsed = true;
    try {
      // An empty 2xx body is no answer at all (a proxy that dropped it), not an empty result.
      if (res.body === '' && res.status >= 200 && res.status < 300) parsed = false;
      else body = res.body === '' ? undefined : JSON.parse(res.body);
    } catch {
      parsed = false;
    }
    const errorBody = parsed && body && typeof body === 'object' && 'error' in body ? this.cleanErrorBody((body as { error: unknown }).error) : undefined;
    const success = res.status >= 200 && res.status < 300 && parsed && !errorBody;
    const reading = parseUsageHeaders(res.headers, accountId);
    this.pacer.observe(reading, accountId, success);
    if (success) {
      const date = res.headers['date'];
      const served = typeof date === 'string' ? Date.parse(date) : NaN;
      onAnswer?.(Number.isFinite(served) ? new Date(served) : undefined);
      return body as T;
    }
    // Graph signals waits in usage headers (a full ad-account budget at least for its reset window);
    // a proxy or load balancer in front may use Retry-After instead.
    const retryAfter = Number(res.headers['retry-after']);
    const fullAccount = accountId !== undefined && (reading.accountPct.get(accountId) ?? 0) >= 100 ? reading.resetSeconds : undefined;
    const regain = maxDefined(regainSecondsFor(reading, accountId) ?? fullAccount, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined);
    if (res.status >= 200 && res.status < 300 && !parsed) {
      // PYSDK treats a 2xx non-JSON body ("Service Unavailable") as a failure; so do we, as transient.
      const classified = classifyGraphError({ status: 503, body: undefined, path, accountId, tokenLabel: token.label });
      throw new AttemptFailure(classified, regain);
    }
    const classified = classifyGraphError({ status: res.status, body: errorBody, path, accountId, tokenLabel: token.label, retryAfterSeconds: regain });
    throw new AttemptFailure(classified, regain);
  }

  /** Keeps the error fields we use, with any secret masked (Meta echoes inputs in some messages). */
  private cleanErrorBody(raw: unknown): GraphErrorBody {
    const e = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
    const out: GraphErrorBody = {};
    const n = (v: unknown): number | undefined => (typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : undefined);
    const s = (v: unknown): string | undefined => (typeof v === 'string' ? this.redactor.redact(v) : undefined);
    const code = n(e['code']);
    const sub = n(e['error_subcode']);
    if (code !== undefined) out.code = code;
    if (sub !== undefined) out.error_subcode = sub;
    const m = s(e['message']);
    if (m !== undefined) out.message = m;
    const um = s(e['error_user_msg']);
    if (um !== undefined) out.error_user_msg = um;
    const ut = s(e['error_user_title']);
    if (ut !== undefined) out.error_user_title = ut;
    const ty = s(e['type']);
    if (ty !== undefined) out.type = ty;
    const tr = s(e['fbtrace_id']);
    if (tr !== undefined) out.fbtrace_id = tr;
    if (typeof e['is_transient'] === 'boolean') out.is_transient = e['is_transient'];
    return out;
  }

  private noTokenError(candidates: TokenRef[], path: string, accountId: string | undefined, last?: ConnectorError): AuthError {
    const labels = candidates.map((t) => t.label);
    const what = labels.length === 0 ? 'no token was given' : `every token that can reach it was rejected (${labels.map((l) => `"${l}"`).join(', ')})`;
    const why = last ? ` (last: ${String(last.context['graph_code'] ?? '')}${last.context['graph_subcode'] !== undefined ? `/${String(last.context['graph_subcode'])}` : ''})` : '';
    return new AuthError(`Graph API call on ${path}${accountId ? ` for ad account ${accountId}` : ''} cannot be made: ${what}${why}`, {
      hint: last?.hint ?? 'Issue a new token with ads_read (best: a non-expiring system-user token) and put it into config.access_token(s).',
      context: { ...(last?.context ?? {}), path, account_id: accountId, dead_tokens: labels.filter((l) => this.dead.has(l)) },
    });
  }

  private tooLongError(waitMs: number, path: string, accountId: string | undefined, label: string, last?: ConnectorError): ThrottledError {
    const seconds = Math.ceil(waitMs / 1000);
    return new ThrottledError(`Graph API rate limit: Meta asks to wait ${Math.ceil(seconds / 60)} min before calling ${path}${accountId ? ` for ad account ${accountId}` : ''} again`, {
      hint: 'Re-run after the wait (exit code 7 means "retry later"); to raise the budget request Advanced (Full) Access for the app, lower max_concurrency, or stagger schedules of tools sharing the app.',
      context: { ...(last?.context ?? {}), path, account_id: accountId, token_label: label, retry_after_seconds: seconds },
      retryAfterSeconds: seconds,
    });
  }

  private async abortable(p: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
    if (!signal) return p;
    if (signal.aborted) throw signal.reason;
    await Promise.race([p, new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true }))]);
  }
}
