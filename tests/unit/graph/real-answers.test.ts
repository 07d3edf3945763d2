// Issue 18 "real-answer scenarios": the GraphClient against a scripted loopback Graph that answers
// with Meta's documented payloads (tests/fixtures/graph/real-answers/errors.json; each scenario's
// source is in tests/fixtures/graph/REAL-ANSWERS.md). Each test asserts the reaction: retry, wait
// (how long, bounded), rotate to another token, skip, or fail with which kind (→ exit code) and hint.
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { GraphClient, type TokenRef } from '../../../connector/graph/client.js';
import { ObjectSkipError } from '../../../connector/graph/errors.js';
import { ConnectorError } from '../../../connector/core/errors.js';
import { scriptedGraph, type Handler, type Reply } from './fake-graph.js';

interface Answer {
  status: number;
  body?: unknown;
  text?: string;
  headers?: Record<string, string>;
}
const ANSWERS = JSON.parse(readFileSync(new URL('../../fixtures/graph/real-answers/errors.json', import.meta.url), 'utf8')) as Record<string, Answer>;
const answer = (name: string): Reply => {
  const a = ANSWERS[name];
  if (!a) throw new Error(`no real answer named ${name}`);
  return { status: a.status, ...(a.text !== undefined ? { text: a.text } : { json: a.body }), ...(a.headers ? { headers: a.headers } : {}) };
};
const OK: Reply = { json: { data: [{ id: '1' }] } };

const A: TokenRef = { label: 'agency', token: 'sbx_agency_5f3a9c0d1e2b' };
const B: TokenRef = { label: 'brand', token: 'sbx_brand_77aa00bb11cc' };
const PATH = 'act_123/campaigns';

