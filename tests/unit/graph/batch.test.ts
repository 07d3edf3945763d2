// GraphClient.requestBatch against a scripted Graph: what goes out (one POST, items that are the plain
// GETs), and how each item's answer is taken as the plain answer it stands for (usage headers, a dead
// token, a refused token, null items), plus Meta's 50-item cap and the per-account call budget.
import { expect } from 'chai';
import { CallBudgetError } from '../../../connector/graph/call-budget.js';
import { TransientError } from '../../../connector/core/errors.js';
import { MAX_BATCH_REQUESTS, type BatchRequest } from '../../../connector/graph/batch.js';
import { graphError, scriptedGraph, type Handler, type Seen } from './fake-graph.js';

const A = { label: 'agency', token: 'sbx_agency_5f3a9c0d1e2b' };
const B = { label: 'brand', token: 'sbx_brand_77aa00bb11cc' };

type Item = { method: string; relative_url: string };
const itemsOf = (s: Seen): Item[] => JSON.parse(new URLSearchParams(s.body).get('batch') ?? '[]') as Item[];
const ok = (body: unknown, headers: Array<{ name: string; value: string }> = []): unknown => ({ code: 200, headers, body: JSON.stringify(body) });
const failed = (status: number, body: unknown): unknown => ({ code: status, headers: [], body: JSON.stringify(body) });
/** Answers each batch item with `item(id, token)`; plain GETs of a node with `{id}`. */
const batchServer =
  (item: (id: string, token: string | null, n: number) => unknown): Handler =>
  (req, n) =>
    req.method === 'POST' ? { json: itemsOf(req).map((i) => item(i.relative_url.split('?')[0]!, req.query.get('access_token'), n)) } : { json: { id: req.path.split('/').pop() } };

