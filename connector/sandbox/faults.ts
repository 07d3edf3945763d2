// Scriptable fault injection (from tests, over HTTP, from the CLI). Each spec matches requests by
// optional path/method/token/account, can skip the first `after` matches and fire `times` times.
// Kinds and the errors they produce follow facts §5.1, §7.4 and §10.12.

import { documentedError } from './documented-errors.js';
import { asyncFailure } from './errors.js';

export type FaultKind =
  | 'throttle'
  | 'http_500'
  | 'http_503'
  | 'timeout'
  | 'reset'
  | 'reduce_data'
  | 'token_expired'
  | 'account_forbidden'
  | 'page_permission'
  | 'object_error'
  | 'job_failed'
  | 'job_stall'
  | 'job_premature'
  | 'graph_error'
  | 'proxy_html'
  | 'truncated_json'
  | 'paging_repeat'
  | 'paging_past_end'
  | 'multi_day_row';

export const FAULT_KINDS: readonly FaultKind[] = [
  'throttle',
  'http_500',
  'http_503',
  'timeout',
  'reset',
  'reduce_data',
  'token_expired',
  'account_forbidden',
  'page_permission',
  'object_error',
  'job_failed',
  'job_stall',
  'job_premature',
  'graph_error',
  'proxy_html',
  'truncated_json',
  'paging_repeat',
  'paging_past_end',
  'multi_day_row',
];

export interface FaultSpec {
  kind: FaultKind;
  /** RegExp, or a string used as a regular-expression source, tested on the path without version ('/act_1/insights'). */
  path?: RegExp | string;
  method?: string;
  /** token label */
  token?: string;
  /** bare or act_-prefixed account id */
  accountId?: string;
  /** fire this many times, then stop matching (default: forever) */
  times?: number;
  /** let the first n matching requests through */
  after?: number;
  /**
   * throttle: 4 | 17 | 32 | 613 | 80000..80014 (default 80000); account_forbidden: 200 | 10 (default 200);
   * job_failed: the run's error_code (a documented async failure, default -2)
   */
  code?: number;
  /** throttle: error_subcode; token_expired: 458 | 460 | 463 (default) | 467; object_error: default 2446289; job_failed: error_subcode */
  subcode?: number;
  /** reduce_data: fire only when the request's `limit` is above this (facts §10.12: too big a page) */
  maxLimit?: number;
  /** reduce_data: fire only on a Batch API call holding more than this many requests (the batch answer as a whole is too big) */
  maxBatch?: number;
  /** throttle: estimated_time_to_regain_access in minutes (default 5) */
  regainMinutes?: number;
  /** job_stall: percent the job stays at (default 0) */
  percent?: number;
  /** job_premature: polls answered 'Job Running' at 100 % before completing (default 2) */
  polls?: number;
  /** timeout: answer after this delay instead of never */
  delayMs?: number;
  /** graph_error: the documented answer to serve, by name (documented-errors.ts, e.g. "error_368") */
  name?: string;
  /** proxy_html: the gateway's HTTP status (default 502) */
  status?: number;
}

export interface FaultTarget {
  method: string;
  path: string;
  tokenLabel: string | null;
  accountId: string | null;
  /** the request's `limit` parameter, if any */
  limit?: number | null;
  /** a Batch API call: how many requests it holds */
  batchSize?: number | null;
}

interface Entry {
  id: number;
  spec: FaultSpec;
  re: RegExp | null;
  seen: number;
  fired: number;
}

/** Kinds evaluated when an async report run is created rather than on a request. */
export const JOB_KINDS: ReadonlySet<FaultKind> = new Set(['job_failed', 'job_stall', 'job_premature']);

export class Faults {
  private entries: Entry[] = [];
  private nextId = 1;
  /** Token labels killed by a `token_expired` fault ("from now on") → the 190 subcode to answer. */
  readonly expiredLabels = new Map<string, number>();
  readonly firedByKind: Record<string, number> = {};