describe("GraphClient reacts to Meta's real answers (issue 18 real-answer scenarios)", () => {
  const graph = scriptedGraph({ retry_base_ms: 1000, max_retries: 2 }, { maxThrottleWaitMs: 15 * 60_000 });
  const { serve, client } = graph;
  /** First answer is the real one, later ones succeed. */
  const once =
    (name: string): Handler =>
    (_r, n) =>
      n === 1 ? answer(name) : OK;
  const failure = async (p: Promise<unknown>): Promise<ConnectorError> => {
    try {
      await p;
    } catch (err) {
      if (err instanceof ConnectorError) return err;
      throw err;
    }
    throw new Error('expected the call to fail');
  };

  describe('throttles: wait (for the time Meta states, bounded) and retry', () => {
    for (const [name, minWaitMs] of [
      ['error_80000_ads_insights', 60_000],
      ['error_80004_ads_management', 120_000],
      ['error_17_2446079', 0],
      ['error_613', 0],
      ['error_613_1487742', 0],
      ['error_4', 0],
      ['error_341', 0],
    ] as const) {
      it(`${name}: waits at least ${minWaitMs / 1000}s (estimated_time_to_regain_access), retries once and succeeds`, async () => {
        await serve(once(name));
        const { c, time } = client();
        const out = await c.request<{ data: unknown[] }>(PATH, { tokens: [A] });
        expect(out.data).to.have.length(1);
        expect(graph.fake.seen).to.have.length(2);
        const waited = time.sleeps.reduce((a, b) => a + b, 0);
        expect(waited).to.be.at.least(Math.max(1, minWaitMs));
        expect(waited).to.be.below(15 * 60_000);
        expect(c.statsFor('123').throttles).to.equal(1);
      });
    }

    it('error_80004 with estimated_time_to_regain_access beyond the cap: exit 7 at once, no sleep through 45 min', async () => {
      await serve(() => answer('error_80004_regain_too_long'));
      const { c, time } = client();
      const e = await failure(c.request(PATH, { tokens: [A] }));
      expect(e.kind).to.equal('throttled');
      expect(e.exitCode).to.equal(7);
      expect(e.message).to.match(/wait 45 min/);
      expect(graph.fake.seen).to.have.length(1);
      expect(time.sleeps).to.deep.equal([]);
    });

    for (const name of ['error_17', 'error_32'] as const) {
      it(`${name} (a user/page budget): moves on to another token at once`, async () => {
        await serve((r) => (r.query.get('access_token') === A.token ? answer(name) : OK));
        const { c, time } = client();
        await c.request(PATH, { tokens: [A, B] });
        expect(graph.fake.seen.map((s) => s.query.get('access_token'))).to.deep.equal([A.token, B.token]);
        expect(time.sleeps).to.deep.equal([]);
      });
    }

    it('a throttle that never ends fails with exit 7 after max_retries, not forever', async () => {
      await serve(() => answer('error_613'));
      const { c } = client();
      const e = await failure(c.request(PATH, { tokens: [A] }));
      expect(e.exitCode).to.equal(7);
      expect(graph.fake.seen).to.have.length(3);
    });
  });

  describe('usage headers on successful answers: slow down before Meta throttles', () => {
    it('x-business-use-case-usage at 100 % with estimated_time_to_regain_access 3 (minutes): the next call on that account waits 3 min', async () => {
      const header = JSON.stringify({ '123': [{ type: 'ads_management', call_count: 100, total_cputime: 30, total_time: 41, estimated_time_to_regain_access: 3, ads_api_access_tier: 'standard_access' }] });
      await serve((_r, n) => (n === 1 ? { json: { data: [] }, headers: { 'x-business-use-case-usage': header } } : OK));
      const { c, time } = client();
      await c.request(PATH, { tokens: [A] });
      await c.request(PATH, { tokens: [A] });
      expect(time.sleeps[0]).to.be.at.least(180_000);
      await c.request('act_999/campaigns', { tokens: [A] });
      expect(time.sleeps, 'another account is not held').to.have.length(1);
    });

    it('x-business-use-case-usage on a success with estimated_time_to_regain_access 30 (beyond the cap): the next call on that account is not sent, exit 7 at once', async () => {
      const header = JSON.stringify({ '123': [{ type: 'ads_insights', call_count: 100, total_cputime: 100, total_time: 100, estimated_time_to_regain_access: 30 }] });
      await serve(() => ({ json: { data: [] }, headers: { 'x-business-use-case-usage': header } }));
      const { c, time } = client();
      await c.request(PATH, { tokens: [A] });
      const e = await failure(c.request(PATH, { tokens: [A] }));
      expect(e.exitCode).to.equal(7);
      expect(e.message).to.include('wait 30 min');
      expect(graph.fake.seen).to.have.length(1);
      expect(time.sleeps).to.deep.equal([]);
    });

    it('x-business-use-case-usage keyed "act_123" applies to account 123 too', async () => {
      const header = JSON.stringify({ act_123: [{ type: 'ads_insights', call_count: 100, total_cputime: 30, total_time: 41, estimated_time_to_regain_access: 2 }] });
      await serve((_r, n) => (n === 1 ? { json: { data: [] }, headers: { 'x-business-use-case-usage': header } } : OK));
      const { c, time } = client();
      await c.request(PATH, { tokens: [A] });
      await c.request(PATH, { tokens: [A] });
      expect(time.sleeps[0]).to.be.at.least(120_000);
    });

    it('x-ad-account-usage acc_id_util_pct 100 with reset_time_duration 40: the next call waits the reset window', async () => {
      await serve((_r, n) => (n === 1 ? { json: { data: [] }, headers: { 'x-ad-account-usage': JSON.stringify({ acc_id_util_pct: 100, reset_time_duration: 40, ads_api_access_tier: 'development_access' }) } } : OK));
      const { c, time } = client();
      await c.request(PATH, { tokens: [A] });
      await c.request(PATH, { tokens: [A] });
      expect(time.sleeps[0]).to.be.at.least(40_000).and.below(60_000);
    });

    it('x-app-usage call_count 96: calls are spaced out, by less than the cap', async () => {
      await serve(() => ({ json: { data: [] }, headers: { 'x-app-usage': JSON.stringify({ call_count: 96, total_cputime: 20, total_time: 30 }) } }));
      const { c, time } = client();
      for (let i = 0; i < 3; i++) await c.request(PATH, { tokens: [A] });
      expect(time.sleeps.length).to.be.at.least(1);
      for (const s of time.sleeps) expect(s).to.be.above(0).and.at.most(30_000);
    });

    it('x-fb-ads-insights-throttle acc_id_util_pct 100 paces that account', async () => {
      await serve(() => ({ json: { data: [] }, headers: { 'x-fb-ads-insights-throttle': JSON.stringify({ app_id_util_pct: 10, acc_id_util_pct: 100, ads_api_access_tier: 'standard_access' }) } }));
      const { c, time } = client();
      for (let i = 0; i < 2; i++) await c.request(PATH, { tokens: [A] });
      expect(time.sleeps).to.have.length(1);
      expect(time.sleeps[0]).to.be.above(0).and.at.most(30_000);
    });
  });

  describe('passing failures: retried', () => {
    for (const name of ['error_1_99', 'error_2_unavailable', 'error_2_http_500'] as const) {
      it(`${name}: retried after a backoff and succeeds`, async () => {
        await serve(once(name));
        const { c, time } = client();
        await c.request(PATH, { tokens: [A] });
        expect(graph.fake.seen).to.have.length(2);
        expect(time.sleeps).to.have.length(1);
      });
    }

    it('is_transient: true outranks a code that would give up (here 100): retried, exit 7 if it persists', async () => {
      // The field as Meta documents it (marketing-api error reference): the same request can succeed later.
      const flagged = { status: 400, json: { error: { message: '(#100) An unexpected error occurred', type: 'OAuthException', code: 100, is_transient: true, fbtrace_id: 'AbCdEfGhIjK' } } };
      await serve((_r, n) => (n === 1 ? flagged : OK));
      const first = client();
      await first.c.request(PATH, { tokens: [A] });
      expect(graph.fake.seen).to.have.length(2);
      graph.fake.handle = () => flagged;
      const e = await failure(client().c.request(PATH, { tokens: [A] }));
      expect(e.exitCode).to.equal(7);
    });

    it("a proxy's HTML 502 page: retried, then exit 7 naming HTTP 502 (no HTML in the message)", async () => {
      await serve(() => ({ status: 502, text: '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>', headers: { 'content-type': 'text/html' } }));
      const { c } = client();
      const e = await failure(c.request(PATH, { tokens: [A] }));
      expect(e.exitCode).to.equal(7);
      expect(e.message).to.include('HTTP 502').and.not.include('<html>');
      expect(graph.fake.seen).to.have.length(3);
    });

    it("a proxy's HTML 504 page, then a good answer: retried and succeeds", async () => {
      await serve((_r, n) => (n === 1 ? { status: 504, text: '<html><body><h1>504 Gateway Time-out</h1></body></html>', headers: { 'content-type': 'text/html' } } : OK));
      const { c } = client();
      await c.request(PATH, { tokens: [A] });
      expect(graph.fake.seen).to.have.length(2);
    });

    it('a 400 whose error body is cut off: retried (nothing to classify by), then exit 7 naming HTTP 400, not "unclassified" exit 1', async () => {
      await serve(() => ({ status: 400, text: '{"error":{"message":"(#100) Tried accessing nonexist' }));
      const { c } = client();
      const e = await failure(c.request(PATH, { tokens: [A] }));
      expect(e.exitCode).to.equal(7);
      expect(e.message).to.include('HTTP 400');
      expect(e.hint).to.include('proxy');
      expect(graph.fake.seen).to.have.length(3);
    });

    it('an empty body with HTTP 200: retried, never taken for an empty result', async () => {
      await serve((_r, n) => (n === 1 ? { status: 200, text: '' } : OK));
      const { c } = client();
      const out = await c.request<{ data: unknown[] }>(PATH, { tokens: [A] });
      expect(out.data).to.have.length(1);
      expect(graph.fake.seen).to.have.length(2);
    });

    it('a truncated JSON body with HTTP 200: retried, never parsed as data', async () => {
      await serve((_r, n) => (n === 1 ? { status: 200, text: '{"data":[{"id":"1","name":"Spring' } : OK));
      const { c } = client();
      const out = await c.request<{ data: unknown[] }>(PATH, { tokens: [A] });
      expect(out.data).to.have.length(1);
      expect(graph.fake.seen).to.have.length(2);
    });
  });

  describe('tokens: dead only on the expiry/invalidation subcodes', () => {
    for (const sub of [458, 459, 460, 463, 464, 467]) {
      it(`190/${sub}: the token is not used again; another token takes over; alone it is exit 3`, async () => {
        await serve((r) => (r.query.get('access_token') === A.token ? answer(`error_190_${sub}`) : OK));
        const { c } = client();
        await c.request(PATH, { tokens: [A, B] });
        expect(c.deadTokens()).to.deep.equal(['agency']);
        const e = await failure(c.request('act_5/ads', { tokens: [A] }));
        expect(e.exitCode).to.equal(3);
        expect(graph.fake.seen).to.have.length(2);
      });
    }

    it('102 (API session, no subcode): the token is dead, exit 3 with a new-token hint', async () => {
      await serve(() => answer('error_102'));
      const { c } = client();
      const e = await failure(c.request(PATH, { tokens: [A] }));
      expect(e.exitCode).to.equal(3);
      expect(e.hint).to.match(/new token/i);
      expect(c.deadTokens()).to.deep.equal(['agency']);
    });

    it('104 (no token received): retried as a lost parameter, then exit 3 naming the token; the token is not declared dead', async () => {
      await serve(() => answer('error_104'));
      const { c } = client();
      const e = await failure(c.request(PATH, { tokens: [A] }));
      expect(e.exitCode).to.equal(3);
      expect(e.hint).to.include('access_token');
      expect(graph.fake.seen).to.have.length(3);
      expect(c.deadTokens()).to.deep.equal([]);
    });

    it('190 without a subcode (page permission): this call fails with exit 4, the token stays alive', async () => {
      await serve(() => answer('error_190_page_permission'));
      const { c } = client();
      const e = await failure(c.request('1234567890/adspixels', { tokens: [A] }));
      expect(e.exitCode).to.equal(4);
      expect(c.deadTokens()).to.deep.equal([]);
    });

    it('190/492 (no role on the Page): that call fails with exit 4 and a Page-role hint; another token is tried for it; the token stays alive for every other call', async () => {
      const PAGE_OBJECT = '120210000000000007';
      await serve((r) => (r.path.includes(PAGE_OBJECT) && r.query.get('access_token') === A.token ? answer('error_190_492') : OK));
      const { c } = client();
      // Another candidate whose user has the role reads it.
      await c.request(PAGE_OBJECT, { tokens: [A, B] });
      const e = await failure(c.request(PAGE_OBJECT, { tokens: [A] }));
      expect(e.exitCode, e.message).to.equal(4);
      expect(e.kind).to.equal('permission');
      expect(e.context['graph_subcode']).to.equal(492);
      expect(e.hint)
        .to.match(/role on the Facebook Page/)
        .and.to.include('Business Settings');
      expect(c.deadTokens(), 'the token is not dropped').to.deep.equal([]);
      await c.request(PATH, { tokens: [A] });
      expect(graph.fake.seen.at(-1)!.query.get('access_token'), 'the same token reads the ad account').to.equal(A.token);
    });

    it('190 at HTTP 401 "Cannot parse access token": exit 3', async () => {
      await serve(() => answer('error_190_cannot_parse'));
      const { c } = client();
      expect((await failure(c.request(PATH, { tokens: [A] }))).exitCode).to.equal(3);
    });
  });

  describe('permissions and configuration: fail at once with the right exit code and what to do', () => {
    for (const [name, exit, hint] of [
      ['error_200', 4, /role|permission/i],
      ['error_200_ads_read', 4, /ads_read/],
      ['error_10', 4, /permission/i],
      ['error_270', 4, /Standard Access|development/i],
      ['error_294', 4, /ads_management|ads_read/],
      ['error_3', 4, /capabilit|Marketing API/i],
      ['error_100_33', 4, /exists|access/],
      ['error_100_unsupported_get', 4, /role on that account/],
      ['error_415_1404120', 4, /two-factor authentication/],
      ['error_100_nonexisting_field', 2, /api_version/],
      ['error_2635', 2, /api_version/],
      ['error_368', 7, /policy|Account Quality/i],
    ] as const) {
      it(`${name}: exit ${exit}, no retry, hint matches ${String(hint)}`, async () => {
        await serve(() => answer(name));
        const { c, time } = client();
        const e = await failure(c.request(PATH, { tokens: [A] }));
        expect(e.exitCode, e.message).to.equal(exit);
        expect(e.hint).to.match(hint);
        expect(graph.fake.seen, 'not retried').to.have.length(1);
        expect(time.sleeps).to.deep.equal([]);
      });
    }

    it('368 (policy block on the person behind one token): another token reads it at once; the blocked token is not dropped', async () => {
      await serve((r) => (r.query.get('access_token') === A.token ? answer('error_368') : OK));
      const { c, time } = client();
      const out = await c.request<{ data: unknown[] }>(PATH, { tokens: [A, B] });
      expect(out.data).to.have.length(1);
      expect(graph.fake.seen.map((x) => x.query.get('access_token'))).to.deep.equal([A.token, B.token]);
      expect(time.sleeps, 'no wait').to.deep.equal([]);
      expect(c.deadTokens()).to.deep.equal([]);
    });

    it('2635: the message names config.api_version and the version Meta asks for', async () => {
      await serve(() => answer('error_2635'));
      const { c } = client();
      const e = await failure(c.request(PATH, { tokens: [A] }));
      expect(e.message).to.include('v25.0');
      expect(`${e.message} ${e.hint ?? ''}`).to.include('api_version');
    });

    it('100/2446289 (one object): ObjectSkipError, so object-by-object readers skip it', async () => {
      await serve(() => answer('error_100_2446289'));
      const { c } = client();
      const e = await failure(c.request('120210000000000001', { tokens: [A] }));
      expect(e).to.be.instanceOf(ObjectSkipError);
      expect(graph.fake.seen).to.have.length(1);
    });
  });

  describe('paging as Meta pages', () => {
    const rows = async (c: GraphClient): Promise<unknown[]> => {
      const out: unknown[] = [];
      for await (const r of c.paginate(PATH, { tokens: [A] })) out.push(r);
      return out;
    };

    it('an empty page that carries `next` is followed (Meta: "a page may be empty but contain a next paging link")', async () => {
      await serve((r) => {
        const after = r.query.get('after');
        if (!after) return { json: { data: [], paging: { cursors: { before: 'QVFa', after: 'QVFb' }, next: `${graph.fake.baseUrl}/v25.0/${PATH}?limit=25&after=QVFb` } } };
        return { json: { data: [{ id: '7' }], paging: { cursors: { before: 'QVFb', after: 'QVFc' }, previous: `${graph.fake.baseUrl}/v25.0/${PATH}?limit=25&before=QVFb` } } };
      });
      const { c } = client();
      expect(await rows(c)).to.deep.equal([{ id: '7' }]);
    });

    it('`previous` without `next` ends the edge', async () => {
      await serve(() => ({ json: { data: [{ id: '1' }], paging: { cursors: { before: 'MTM3OAZDZD', after: 'MTM3NwZDZD' }, previous: `${graph.fake.baseUrl}/v25.0/${PATH}?before=MTM3OAZDZD` } } }));
      const { c } = client();
      expect(await rows(c)).to.have.length(1);
      expect(graph.fake.seen).to.have.length(1);
    });

    it('a `next` that repeats the cursor just read ends the edge with a warning instead of looping', async () => {
      // facebook-python-business-sdk#661: the last page kept answering with the same `after` and a next link.
      await serve((r) => ({ json: { data: [{ id: r.query.get('after') ?? 'first' }], paging: { cursors: { before: 'MTM3OAZDZD', after: 'MTM3NwZDZD' }, next: `${graph.fake.baseUrl}/v25.0/${PATH}?limit=25&after=MTM3NwZDZD` } } }));
      const { c, mem } = client();
      const got = await rows(c);
      expect(graph.fake.seen.length).to.be.at.most(3);
      expect(got.length).to.be.at.least(1);
      expect(mem.text()).to.include('repeats');
    });

    it('no `paging` at all ends the edge', async () => {
      await serve(() => ({ json: { data: [{ id: '1' }, { id: '2' }] } }));
      const { c } = client();
      expect(await rows(c)).to.have.length(2);
    });
  });
});