describe('GraphClient.requestBatch', () => {
  const graph = scriptedGraph({ app_secret: 'secret-42' });
  const { serve, client } = graph;
  const reqs = (ids: string[]): BatchRequest[] => ids.map((id) => ({ path: id, params: { fields: ['id', 'name', 'object_story_spec'] } }));

  it("sends one POST to the version root whose items carry exactly a plain GET's parameters, and returns the answers in request order", async () => {
    await serve(batchServer((id) => ok({ id })));
    const { c } = client();
    const out = await c.requestBatch(reqs(['11', '12']), { tokens: [A], accountId: '5' });
    expect(out).to.deep.equal([
      { ok: true, body: { id: '11' } },
      { ok: true, body: { id: '12' } },
    ]);
    await c.request('13', { tokens: [A], params: { fields: ['id', 'name', 'object_story_spec'] } });
    const [post, plain] = graph.fake.seen as [Seen, Seen];
    expect([post.method, post.path]).to.deep.equal(['POST', '/v25.0/']);
    expect(post.query.get('access_token')).to.equal(A.token);
    expect(post.query.has('appsecret_proof')).to.equal(true);
    expect(new URLSearchParams(post.body).get('include_headers')).to.equal('true');
    const plainQuery = new URLSearchParams([...plain.query].filter(([k]) => k !== 'access_token' && k !== 'appsecret_proof'));
    expect(itemsOf(post)).to.deep.equal([
      { method: 'GET', relative_url: `11?${plainQuery.toString()}` },
      { method: 'GET', relative_url: `12?${plainQuery.toString()}` },
    ]);
    expect(c.statsFor('5')).to.include({ api_calls: 1, errors: 0 });
  });

  it("refuses more than Meta's 50 requests before sending anything", async () => {
    await serve(batchServer((id) => ok({ id })));
    const { c } = client();
    const err = await c.requestBatch(reqs(Array.from({ length: MAX_BATCH_REQUESTS + 1 }, (_, i) => String(i + 1))), { tokens: [A] }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(RangeError);
    expect(graph.fake.seen).to.have.length(0);
  });

  it("paces the account's next call by an item's own usage headers (a budget at 100 % for 3 minutes)", async () => {
    const buc = { name: 'x-business-use-case-usage', value: JSON.stringify({ '5': [{ type: 'ads_management', call_count: 100, total_cputime: 10, total_time: 10, estimated_time_to_regain_access: 3 }] }) };
    await serve(batchServer((id) => ok({ id }, id === '12' ? [buc] : [])));
    const { c, time } = client();
    await c.requestBatch(reqs(['11', '12']), { tokens: [A], accountId: '5' });
    expect(time.sleeps).to.deep.equal([]);
    await c.request('act_5/ads', { tokens: [A] });
    expect(time.sleeps).to.have.length(1);
    expect(time.sleeps[0]).to.be.at.least(180_000);
  });

  it("reads an item's X-Ad-Account-Usage as its own ad account's when a batch mixes accounts", async () => {
    const full = { name: 'x-ad-account-usage', value: JSON.stringify({ acc_id_util_pct: 100, reset_time_duration: 200, ads_api_access_tier: 'standard_access' }) };
    await serve(batchServer((id) => ok({ id }, id === 'act_7' ? [full] : [])));
    const { c, time } = client();
    await c.requestBatch(
      ['6', '7'].map((a) => ({ path: `act_${a}`, params: { fields: ['account_id'] }, accountId: a })),
      { tokens: [A] },
    );
    await c.request('act_6', { tokens: [A] });
    expect(time.sleeps, 'account 6 is not held').to.deep.equal([]);
    await c.request('act_7', { tokens: [A] });
    expect(time.sleeps).to.have.length(1);
    expect(time.sleeps[0]).to.be.at.least(200_000);
  });

  it('marks the batch token dead when its items answer 190, and sends them again with the next token', async () => {
    await serve(batchServer((id, token) => (token === A.token ? failed(400, graphError(190, 463)) : ok({ id }))));
    const { c } = client();
    const out = await c.requestBatch(reqs(['11', '12']), { tokens: [A, B], accountId: '5' });
    expect(out.map((a) => a.ok)).to.deep.equal([true, true]);
    expect(c.deadTokens()).to.deep.equal(['agency']);
    expect(graph.fake.seen.map((s) => [s.method, s.query.get('access_token')])).to.deep.equal([
      ['POST', A.token],
      ['POST', B.token],
    ]);
  });

  it("reads alone, with the other token, an item refused to the batch's token, and hands back an item refused for good as its error", async () => {
    await serve(batchServer((id) => (id === '12' ? failed(403, graphError(200)) : id === '13' ? failed(400, graphError(100, 2446289)) : ok({ id }))));
    const { c } = client();
    const out = await c.requestBatch(reqs(['11', '12', '13']), { tokens: [A, B], accountId: '5' });
    expect(out.map((a) => (a.ok ? a.body : a.error.name))).to.deep.equal([{ id: '11' }, { id: '12' }, 'ObjectSkipError']);
    expect(graph.fake.seen.filter((s) => s.method === 'GET').map((s) => [s.path, s.query.get('access_token')])).to.deep.equal([['/v25.0/12', B.token]]);
    expect(c.statsFor('5')).to.include({ errors: 1 });
  });

  it('reads an item Meta did not process (null, or missing from a short answer) alone as a plain GET', async () => {
    await serve((req) => (req.method === 'POST' ? { json: [ok({ id: '11' }), null] } : { json: { id: req.path.split('/').pop() } }));
    const { c, mem } = client();
    const out = await c.requestBatch(reqs(['11', '12', '13']), { tokens: [A], accountId: '5' });
    expect(out).to.deep.equal([
      { ok: true, body: { id: '11' } },
      { ok: true, body: { id: '12' } },
      { ok: true, body: { id: '13' } },
    ]);
    expect(graph.fake.seen.filter((s) => s.method === 'GET').map((s) => s.path)).to.have.members(['/v25.0/12', '/v25.0/13']);
    expect(mem.text()).to.include('not answered in their batch');
  });

  it('retries a batch request that fails as a whole like any call, then throws naming the Batch API', async () => {
    await serve(() => ({ status: 503, json: graphError(2, undefined, { is_transient: true }) }));
    const { c } = client({ max_retries: 2 });
    const err = await c.requestBatch(reqs(['11', '12']), { tokens: [A], accountId: '5' }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(TransientError);
    expect((err as TransientError).message).to.include('Batch API');
    expect(graph.fake.seen.map((s) => s.method)).to.deep.equal(['POST', 'POST', 'POST']);
    expect(c.statsFor('5')).to.include({ api_calls: 3, retries: 2, errors: 1 });
  });

  it('charges every item to max_api_calls_per_account, as Meta counts them', async () => {
    await serve(batchServer((id) => ok({ id })));
    const { c } = client({ max_api_calls_per_account: 60 });
    const ids = Array.from({ length: MAX_BATCH_REQUESTS }, (_, i) => String(i + 1));
    await c.requestBatch(reqs(ids), { tokens: [A], accountId: '5' });
    const err = await c.requestBatch(reqs(ids.slice(0, 20)), { tokens: [A], accountId: '5' }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(CallBudgetError);
    expect(graph.fake.seen).to.have.length(1);
  });

  it('counts each item answered 5xx toward the circuit breaker as a plain call is counted, though the batch request itself succeeded', async () => {
    let round = 0;
    await serve((req) => {
      if (req.method !== 'POST') return { json: { id: req.path.split('/').pop() } };
      round++;
      return { json: itemsOf(req).map((i) => (round === 1 ? failed(500, graphError(2, undefined, { is_transient: true })) : ok({ id: i.relative_url.split('?')[0] }))) };
    });
    const { c, mem } = client({ circuit_breaker: { failures: 3, pause_seconds: 0.01 } });
    const out = await c.requestBatch(reqs(['11', '12', '13', '14']), { tokens: [A], accountId: '5' });
    expect(out.map((a) => a.ok)).to.deep.equal([true, true, true, true]);
    expect(c.breakerOpens(), 'four failing items in a row, as four failing plain calls').to.equal(1);
    expect(mem.text()).to.include('circuit breaker opened after 3 consecutive failures');
  });

  it('counts an item Meta did not process (null) as a timed-out call toward the circuit breaker', async () => {
    await serve((req) => (req.method === 'POST' ? { json: itemsOf(req).map(() => null) } : { json: { id: req.path.split('/').pop() } }));
    const { c } = client({ circuit_breaker: { failures: 3, pause_seconds: 0.01 } });
    const out = await c.requestBatch(reqs(['11', '12', '13']), { tokens: [A], accountId: '5' });
    expect(out.map((a) => a.ok)).to.deep.equal([true, true, true]);
    expect(c.breakerOpens()).to.equal(1);
  });
});
