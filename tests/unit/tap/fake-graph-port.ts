// An in-memory stand-in for the tap's GraphPort (connector/tap/graph-port.ts): edges and objects are
// rows a test lays out, every call is recorded with its path and params, and a path can be made to
// fail with a ConnectorError. It lets runSync's orchestration be tested in-process, without HTTP or a
// spawned tap; what Graph really accepts is held by the sandbox tests, not here.
import { ConnectorError } from '../../../connector/core/errors.js';
import type { BatchAnswer, BatchRequest, CallStats, GraphCall, GraphPort } from '../../../connector/tap/graph-port.js';

/** requestBatch for a fake: each request answered by the fake's own request(), a ConnectorError kept as that request's answer. */
export function eachRequest<T>(port: Pick<GraphPort, 'request'>, requests: readonly BatchRequest[], opts: GraphCall): Promise<Array<BatchAnswer<T>>> {
  return Promise.all(
    requests.map(async (r): Promise<BatchAnswer<T>> => {
      try {
        return { ok: true, body: await port.request<T>(r.path, { ...opts, params: r.params ?? {} }) };
      } catch (err) {
        if (err instanceof ConnectorError) return { ok: false, error: err };
        throw err;
      }
    }),
  );
}

export interface FakeCall {
  path: string;
  params: Record<string, unknown>;
  accountId: string | undefined;
}

export class FakeGraphPort implements GraphPort {
  readonly calls: FakeCall[] = [];
  /** path → rows of an edge (paginate). */
  readonly edges = new Map<string, Array<Record<string, unknown>>>();
  /** path → one object (request). */
  readonly objects = new Map<string, Record<string, unknown>>();
  /** path → the error every call to it throws. */
  readonly failures = new Map<string, ConnectorError>();

  private record(path: string, opts: GraphCall): void {
    this.calls.push({ path, params: opts.params ?? {}, accountId: opts.accountId ?? /^act_(\d+)/.exec(path)?.[1] });
    const failure = this.failures.get(path);
    if (failure) throw failure;
  }

  request<T = unknown>(path: string, opts: GraphCall): Promise<T> {
    try {
      this.record(path, opts);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    const o = this.objects.get(path);
    if (!o) return Promise.reject(new Error(`fake graph: no object at ${path}`));
    return Promise.resolve(structuredClone(o) as T);
  }

  requestBatch<T = unknown>(requests: readonly BatchRequest[], opts: GraphCall): Promise<Array<BatchAnswer<T>>> {
    return eachRequest<T>(this, requests, opts);
  }

  async *paginate<T = Record<string, unknown>>(path: string, opts: GraphCall): AsyncGenerator<T> {
    this.record(path, opts);
    const rows = this.edges.get(path);
    if (!rows) throw new Error(`fake graph: no edge at ${path}`);
    for (const r of rows) yield structuredClone(r) as T;
  }

  statsFor(accountId: string): CallStats {
    return { api_calls: this.calls.filter((c) => c.accountId === accountId).length, throttles: 0, retries: 0, errors: 0 };
  }

  totals(): CallStats & { by_token: Record<string, CallStats> } {
    return { api_calls: this.calls.length, throttles: 0, retries: 0, errors: 0, by_token: {} };
  }

  deadTokens(): string[] {
    return [];
  }

  holdAfterThrottle(): number {
    return 0;
  }

  /** Paths called, in order, without the ones discovery makes under `me`. */
  accountPaths(): string[] {
    return this.calls.map((c) => c.path).filter((p) => !p.startsWith('me'));
  }
}

/**
 * A token's user reaching the given ad accounts directly (me/adaccounts) and nothing else: no
 * businesses, pages, pixels or catalogs.
 */
export function fakeWithAccounts(accounts: Array<{ account_id: string; name: string; currency: string; timezone_name: string }>): FakeGraphPort {
  const g = new FakeGraphPort();
  g.objects.set('me', { id: '100', name: 'system user' });
  for (const p of ['me/businesses', 'me/assigned_ad_accounts', 'me/assigned_pages', 'me/assigned_product_catalogs']) g.edges.set(p, []);
  g.edges.set(
    'me/adaccounts',
    accounts.map((a) => ({ ...a, id: `act_${a.account_id}`, account_status: 1 })),
  );
  return g;
}
