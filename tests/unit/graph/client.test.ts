import { expect } from 'chai';
import { createHmac } from 'node:crypto';
import { GraphClient, appsecretProof, accountOfPath } from '../../../connector/graph/client.js';
import { ReduceDataError } from '../../../connector/graph/errors.js';
import { MAX_EMPTY_PAGES_IN_A_ROW } from '../../../connector/graph/paging.js';
import { AuthError, DataError, PermissionError, ThrottledError, TransientError } from '../../../connector/core/errors.js';
import { startFakeGraph, graphError, tapConfig, memoryLogger, fakeTime, parsed, type FakeGraph, type Handler } from './fake-graph.js';

const A = { label: 'agency', token: 'sbx_agency_5f3a9c0d1e2b' };
const B = { label: 'brand', token: 'sbx_brand_77aa00bb11cc' };
const SECRET = 'app-secret-for-tests-0042';

describe('GraphClient', () => {
  let fake: FakeGraph;
  const serve = async (h: Handler): Promise<FakeGraph> => (fake = await startFakeGraph(h));
  afterEach(async () => fake?.close());

  const client = (over: Record<string, unknown> = {}, time = fakeTime()) => {
    const mem = memoryLogger();
    const c = new GraphClient({ config: { ...tapConfig({ api_base_url: fake.baseUrl, app_secret: SECRET }), ...over }, log: mem.log, clock: time.clock, sleep: time.sleep });
    return { c, mem, time };
  };

  it('computes appsecret_proof as hex HMAC-SHA256 keyed by the app secret (RFC 4231 test case 2)', () => {
    expect(appsecretProof('Jefe', 'what do ya want for nothing?')).to.equal('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });

  it('sends the versioned URL, access_token, appsecret_proof and SDK-style encoded parameters', async () => {
    await serve(() => ({ json: { id: '1' } }));
    const { c } = client();
    const out = await c.request<{ id: string }>('act_123/campaigns', {
      tokens: [A],
      params: { fields: ['id', 'name'], filtering: [{ field: 'campaign.updated_time', operator: 'GREATER_THAN', value: 1700000000 }], time_range: { since: '2026-01-01', until: '2026-01-02' }, limit: 25, level: 'ad', include: true, skip: undefined },
    });
    expect(out).to.deep.equal({ id: '1' });
    const s = fake.seen[0]!;
    expect(s.path).to.equal('/v25.0/act_123/campaigns');
    expect(s.query.get('access_token')).to.equal(A.token);
    expect(s.query.get('appsecret_proof')).to.equal(createHmac('sha256', SECRET).update(A.token).digest('hex'));
    expect(s.query.get('fields')).to.equal('["id","name"]');
    expect(JSON.parse(s.query.get('filtering')!)).to.deep.equal([{ field: 'campaign.updated_time', operator: 'GREATER_THAN', value: 1700000000 }]);
    expect(s.query.get('time_range')).to.equal('{"since":"2026-01-01","until":"2026-01-02"}');
    expect(s.query.get('limit')).to.equal('25');
    expect(s.query.get('level')).to.equal('ad');
    expect(s.query.get('include')).to.equal('true');
    expect(s.query.has('skip')).to.equal(false);
  });

  it('sends POST parameters as a form body with the token in the query string', async () => {
    await serve(() => ({ json: { report_run_id: '9' } }));
    const { c } = client();
    await c.request('act_7/insights', { tokens: [A], method: 'POST', params: { level: 'ad', fields: ['spend'] } });
    const s = fake.seen[0]!;
    expect(s.method).to.equal('POST');
    expect(s.query.get('access_token')).to.equal(A.token);
    const form = new URLSearchParams(s.body);
    expect(form.get('level')).to.equal('ad');
    expect(form.get('fields')).to.equal('["spend"]');
  });

  it('omits appsecret_proof when no app secret is configured', async () => {
    await serve(() => ({ json: {} }));
    const mem = memoryLogger();
    const c = new GraphClient({ config: tapConfig({ api_base_url: fake.baseUrl }), log: mem.log, sleep: async () => undefined });
    await c.request('me', { tokens: [A] });
    expect(fake.seen[0]!.query.has('appsecret_proof')).to.equal(false);
  });

  it('finds the ad account of a path for stats', () => {
    expect(accountOfPath('/v25.0/act_123/insights')).to.equal('123');
    expect(accountOfPath('act_9')).to.equal('9');
    expect(accountOfPath('120210000000000001/insights')).to.equal(undefined);
  });

  it('keeps at most max_concurrency requests in flight across all callers', async () => {
    let open = 0;
    let peak = 0;
    await serve(async () => {
      open += 1;
      peak = Math.max(peak, open);
      await new Promise((r) => setTimeout(r, 30));
      open -= 1;
      return { json: { ok: true } };
    });
    const { c } = client({ max_concurrency: 2 });
    await Promise.all(Array.from({ length: 6 }, (_, i) => c.request(`act_${i}/ads`, { tokens: [A] })));
    expect(fake.seen).to.have.length(6);
    expect(peak).to.equal(2);
  });

  describe('paging', () => {
    it('follows paging.next through short and empty pages and stops only when next is absent', async () => {
      // Pages of 2, 0 and 1 rows although limit is 5: only the missing `next` ends the edge.
      const pages = [[{ id: 'a' }, { id: 'b' }], [], [{ id: 'c' }]];
      await serve((req) => {
        const i = Number(req.query.get('after') ?? 0);
        const next = i + 1 < pages.length ? `${fake.baseUrl}/v25.0/act_1/ads?access_token=${req.query.get('access_token')}&limit=5&after=${i + 1}` : undefined;
        return { json: { data: pages[i], paging: { cursors: { after: 'zz' }, ...(next ? { next } : {}) } } };
      });
      const { c } = client();
      const rows: unknown[] = [];
      for await (const r of c.paginate('act_1/ads', { tokens: [A], params: { limit: 5 } })) rows.push(r);
      expect(rows).to.deep.equal([{ id: 'a' }, { id: 'b' }, { id: 'c' }]);
      expect(fake.seen).to.have.length(3);
      expect(c.statsFor('1').api_calls).to.equal(3);
    });

    it('ends an edge answered with empty pages and a new cursor forever after MAX_EMPTY_PAGES_IN_A_ROW calls, with a warning (restfb#916)', async () => {
      // Each empty page names a fresh cursor, so the repeat check cannot catch it; the call budget would.
      await serve((req) => {
        const i = Number(req.query.get('after') ?? 0) + 1;
        return { json: { data: [], paging: { cursors: { after: String(i) }, next: `${fake.baseUrl}/v25.0/act_1/ads?limit=5&after=${i}` } } };
      });
      const { c, mem } = client({ max_api_calls_per_account: 50 });
      const rows: unknown[] = [];
      for await (const r of c.paginate('act_1/ads', { tokens: [A], params: { limit: 5 } })) rows.push(r);
      expect(rows).to.deep.equal([]);
      expect(fake.seen).to.have.length(MAX_EMPTY_PAGES_IN_A_ROW);
      expect(mem.text()).to.include(`Graph answered ${MAX_EMPTY_PAGES_IN_A_ROW} empty pages in a row on act_1/ads`);
    });

    it('reads on through one fewer empty pages than the bound: rows after them land, no warning', async () => {
      const empties = MAX_EMPTY_PAGES_IN_A_ROW - 1;
      await serve((req) => {
        const i = Number(req.query.get('after') ?? 0);
        const next = `${fake.baseUrl}/v25.0/act_1/ads?limit=5&after=${i + 1}`;
        if (i === 0) return { json: { data: [{ id: 'a' }], paging: { next } } };
        if (i <= empties) return { json: { data: [], paging: { next } } };
        return { json: { data: [{ id: 'b' }] } };
      });
      const { c, mem } = client({ max_api_calls_per_account: 50 });
      const rows: unknown[] = [];
      for await (const r of c.paginate('act_1/ads', { tokens: [A], params: { limit: 5 } })) rows.push(r);
      expect(rows).to.deep.equal([{ id: 'a' }, { id: 'b' }]);
      expect(fake.seen).to.have.length(empties + 2);
      expect(mem.text()).not.to.include('empty pages in a row');
    });

    it('uses config.page_size as limit, and sends the token fresh on each next page instead of the one embedded in it', async () => {
      await serve((req) => (req.query.get('after') ? { json: { data: [{ id: 'z' }] } } : { json: { data: [{ id: 'y' }], paging: { next: `https://graph.facebook.com/v25.0/act_1/ads?access_token=EMBEDDED_OLD_TOKEN&limit=7&after=1` } } }));
      const { c } = client({ page_size: 7 });
      const rows: unknown[] = [];
      for await (const r of c.paginate('act_1/ads', { tokens: [A] })) rows.push(r);
      expect(rows).to.have.length(2);
      expect(fake.seen[0]!.query.get('limit')).to.equal('7');
      // The absolute next URL points at another host: it is rebased onto the configured one (the fake).
      expect(fake.seen[1]!.query.getAll('access_token')).to.deep.equal([A.token]);
      expect(fake.seen[1]!.query.get('after')).to.equal('1');
    });

    it('halves the page size when Meta says the response is too big, then carries on', async () => {
      const tooBig = { status: 500, json: graphError(1, undefined, { message: "Please reduce the amount of data you're asking for, then retry your request" }) };
      await serve((req) => (Number(req.query.get('limit')) > 100 ? tooBig : { json: { data: [{ id: req.query.get('limit') }] } }));
      const { c, mem, time } = client({ page_size: 400 });
      const rows: Array<{ id: string }> = [];
      for await (const r of c.paginate<{ id: string }>('act_1/ads', { tokens: [A] })) rows.push(r);
      expect(rows).to.deep.equal([{ id: '100' }]);
      expect(fake.seen.map((s) => s.query.get('limit'))).to.deep.equal(['400', '200', '100']);
      expect(time.sleeps, 'a smaller request is sent at once, not after a backoff').to.deep.equal([]);
      expect(mem.text()).to.include('page size 100 instead of 200');
    });

    it('retries 1/99 "An unknown error occurred" unchanged instead of shrinking the page', async () => {
      await serve((_r, n) => (n === 1 ? { status: 500, json: graphError(1, 99, { message: 'An unknown error occurred' }) } : { json: { data: [{ id: '1' }] } }));
      const { c } = client({ page_size: 400 });
      for await (const _ of c.paginate('act_1/ads', { tokens: [A] })) void _;
      expect(fake.seen.map((s) => s.query.get('limit'))).to.deep.equal(['400', '400']);
    });

    it('stops shrinking at MIN_PAGE_SIZE, retries there, then fails as retry-later naming the edge', async () => {
      await serve(() => ({ status: 500, json: graphError(1) }));
      const { c } = client({ page_size: 4, max_retries: 1 });
      const err = await (async () => {
        for await (const _ of c.paginate('act_1/ads', { tokens: [A] })) void _;
      })().catch((e: unknown) => e);
      // Meta's generic "unknown error" is the same code 1: after the floor and every retry, "re-run later".
      expect(err).to.be.instanceOf(TransientError);
      expect((err as TransientError).exitCode).to.equal(7);
      // 4 → 2 → 1, then at the floor the request cannot shrink: retried unchanged (max_retries 1), then thrown.
      expect(fake.seen.map((s) => s.query.get('limit'))).to.deep.equal(['4', '2', '1', '1']);
      expect((err as TransientError).message).to.include('act_1/ads');
      expect(c.statsFor('1')).to.include({ api_calls: 4, retries: 3, errors: 1 });
    });

    it('rejects a node answer where an edge page was expected', async () => {
      await serve(() => ({ json: { id: '1' } }));
      const { c } = client();
      const it = c.paginate('act_1', { tokens: [A] });
      try {
        await it.next();
        expect.fail('expected a DataError');
      } catch (err) {
        expect(err).to.be.instanceOf(DataError);
      }
    });
  });

  describe('retries', () => {
    it('retries transient errors up to max_retries with growing backoff, then throws TransientError', async () => {
      await serve(() => ({ status: 503, json: graphError(2, undefined, { is_transient: true }) }));
      const { c, time } = client({ max_retries: 3, retry_base_ms: 1000 });
      const err = await c.request('act_5/campaigns', { tokens: [A] }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(TransientError);
      expect(fake.seen).to.have.length(4); // 1 try + 3 retries
      expect(time.sleeps).to.have.length(3);
      expect(time.sleeps[0]).to.be.within(1000, 1200);
      expect(time.sleeps[1]).to.be.within(2000, 2400);
      expect(time.sleeps[2]).to.be.within(4000, 4800);
      expect(c.statsFor('5')).to.deep.equal({ api_calls: 4, throttles: 0, retries: 3, errors: 1 });
    });

    it('succeeds after transient failures without counting an error', async () => {
      await serve((_r, n) => (n <= 2 ? { status: 500, json: graphError(1) } : { json: { ok: true } }));
      const { c } = client();
      expect(await c.request('act_5', { tokens: [A] })).to.deep.equal({ ok: true });
      expect(c.statsFor('5')).to.deep.equal({ api_calls: 3, throttles: 0, retries: 2, errors: 0 });
    });

    it('does not retry permanent errors', async () => {
      await serve(() => ({ status: 400, json: graphError(100) }));
      const { c } = client();
      await c.request('act_5', { tokens: [A] }).catch(() => undefined);
      expect(fake.seen).to.have.length(1);
    });

    it('treats a 2xx answer that is not JSON as transient', async () => {
      await serve((_r, n) => (n === 1 ? { text: 'Service Unavailable' } : { json: { ok: 1 } }));
      const { c } = client();
      expect(await c.request('me', { tokens: [A] })).to.deep.equal({ ok: 1 });
    });

    it('treats a 200 whose body is an error object as that error', async () => {
      await serve(() => ({ status: 200, json: graphError(100, 33) }));
      const { c } = client();
      const err = await c.request('act_5', { tokens: [A] }).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(PermissionError);
    });

    it('retries connection resets and then succeeds', async () => {
      await serve((_r, n) => (n === 1 ? 'reset' : { json: { ok: true } }));
      const { c } = client();
      expect(await c.request('act_5', { tokens: [A] })).to.deep.equal({ ok: true });
      expect(c.statsFor('5').retries).to.equal(1);
    });

    it('gives up on a request that never answers after request_timeout_seconds and max_retries', async () => {
      await serve(() => 'hang');
      const { c } = client({ request_timeout_seconds: 0.15, max_retries: 1 });
      const err = await c.request('act_5', { tokens: [A] }).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(TransientError);
      expect((err as TransientError).message).to.include('timed out');
      expect(fake.seen).to.have.length(2);
    });

    it('hands a reduce-data answer back at once to a caller that can shrink the request, so it can split', async () => {
      await serve(() => ({ status: 500, json: graphError(1) }));
      const { c } = client();
      const err = await c.request('act_5/insights', { tokens: [A], method: 'POST', shrinkable: true }).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(ReduceDataError).and.to.be.instanceOf(DataError);
      expect(fake.seen).to.have.length(1);
    });

    it('retries a reduce-data answer unchanged where nothing can shrink (a node read)', async () => {
      await serve((_r, n) => (n === 1 ? { status: 500, json: graphError(1) } : { json: { id: 'act_5' } }));
      const { c } = client();
      expect(await c.request('act_5', { tokens: [A] })).to.deep.equal({ id: 'act_5' });
      expect(fake.seen).to.have.length(2);
    });
  });

  describe('throttles', () => {
    const bucHeader = (acct: string, pct: number, minutes: number) => ({
      'x-business-use-case-usage': JSON.stringify({ [acct]: [{ type: 'ads_management', call_count: pct, total_cputime: 10, total_time: 10, estimated_time_to_regain_access: minutes }] }),
    });

    it('waits for estimated_time_to_regain_access before retrying an account throttle', async () => {
      await serve((_r, n) => (n === 1 ? { status: 400, json: graphError(80004), headers: bucHeader('5', 100, 3) } : { json: { ok: true } }));
      const { c, time } = client();
      await c.request('act_5/ads', { tokens: [A] });
      expect(time.sleeps).to.have.length(1);
      expect(time.sleeps[0]).to.be.at.least(180_000);
      expect(c.statsFor('5')).to.include({ api_calls: 2, throttles: 1, retries: 1, errors: 0 });
    });

    it('gives up with ThrottledError (retry later) when Meta asks for a wait longer than the cap', async () => {
      await serve(() => ({ status: 400, json: graphError(80000, 2446079), headers: bucHeader('5', 120, 60) }));
      const { c, time } = client();
      const err = await c.request('act_5/insights', { tokens: [A] }).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(ThrottledError);
      expect((err as ThrottledError).retryAfterSeconds).to.equal(3600);
      expect((err as ThrottledError).exitCode).to.equal(7);
      expect(time.sleeps).to.deep.equal([]);
      expect(fake.seen).to.have.length(1);
    });

    it('retries throttles max_retries times then throws ThrottledError', async () => {
      await serve(() => ({ status: 400, json: graphError(613, 1487742) }));
      const { c } = client({ max_retries: 2 });
      const err = await c.request('act_5/ads', { tokens: [A] }).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(ThrottledError);
      expect(c.statsFor('5')).to.deep.equal({ api_calls: 3, throttles: 3, retries: 2, errors: 1 });
    });

    it('prefers another token over giving up when a user-level throttle announces a wait beyond the cap', async () => {
      await serve((req) => (req.query.get('access_token') === A.token ? { status: 400, json: graphError(17), headers: { 'x-business-use-case-usage': JSON.stringify({ '5': [{ call_count: 100, estimated_time_to_regain_access: 120 }] }) } } : { json: { ok: true } }));
      const { c } = client();
      expect(await c.request('act_5/ads', { tokens: [A, B] })).to.deep.equal({ ok: true });
    });

    it('moves to the next token before sleeping when a token is throttled at user level (code 17 without a subcode)', async () => {
      await serve((req) => (req.query.get('access_token') === A.token ? { status: 400, json: graphError(17) } : { json: { ok: true } }));
      const { c, time } = client();
      expect(await c.request('act_5/ads', { tokens: [A, B] })).to.deep.equal({ ok: true });
      expect(time.sleeps).to.deep.equal([]);
      expect(c.totals().by_token['agency']).to.include({ api_calls: 1, throttles: 1 });
      expect(c.totals().by_token['brand']).to.include({ api_calls: 1, retries: 1 });
      // The throttled token stays parked: the next call goes straight to the other one.
      await c.request('act_5/ads', { tokens: [A, B] });
      expect(fake.seen.map((s) => s.query.get('access_token'))).to.deep.equal([A.token, B.token, B.token]);
    });
  });

  describe('throttle scopes', () => {
    it("pauses the ad account on 17/2446079 instead of moving to another token (the budget is the account's)", async () => {
      await serve((_r, n) => (n === 1 ? { status: 400, json: graphError(17, 2446079) } : { json: { ok: true } }));
      const { c, time } = client();
      expect(await c.request('act_5/ads', { tokens: [A, B] })).to.deep.equal({ ok: true });
      expect(
        fake.seen.map((s) => s.query.get('access_token')),
        'same token after the pause',
      ).to.deep.equal([A.token, A.token]);
      expect(time.sleeps.length).to.be.greaterThan(0);
      // Another account is not held by it.
      const before = time.sleeps.length;
      await c.request('act_6/ads', { tokens: [A] });
      expect(time.sleeps.length).to.equal(before);
    });

    it('pauses every worker on code 4 (the app budget), whatever account or token they use', async () => {
      await serve((_r, n) => (n === 1 ? { status: 400, json: graphError(4, 1504022) } : { json: { ok: true } }));
      const { c, time, mem } = client();
      expect(await c.request('act_5/ads', { tokens: [A, B] })).to.deep.equal({ ok: true });
      expect(
        fake.seen.map((s) => s.query.get('access_token')),
        'no token rotation: every token shares the app',
      ).to.deep.equal([A.token, A.token]);
      expect(mem.text()).to.include('every Graph call pauses');
      const before = time.sleeps.length;
      const holdMs = c.holdAfterThrottle('app', 3, undefined);
      await c.request('act_6/ads', { tokens: [B] });
      expect(time.sleeps.length, 'another account and token wait for the app pause').to.equal(before + 1);
      expect(time.sleeps.at(-1)).to.be.closeTo(holdMs, 5);
    });
  });

  describe('waiting', () => {
    it('refuses a call up front when a successful answer said the account is blocked for longer than the cap', async () => {
      await serve(() => ({ json: { ok: true }, headers: { 'x-business-use-case-usage': JSON.stringify({ '5': [{ call_count: 100, estimated_time_to_regain_access: 90 }] }) } }));
      const { c } = client();
      await c.request('act_5/ads', { tokens: [A] });
      const err = await c.request('act_5/ads', { tokens: [A] }).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(ThrottledError);
      expect((err as ThrottledError).retryAfterSeconds).to.equal(90 * 60);
      expect(fake.seen).to.have.length(1);
      // Other accounts are not blocked by it.
      expect(await c.request('act_6/ads', { tokens: [A] })).to.deep.equal({ ok: true });
    });

    it('honours Retry-After on a 503 without usage headers', async () => {
      await serve((_r, n) => (n === 1 ? { status: 503, text: 'busy', headers: { 'retry-after': '7' } } : { json: { ok: true } }));
      const { c, time } = client();
      await c.request('act_5/ads', { tokens: [A] });
      expect(Math.max(...time.sleeps)).to.be.at.least(7000);
    });

    it('stops waiting and rethrows the abort reason when the caller aborts', async () => {
      await serve(() => 'hang');
      const mem = memoryLogger();
      const c = new GraphClient({ config: { ...tapConfig({ api_base_url: fake.baseUrl }), request_timeout_seconds: 30 }, log: mem.log });
      const ac = new AbortController();
      // Abort once the request is in flight (a fixed delay raced the request on a loaded machine).
      const inFlight = setInterval(() => fake.seen.length > 0 && (clearInterval(inFlight), ac.abort(new Error('run cancelled'))), 5);
      const t0 = Date.now();
      const err = await c.request('act_5/ads', { tokens: [A], signal: ac.signal }).catch((e: unknown) => e);
      expect((err as Error).message).to.equal('run cancelled');
      expect(Date.now() - t0).to.be.lessThan(5000);
      expect(fake.seen).to.have.length(1);
    });

    it('keeps per-token totals that add up to the run totals', async () => {
      await serve((req, n) => (n % 3 === 0 ? { status: 500, json: graphError(1) } : { json: { ok: req.query.get('access_token') } }));
      const { c } = client();
      for (let i = 0; i < 6; i++) await c.request(`act_${i}/ads`, { tokens: i % 2 ? [A] : [B] });
      const t = c.totals();
      const sum = Object.values(t.by_token).reduce((acc, s) => ({ api_calls: acc.api_calls + s.api_calls, retries: acc.retries + s.retries, throttles: acc.throttles + s.throttles, errors: acc.errors + s.errors }), { api_calls: 0, retries: 0, throttles: 0, errors: 0 });
      expect(sum).to.deep.equal({ api_calls: t.api_calls, retries: t.retries, throttles: t.throttles, errors: t.errors });
      expect(t.api_calls).to.equal(fake.seen.length);
      expect(t.retries).to.be.greaterThan(0);
    });
  });

  describe('token rotation', () => {
    it('marks a token dead on code 190, warns with its label and continues with the next one', async () => {
      await serve((req) => (req.query.get('access_token') === A.token ? { status: 400, json: graphError(190, 463) } : { json: { ok: true } }));
      const { c, mem } = client();
      expect(await c.request('act_5', { tokens: [A, B] })).to.deep.equal({ ok: true });
      expect(await c.request('act_6', { tokens: [A, B] })).to.deep.equal({ ok: true });
      expect(c.deadTokens()).to.deep.equal(['agency']);
      expect(fake.seen.filter((s) => s.query.get('access_token') === A.token)).to.have.length(1);
      const warn = parsed(mem.text()).find((l) => l['level'] === 'warn' && String(l['msg']).includes('agency'));
      expect(warn?.['msg']).to.include('not used again');
    });

    it('warns once per dead token even when several calls in flight die with it', async () => {
      await serve((req) => (req.query.get('access_token') === A.token ? { status: 400, json: graphError(190, 460) } : { json: { ok: true } }));
      const { c, mem } = client();
      await Promise.all([1, 2, 3, 4].map((i) => c.request(`act_${i}`, { tokens: [A, B] })));
      const warns = parsed(mem.text()).filter((l) => l['level'] === 'warn' && l['token_label'] === 'agency');
      expect(warns).to.have.length(1);
      expect(c.deadTokens()).to.deep.equal(['agency']);
    });

    it('throws AuthError naming the dead token when no other token can reach the object', async () => {
      await serve(() => ({ status: 400, json: graphError(190, 463) }));
      const { c } = client();
      const err = await c.request('act_5', { tokens: [A] }).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(AuthError);
      expect((err as AuthError).message).to.include('"agency"');
      expect((err as AuthError).exitCode).to.equal(3);
      expect((err as AuthError).context['dead_tokens']).to.deep.equal(['agency']);
      expect(fake.seen).to.have.length(1);
    });

    it('tries another candidate token when one is refused access to the object', async () => {
      await serve((req) => (req.query.get('access_token') === A.token ? { status: 403, json: graphError(200) } : { json: { ok: true } }));
      const { c } = client();
      expect(await c.request('act_5', { tokens: [A, B] })).to.deep.equal({ ok: true });
      expect(c.deadTokens()).to.deep.equal([]);
    });
  });

  describe('secrets', () => {
    it('never puts a token, the app secret or the proof into errors or logs, even when Meta echoes them', async () => {
      await serve((req) => ({ status: 400, json: graphError(100, undefined, { message: `bad request ${req.query.get('access_token')} proof=${req.query.get('appsecret_proof')} ${SECRET}` }) }));
      const { c, mem } = client();
      const err = (await c.request('act_5', { tokens: [A], params: { note: 'x' } }).catch((e: unknown) => e)) as Error & { context: unknown; hint: string };
      const proof = createHmac('sha256', SECRET).update(A.token).digest('hex');
      const everything = [err.message, JSON.stringify(err.context), err.hint, mem.text(), String(err.stack)].join('\n');
      for (const s of [A.token, SECRET, proof]) expect(everything).not.to.include(s);
      expect((err as unknown as { cause?: unknown }).cause).to.equal(undefined);
    });

    it('shows paging paths without the query so an embedded token cannot leak through a failing next page', async () => {
      await serve((req) => (req.query.get('after') ? { status: 400, json: graphError(100) } : { json: { data: [], paging: { next: `${fake.baseUrl}/v25.0/act_1/ads?access_token=${A.token}&after=2` } } }));
      const { c } = client();
      const err = (await (async () => {
        for await (const _ of c.paginate('act_1/ads', { tokens: [A] })) void _;
      })().catch((e: unknown) => e)) as Error & { context: Record<string, unknown> };
      expect(err.context['path']).to.equal('act_1/ads');
      expect(err.message).not.to.include(A.token);
    });
  });
});