  add(spec: FaultSpec): number {
    if (!FAULT_KINDS.includes(spec.kind)) throw new Error(`unknown fault kind "${String(spec.kind)}" (one of ${FAULT_KINDS.join(', ')})`);
    if (spec.kind === 'job_failed') asyncFailure(spec.code, spec.subcode); // throws on a pair Meta does not document
    if (spec.kind === 'graph_error') documentedError(spec.name ?? '', '0'); // throws on a name with no documented answer
    const re = spec.path === undefined ? null : spec.path instanceof RegExp ? spec.path : new RegExp(spec.path);
    const id = this.nextId++;
    this.entries.push({ id, spec: { ...spec }, re, seen: 0, fired: 0 });
    return id;
  }

  clear(): void {
    this.entries = [];
    this.expiredLabels.clear();
  }

  list(): Array<FaultSpec & { id: number; fired: number }> {
    return this.entries.map((e) => ({ ...e.spec, path: e.re?.source ?? undefined, id: e.id, fired: e.fired }) as FaultSpec & { id: number; fired: number });
  }

  /**
   * The first matching fault of the given kinds for this target, counted as fired. `stage`
   * 'request' ignores specs that name an account (they are evaluated once the account is known).
   */
  match(t: FaultTarget, kinds: ReadonlySet<FaultKind> | null, stage: 'request' | 'account' | 'job'): FaultSpec | null {
    for (const e of this.entries) {
      const s = e.spec;
      if (kinds && !kinds.has(s.kind)) continue;
      if (!kinds && JOB_KINDS.has(s.kind)) continue;
      if (stage === 'request' && s.accountId !== undefined) continue;
      if (stage === 'account' && s.accountId === undefined) continue;
      if (s.accountId !== undefined && bare(s.accountId) !== (t.accountId === null ? null : bare(t.accountId))) continue;
      if (s.method !== undefined && s.method.toUpperCase() !== t.method) continue;
      if (s.token !== undefined && s.token !== t.tokenLabel) continue;
      if (e.re && !e.re.test(t.path)) continue;
      if (s.maxLimit !== undefined && !(t.limit !== undefined && t.limit !== null && t.limit > s.maxLimit)) continue;
      if (s.maxBatch !== undefined && !(t.batchSize !== undefined && t.batchSize !== null && t.batchSize > s.maxBatch)) continue;
      if (s.times !== undefined && e.fired >= s.times) continue;
      e.seen++;
      if (s.after !== undefined && e.seen <= s.after) continue;
      e.fired++;
      this.firedByKind[s.kind] = (this.firedByKind[s.kind] ?? 0) + 1;
      return s;
    }
    return null;
  }
}

function bare(id: string): string {
  return id.startsWith('act_') ? id.slice(4) : id;
}

/** Fault specs arriving as JSON (HTTP control endpoint, CLI --fault). */
export function parseFaultSpec(input: unknown): FaultSpec {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) throw new Error('a fault spec must be a JSON object like {"kind":"throttle"}');
  const o = input as Record<string, unknown>;
  if (typeof o['kind'] !== 'string' || !FAULT_KINDS.includes(o['kind'] as FaultKind)) throw new Error(`fault "kind" must be one of ${FAULT_KINDS.join(', ')}`);
  const spec: FaultSpec = { kind: o['kind'] as FaultKind };
  for (const k of ['path', 'method', 'token', 'accountId', 'name'] as const) {
    if (o[k] !== undefined) {
      if (typeof o[k] !== 'string') throw new Error(`fault "${k}" must be a string`);
      spec[k] = o[k] as string;
    }
  }
  for (const k of ['times', 'after', 'code', 'subcode', 'maxLimit', 'maxBatch', 'regainMinutes', 'percent', 'polls', 'delayMs', 'status'] as const) {
    if (o[k] !== undefined) {
      if (typeof o[k] !== 'number') throw new Error(`fault "${k}" must be a number`);
      spec[k] = o[k] as number;
    }
  }
  return spec;
}
