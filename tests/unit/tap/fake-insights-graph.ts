// An in-memory stand-in for the Graph client (the tap's GraphPort) for in-process tests of insights
// jobs: one ad account of 10 campaigns × 2 ad sets × 2 ads of which only some deliver, async report
// runs whose fate each test scripts (complete, fail with Meta's async error codes, stay queued, stall),
// the synchronous insights read used to find the children that delivered, and a log of every call.
import type { ThrottleScope } from '../../../connector/graph/errors.js';
import type { BatchAnswer, BatchRequest, CallStats, GraphCall, GraphPort } from '../../../connector/tap/graph-port.js';
import { eachRequest } from './fake-graph-port.js';
import { addDays } from '../../../connector/core/dates.js';

export const ACCOUNT = '1';
export const CAMPAIGNS = Array.from({ length: 10 }, (_, i) => `c${i}`);
const ADSETS = (c: string): string[] => [`${c}-s0`, `${c}-s1`];
const ADS = (s: string): string[] => [`${s}-a0`, `${s}-a1`];
const campaignOf = (id: string): string => id.split('-')[0]!;
const adsetOf = (id: string): string => id.split('-').slice(0, 2).join('-');

export interface RunRequest {
  id: string;
  node: string;
  since: string;
  until: string;
  level: string;
  /** How many runs were created before for the same node and window (0 = the first). */
  previous: number;
}

/** A run's fate: completed; failed (optionally with Meta's error_code/subcode); queued for n polls (Infinity = never leaves); stuck at a percentage. */
export type Fate = { kind: 'complete'; afterPolls?: number } | { kind: 'fail'; code?: number; subcode?: number } | { kind: 'queued'; polls: number } | { kind: 'stall'; percent: number };

export interface Call {
  method: 'GET' | 'POST';
  path: string;
  params: Record<string, unknown>;
}

export class FakeInsightsGraph implements GraphPort {
  readonly calls: Call[] = [];
  readonly runs: RunRequest[] = [];
  readonly holds: Array<{ scope: ThrottleScope | undefined; attempt: number }> = [];
  private readonly polls = new Map<string, number>();
  private readonly fates = new Map<string, Fate>();

  constructor(
    /** Campaigns with delivery (every day, all their ads). */
    readonly delivering: ReadonlySet<string>,
    private readonly fate: (run: RunRequest) => Fate,
  ) {}

  runsOn(node: string): RunRequest[] {
    return this.runs.filter((r) => r.node === node);
  }

  async request<T = unknown>(path: string, opts: GraphCall): Promise<T> {
    const method = opts.method ?? 'GET';
    this.calls.push({ method, path, params: opts.params ?? {} });
    const post = /^(.+)\/insights$/.exec(path);
    if (method === 'POST' && post) {
      const range = opts.params?.['time_range'] as { since: string; until: string };
      const node = post[1]!;
      const previous = this.runs.filter((r) => r.node === node && r.since === range.since && r.until === range.until).length;
      const run: RunRequest = { id: `run${this.runs.length + 1}`, node, since: range.since, until: range.until, level: String(opts.params?.['level']), previous };
      this.runs.push(run);
      this.fates.set(run.id, this.fate(run));
      return { report_run_id: run.id } as T;
    }
    const fate = this.fates.get(path);
    if (!fate) throw new Error(`fake graph: no node ${path}`);
    const n = (this.polls.get(path) ?? 0) + 1;
    this.polls.set(path, n);
    if (fate.kind === 'queued' && n <= fate.polls) return { id: path, async_status: 'Job Not Started', async_percent_completion: 0 } as T;
    if (fate.kind === 'stall') return { id: path, async_status: 'Job Running', async_percent_completion: fate.percent } as T;
    if (fate.kind === 'fail') return { id: path, async_status: 'Job Failed', async_percent_completion: 0, ...(fate.code !== undefined ? { error_code: fate.code, error_subcode: fate.subcode } : {}) } as T;
    if (fate.kind === 'complete' && n <= (fate.afterPolls ?? 1) - 1) return { id: path, async_status: 'Job Running', async_percent_completion: Math.min(99, n * 30) } as T;
    return { id: path, async_status: 'Job Completed', async_percent_completion: 100 } as T;
  }

  requestBatch<T = unknown>(requests: readonly BatchRequest[], opts: GraphCall): Promise<Array<BatchAnswer<T>>> {
    return eachRequest<T>(this, requests, opts);
  }

  async *paginate<T = Record<string, unknown>>(path: string, opts: GraphCall): AsyncGenerator<T> {
    this.calls.push({ method: 'GET', path, params: opts.params ?? {} });
    const result = /^(run\d+)\/insights$/.exec(path);
    if (result) {
      const run = this.runs.find((r) => r.id === result[1])!;
      for (const row of this.rows(run.node, run.level, run.since, run.until)) yield row as T;
      return;
    }
    // A synchronous read: only the ids asked for, one row per object over the whole window.
    const sync = /^(.+)\/insights$/.exec(path)!;
    const range = opts.params?.['time_range'] as { since: string; until: string };
    const level = String(opts.params?.['level']);
    const idField = `${level}_id`;
    const ids = new Set(this.rows(sync[1]!, level, range.since, range.until).map((r) => r[idField]));
    for (const id of ids) yield { [idField]: id, date_start: range.since, date_stop: range.until } as T;
  }

  statsFor(): CallStats {
    return { api_calls: this.calls.length, throttles: 0, retries: 0, errors: 0 };
  }

  deadTokens(): string[] {
    return [];
  }

  holdAfterThrottle(scope: ThrottleScope | undefined, attempt: number): number {
    this.holds.push({ scope, attempt });
    return 1000 * attempt;
  }

  /** Daily rows at `level` of the delivering ads under `node` in the window. */
  rows(node: string, level: string, since: string, until: string): Array<Record<string, string>> {
    const out = new Map<string, Record<string, string>>();
    for (const c of CAMPAIGNS) {
      if (!this.delivering.has(c)) continue;
      for (const s of ADSETS(c)) {
        for (const a of ADS(s)) {
          if (!(node === `act_${ACCOUNT}` || node === c || node === s || node === a)) continue;
          for (let d = since; d <= until; d = addDays(d, 1)) {
            const id = level === 'campaign' ? c : level === 'adset' ? s : level === 'ad' ? a : ACCOUNT;
            const row: Record<string, string> = { account_id: ACCOUNT, account_currency: 'USD', date_start: d, date_stop: d, spend: '1.00', impressions: '10' };
            if (level !== 'account') row['campaign_id'] = campaignOf(id);
            if (level === 'adset' || level === 'ad') row['adset_id'] = adsetOf(id);
            if (level === 'ad') row['ad_id'] = id;
            out.set(`${id}|${d}`, row);
          }
        }
      }
    }
    return [...out.values()];
  }
}
