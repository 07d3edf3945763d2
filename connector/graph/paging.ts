// Request encoding and cursor paging for Graph edges: parameters are encoded like the official SDKs
// (lists/objects as compact JSON), and a page's `paging.next` absolute URL is the only "more data" signal
// (facts §6: pages can be short or even empty while more follow).

/** Query/form parameters whose value authenticates the call; stripped from anything we keep or show. */
export const AUTH_PARAMS = ['access_token', 'appsecret_proof'] as const;

/**
 * Encodes one parameter value. Strings and numbers go as they are; booleans, arrays and objects as
 * compact JSON (what PYSDK `_top_level_param_json_encode` sends, facts §1.3); null/undefined are dropped.
 */
export function encodeParam(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

export function encodeParams(params: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(params ?? {})) {
    const enc = encodeParam(v);
    if (enc !== undefined) out[k] = enc;
  }
  return out;
}

/** `${base}/${version}/${path}` without doubled slashes; `path` is relative ('act_1/ads', 'me'). */
export function graphUrl(baseUrl: string, version: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/${version}/${path.replace(/^\/+/, '')}`;
}

/**
 * Turns a `paging.next` URL into the URL we request next: its path and query (minus credentials,
 * which we add per attempt so token rotation works) on the configured host. Rebasing onto our own
 * origin means a token is only ever sent to the host the user configured.
 */
export function nextPageUrl(next: string, baseUrl: string): URL {
  const parsed = new URL(next, baseUrl);
  const base = new URL(baseUrl);
  // A base with a path prefix (a proxy in front of Graph) keeps it when Meta's own host is named.
  const prefix = base.pathname.replace(/\/+$/, '');
  const pathname = parsed.origin === base.origin || prefix === '' ? parsed.pathname : `${prefix}${parsed.pathname}`;
  const url = new URL(pathname + parsed.search, base.origin);
  for (const p of AUTH_PARAMS) url.searchParams.delete(p);
  return url;
}

/** The bare ad account id a path is about (`act_123/insights` → `123`), if any. */
export function accountOfPath(path: string): string | undefined {
  return /(?:^|\/)act_(\d+)(?:[/?]|$)/.exec(path)?.[1];
}

/** A URL or path safe to show: credentials removed (the Redactor also masks them by shape). */
export function stripAuth(urlOrPath: string): string {
  const q = urlOrPath.indexOf('?');
  if (q < 0) return urlOrPath;
  const params = new URLSearchParams(urlOrPath.slice(q + 1));
  for (const p of AUTH_PARAMS) params.delete(p);
  params.delete('input_token');
  const rest = params.toString();
  return rest ? `${urlOrPath.slice(0, q)}?${rest}` : urlOrPath.slice(0, q);
}

/** The shape of an edge page (facts §6). */
export interface GraphPage<T> {
  data?: T[];
  paging?: { cursors?: { before?: string; after?: string }; next?: string; previous?: string };
}

export function isPage(body: unknown): body is GraphPage<unknown> {
  return typeof body === 'object' && body !== null && Array.isArray((body as GraphPage<unknown>).data);
}

/**
 * Empty pages in a row after which a listing ends although each carries a `next`. Meta documents an
 * empty page with `next` as legal ("a page may be empty but contain a next paging link": privacy
 * filtering removed all of its `limit` rows), so one empty page never ends an edge; but Graph has also
 * answered `{"data": [], "paging": {"cursors": {"after": …}, "next": …}}` with a new cursor forever
 * (restfb/restfb#916, Meta bug 482984005516645), which ran a reader until its call budget. Meta's own
 * SDK cursor ends at the first empty page (facebook-python-business-sdk api.py Cursor.load_next_page
 * returns `len(self._queue) > 0`, so __next__ stops), which cuts off a listing that goes on after one.
 * Ten in a row means ten full pages filtered out at once: past that we take it as the endless answer,
 * at a cost of ten calls instead of max_api_calls_per_account.
 */
export const MAX_EMPTY_PAGES_IN_A_ROW = 10;

/** Absent, empty and non-string `next` all mean the edge is exhausted. */
export function nextLink(page: GraphPage<unknown>): string | undefined {
  const next = page.paging?.next;
  return typeof next === 'string' && next.length > 0 ? next : undefined;
}
