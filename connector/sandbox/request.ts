// The request/response model every route works on, independent of HTTP so that batch
// sub-requests (facts §8) go through exactly the same code as top-level calls.

export interface GraphRequest {
  method: 'GET' | 'POST' | 'DELETE';
  /** Served version, e.g. 'v25.0' (echoed in `facebook-api-version`, facts §1.1). */
  version: string;
  versionInPath: boolean;
  /** Path without version and without trailing slash: '/act_1/campaigns', '' for the root. */
  path: string;
  /** Query then body parameters (body wins), token excluded from nothing. */
  params: Map<string, string>;
  /** Query parameters in arrival order: `paging.next` is rebuilt from them (facts §6). */
  query: Array<[string, string]>;
  token: string | undefined;
  /** 'http://127.0.0.1:PORT' — paging links point back at the sandbox itself. */
  origin: string;
  batched: boolean;
  /** set when a delayed (timeout-with-delay) call is finally answered */
  skipFaults?: boolean;
}

export interface GraphResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Outcomes that are not a response at all (faults `timeout` and `reset`). */
export type Outcome = GraphResponse | { kind: 'reset' } | { kind: 'hang'; delayMs: number | null };

export function isResponse(o: Outcome): o is GraphResponse {
  return (o as GraphResponse).status !== undefined;
}

/** Lists arrive as JSON arrays (PYSDK) or comma-separated strings (facts §1.3, §10.11). */
export function parseList(raw: string | undefined): string[] | null {
  if (raw === undefined) return null;
  const t = raw.trim();
  if (t.startsWith('[')) {
    try {
      const v: unknown = JSON.parse(t);
      if (Array.isArray(v)) return v.map((x) => String(x));
    } catch {
      /* fall through to comma list */
    }
  }
  return t === ''
    ? []
    : t
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
}
