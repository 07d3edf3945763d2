// Plain HTTP helpers for the sandbox tests: node fetch only, no tap code.
export interface Res {
  status: number;
  text: string;
  headers: Headers;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- test assertions walk arbitrary Graph JSON
}

export async function http(url: string, init: RequestInit = {}): Promise<Res> {
  const r = await fetch(url, init);
  const text = await r.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: r.status, text, headers: r.headers, json };
}

/** GET baseUrl/v25.0/<path> with the token as query parameter. */
export function graphGet(baseUrl: string, path: string, token: string, params: Record<string, string> = {}): Promise<Res> {
  const qs = new URLSearchParams({ ...params, access_token: token });
  return http(`${baseUrl}/v25.0${path}?${qs.toString()}`);
}

export function graphPost(baseUrl: string, path: string, token: string, form: Record<string, string> = {}): Promise<Res> {
  return http(`${baseUrl}/v25.0${path}?access_token=${encodeURIComponent(token)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
}

/** Follows paging.next verbatim (as the Node SDK does) and returns every row. */
export async function followAll(first: Res, max = 1000): Promise<{ rows: Array<Res['json']>; pages: number }> {
  const rows: Array<Res['json']> = [...first.json.data];
  let res = first;
  let pages = 1;
  while (res.json?.paging?.next && pages < max) {
    res = await http(res.json.paging.next);
    if (res.status !== 200) throw new Error(`page ${pages + 1} failed: ${res.text}`);
    rows.push(...res.json.data);
    pages++;
  }
  return { rows, pages };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The agency token of a running sandbox and the first ad account it reaches (most sandbox tests read these). */
export function agencyOf(sb: { tokens: ReadonlyArray<{ label: string; token: string; userId: string }>; world: { users: ReadonlyArray<{ id: string; accountIds: readonly string[] }> } }): { token: string; acct: string } {
  const t = sb.tokens.find((x) => x.label === 'agency')!;
  return { token: t.token, acct: sb.world.users.find((u) => u.id === t.userId)!.accountIds[0]! };
}
