import { expect } from 'chai';
import { DOCUMENTED_ERROR_NAMES, documentedError } from '../../connector/sandbox/documented-errors.js';
import { startSandbox, type Sandbox } from '../../connector/sandbox/index.js';
import { agencyOf, graphGet, graphPost, http } from './helpers.js';

describe('sandbox: fault injection', () => {
  let sb: Sandbox;
  let token: string;
  let acct: string;
  before(async () => {
    sb = await startSandbox({ world: 'small', seed: 21 });
    ({ token, acct } = agencyOf(sb));
  });
  after(() => sb.close());
  afterEach(() => sb.faults.clear());

  const campaigns = (params: Record<string, string> = {}) => graphGet(sb.baseUrl, `/act_${acct}/campaigns`, token, params);

  it('throttle: serves the chosen code with usage headers at 100 % and a regain estimate, then recovers after `times`', async () => {
    for (const code of [4, 17, 32, 613, 80000, 80004, 80014]) {
      sb.faults.add({ kind: 'throttle', code, times: 1, regainMinutes: 7, path: /\/campaigns$/ });
      const r = await campaigns();
      expect(r.status, String(code)).to.equal(400);
      expect(r.json.error.code).to.equal(code);
      expect(r.json.error.message).to.include(`(#${code})`);
      const buc = JSON.parse(r.headers.get('x-business-use-case-usage')!);
      expect(buc[acct][0]).to.include({ call_count: 100, estimated_time_to_regain_access: 7 });
      expect(JSON.parse(r.headers.get('x-ad-account-usage')!).acc_id_util_pct).to.equal(100);
      expect((await campaigns()).status).to.equal(200);
    }
    expect(sb.stats().throttlesByCode['613']).to.equal(1);
  });

  it('http_500, http_503 and reduce_data answer with the real bodies', async () => {
    sb.faults.add({ kind: 'http_500', times: 1 });
    const a = await campaigns();
    expect(a.status).to.equal(500);
    expect(a.json.error).to.include({ code: 1, message: 'An unknown error occurred' });
    sb.faults.add({ kind: 'http_503', times: 1 });
    const b = await campaigns();
    expect(b.status).to.equal(503);
    expect(b.json.error).to.include({ code: 2, is_transient: true });
    sb.faults.add({ kind: 'reduce_data', times: 1, path: 'insights' });
    expect((await campaigns()).status).to.equal(200);
    const c = await graphGet(sb.baseUrl, `/act_${acct}/insights`, token);
    // HTTP 500, code 1, no subcode, no type (AB unit_tests/test_errors.py; macbre/farerskie-kadry-feed#10).
    expect(c.status).to.equal(500);
    expect(c.json.error).to.include({ code: 1, message: "Please reduce the amount of data you're asking for, then retry your request" });
    expect(c.json.error).to.not.have.any.keys('error_subcode', 'type');
    expect(c.json.error.fbtrace_id).to.be.a('string');
  });

  it('reduce_data with maxLimit: only pages larger than maxLimit are refused', async () => {
    sb.faults.add({ kind: 'reduce_data', maxLimit: 2, path: /\/campaigns$/ });
    const big = await graphGet(sb.baseUrl, `/act_${acct}/campaigns`, token, { limit: '3' });
    expect(big.status).to.equal(500);
    const small = await graphGet(sb.baseUrl, `/act_${acct}/campaigns`, token, { limit: '2' });
    expect(small.status).to.equal(200);
  });

  it('page_permission: 190 without a subcode on HTTP 400, as a valid token lacking a page permission gets it', async () => {
    sb.faults.add({ kind: 'page_permission', times: 1, path: /\/campaigns$/ });
    const r = await campaigns();
    expect(r.status).to.equal(400);
    expect(r.json.error).to.include({ code: 190, type: 'OAuthException' });
    expect(r.json.error).to.not.have.key('error_subcode');
    expect(r.json.error.message).to.include('pages_read_engagement');
    expect((await campaigns()).status, 'the token still works').to.equal(200);
  });

  it('object_error: 100 with an object-level subcode (default 2446289) for the matched object only', async () => {
    sb.faults.add({ kind: 'object_error', path: '^/12345$' });
    const r = await graphGet(sb.baseUrl, '/12345', token);
    expect(r.status).to.equal(400);
    expect(r.json.error).to.include({ code: 100, error_subcode: 2446289 });
    expect((await campaigns()).status).to.equal(200);
  });

  it('after/times: lets the first n matches through and fires only `times` times', async () => {
    sb.faults.add({ kind: 'http_503', after: 2, times: 2 });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await campaigns()).status);
    expect(statuses).to.deep.equal([200, 200, 503, 503, 200, 200]);
  });

  it('timeout: never answers (the client gives up) or answers after delayMs', async () => {
    sb.faults.add({ kind: 'timeout', times: 1 });
    let err: unknown = null;
    try {
      await fetch(`${sb.baseUrl}/v25.0/me?access_token=${token}`, { signal: AbortSignal.timeout(300) });
    } catch (e) {
      err = e;
    }
    expect((err as Error | null)?.name).to.equal('TimeoutError');
    sb.faults.add({ kind: 'timeout', times: 1, delayMs: 150 });
    const t0 = performance.now();
    const r = await graphGet(sb.baseUrl, '/me', token);
    expect(r.status).to.equal(200);
    expect(performance.now() - t0).to.be.greaterThan(140);
  });

  it('reset: destroys the socket mid-request', async () => {
    sb.faults.add({ kind: 'reset', times: 1 });
    let err: unknown = null;
    try {
      await fetch(`${sb.baseUrl}/v25.0/me?access_token=${token}`);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(TypeError);
    expect((await graphGet(sb.baseUrl, '/me', token)).status).to.equal(200);
  });

  it('token_expired: 190/463 for that token from now on, other tokens unaffected, until cleared', async () => {
    sb.faults.add({ kind: 'token_expired', token: 'agency' });
    for (let i = 0; i < 2; i++) expect((await graphGet(sb.baseUrl, '/me', token)).json.error).to.include({ code: 190, error_subcode: 463 });
    expect((await graphGet(sb.baseUrl, '/me', sb.tokens.find((t) => t.label === 'brand')!.token)).status).to.equal(200);
    const dbg = await graphGet(sb.baseUrl, '/debug_token', sb.tokens.find((t) => t.label === 'brand')!.token, { input_token: token });
    expect(dbg.json.data.is_valid).to.equal(false);
    sb.faults.clear();
    expect((await graphGet(sb.baseUrl, '/me', token)).status).to.equal(200);
  });

  it('token_expired with another subcode answers 190/460 (password changed) or 190/458 (app not authorized)', async () => {
    sb.faults.add({ kind: 'token_expired', token: 'agency', subcode: 460 });
    const r = await graphGet(sb.baseUrl, '/me', token);
    expect(r.json.error).to.include({ code: 190, error_subcode: 460 });
    sb.faults.clear();
    sb.faults.add({ kind: 'token_expired', token: 'agency', subcode: 458 });
    expect((await graphGet(sb.baseUrl, '/me', token)).json.error.message).to.include(sb.world.appId);
  });

  it('account_forbidden: permission error (#200 or #10) on that account only', async () => {
    sb.faults.add({ kind: 'account_forbidden', accountId: acct });
    const r = await campaigns();
    expect(r.status).to.equal(403);
    expect(r.json.error.code).to.equal(200);
    expect((await graphGet(sb.baseUrl, '/me', token)).status).to.equal(200);
    sb.faults.clear();
    sb.faults.add({ kind: 'account_forbidden', accountId: `act_${acct}`, code: 10 });
    expect((await campaigns()).json.error.code).to.equal(10);
  });

  it('can be scripted over HTTP: POST/GET/DELETE /__sandbox/faults', async () => {
    const add = await http(`${sb.baseUrl}/__sandbox/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'throttle', code: 17, path: '/campaigns$', token: 'agency' }) });
    expect(add.status).to.equal(200);
    expect((await campaigns()).json.error.code).to.equal(17);
    const list = await http(`${sb.baseUrl}/__sandbox/faults`);
    expect(list.json.faults[0]).to.include({ kind: 'throttle', code: 17, fired: 1 });
    const bad = await http(`${sb.baseUrl}/__sandbox/faults`, { method: 'POST', body: JSON.stringify({ kind: 'meteor' }) });
    expect(bad.status).to.equal(400);
    await http(`${sb.baseUrl}/__sandbox/faults`, { method: 'DELETE' });
    expect((await campaigns()).status).to.equal(200);
  });

  it('job faults only touch report runs created while they are active', async () => {
    sb.faults.add({ kind: 'job_failed', accountId: acct });
    const id = (await graphPost(sb.baseUrl, `/act_${acct}/insights`, token, { fields: 'impressions' })).json.report_run_id;
    expect((await campaigns()).status).to.equal(200);
    for (let i = 0; i < 100; i++) {
      const r = await graphGet(sb.baseUrl, `/${id}`, token);
      if (r.json.async_status === 'Job Failed') return;
      await new Promise((res) => setTimeout(res, 10));
    }
    expect.fail('job never failed');
  });

  it('graph_error serves each documented answer with its status, code, subcode and headers, then recovers', async () => {
    for (const name of DOCUMENTED_ERROR_NAMES) {
      sb.faults.add({ kind: 'graph_error', name, times: 1, path: /\/campaigns$/ });
      const r = await campaigns();
      const want = documentedError(name, acct);
      expect(r.status, name).to.equal(want.spec.status);
      expect(r.json.error.code, name).to.equal(want.spec.code);
      expect(r.json.error.error_subcode, name).to.equal(want.spec.subcode);
      expect(r.json.error.fbtrace_id, name).to.be.a('string');
      for (const [h, v] of Object.entries(want.headers)) expect(r.headers.get(h), `${name} ${h}`).to.equal(v);
      expect((await campaigns()).status, name).to.equal(200);
    }
  });

  it('graph_error refuses a name with no documented answer', () => {
    expect(() => sb.faults.add({ kind: 'graph_error', name: 'error_999' })).to.throw(/no documented Graph error named "error_999"/);
  });

  it("proxy_html answers a gateway's HTML page (not JSON) with the chosen status", async () => {
    sb.faults.add({ kind: 'proxy_html', status: 504, times: 1 });
    const r = await campaigns();
    expect(r.status).to.equal(504);
    expect(r.headers.get('content-type')).to.equal('text/html');
    expect(r.text).to.include('<h1>504 Gateway Time-out</h1>');
    expect(r.json).to.equal(undefined);
  });

  it('truncated_json cuts a 200 body mid-way, so it does not parse', async () => {
    sb.faults.add({ kind: 'truncated_json', times: 1 });
    const r = await campaigns();
    expect(r.status).to.equal(200);
    expect(r.text.startsWith('{"data":[')).to.equal(true);
    expect(r.json).to.equal(undefined);
  });

  it('paging_past_end gives the last page a `next`, and every page past it `data: []` with a new cursor and a `next` (restfb#916)', async () => {
    const all = (await campaigns({ limit: '100' })).json.data as unknown[];
    expect(all.length).to.be.greaterThan(0);
    expect((await campaigns({ limit: '100' })).json.paging.next, 'no next on the last page without the fault').to.equal(undefined);
    sb.faults.add({ kind: 'paging_past_end', path: /\/campaigns$/ });
    const last = await campaigns({ limit: '100' });
    expect(last.json.data).to.have.length(all.length);
    const seen = new Set<string>();
    let next = new URL(last.json.paging.next as string);
    for (let i = 0; i < 3; i++) {
      const after = next.searchParams.get('after')!;
      expect(seen.has(after), 'a new cursor each time').to.equal(false);
      seen.add(after);
      const r = await campaigns({ limit: '100', after });
      expect(r.json.data).to.deep.equal([]);
      expect(r.json.paging.cursors.after).to.be.a('string').and.not.equal(after);
      next = new URL(r.json.paging.next as string);
    }
  });

  it('paging_repeat gives a page a `next` that asks for the same cursor again', async () => {
    const first = await campaigns({ limit: '1' });
    const after = first.json.paging.cursors.after as string;
    sb.faults.add({ kind: 'paging_repeat', path: /\/campaigns$/ });
    const second = await campaigns({ limit: '1', after });
    const next = new URL(second.json.paging.next as string);
    expect(next.searchParams.get('after')).to.equal(after);
    expect(next.searchParams.get('limit')).to.equal('1');
  });
});
