// Observability: what the sandbox served, so tests and benchmarks can assert on call counts,
// throttles, errors and bytes (GET /__sandbox/stats).

export interface SandboxStats {
  /** HTTP requests to the Graph surface (control endpoints excluded). */
  requests: number;
  /** Graph calls: top-level requests plus batch sub-requests. */
  calls: number;
  batches: number;
  byEndpoint: Record<string, number>;
  byToken: Record<string, number>;
  byAccount: Record<string, number>;
  throttles: number;
  throttlesByCode: Record<string, number>;
  errors: number;
  errorsByCode: Record<string, number>;
  bytesOut: number;
  jobsCreated: number;
  faultsFired: Record<string, number>;
  /** The last REJECTED_KEEP error answers with their request (token and proof left out): what a client got refused. */
  rejected: RejectedCall[];
}

export interface RejectedCall {
  method: string;
  /** Path without version, e.g. '/act_1/insights'. */
  path: string;
  version: string;
  params: Record<string, string>;
  status: number;
  code: number;
  subcode?: number;
  message: string;
}

/** Bounded so a long bench run cannot grow the sandbox without end. */
export const REJECTED_KEEP = 1000;

export function emptyStats(): SandboxStats {
  return { requests: 0, calls: 0, batches: 0, byEndpoint: {}, byToken: {}, byAccount: {}, throttles: 0, throttlesByCode: {}, errors: 0, errorsByCode: {}, bytesOut: 0, jobsCreated: 0, faultsFired: {}, rejected: [] };
}

export function bump(m: Record<string, number>, k: string, n = 1): void {
  m[k] = (m[k] ?? 0) + n;
}

/** 'GET /act_123/campaigns' → 'GET /act_{id}/campaigns'; numeric ids → {id}. */
export function endpointPattern(method: string, path: string): string {
  const p = path === '' ? '/' : path.replace(/\/act_\d+/g, '/act_{id}').replace(/\/\d+(?=\/|$)/g, '/{id}');
  return `${method} ${p}`;
}

export const THROTTLE_CODES = new Set([4, 17, 32, 613, ...Array.from({ length: 15 }, (_, i) => 80000 + i)]);
