import { expect } from 'chai';
import { startSandbox, type Sandbox } from '../../connector/sandbox/index.js';
import { agencyOf, graphGet, graphPost, http } from './helpers.js';

describe('sandbox: batch requests and observability', () => {
  let sb: Sandbox;
  let token: string;
  let acct: string;
  before(async () => {
    sb = await startSandbox({ world: 'small', seed: 4 });
    ({ token, acct } = agencyOf(sb));
  });
  after(() => sb.close());

  it('answers a batch with one {code, headers, body-as-string} per sub-request, errors included', async () => {
    const creatives = sb.world.creatives.filter((c) => c.accountId === acct).slice(0, 3);
    const batch = [...creatives.map((c) => ({ method: 'GET', relative_url: `v25.0/${c.id}?fields=name,object_type` })), { method: 'GET', relative_url: `act_${acct}/campaigns?fields=bogus` }];
    const r = await graphPost(sb.baseUrl, '', token, { batch: JSON.stringify(batch) });
    expect(r.status).to.equal(200);
    expect(r.json).to.have.length(4);
    creatives.forEach((c, i) => {
      expect(r.json[i].code).to.equal(200);
      expect(JSON.parse(r.json[i].body)).to.deep.equal({ name: c.name, object_type: c.objectType, id: c.id });
    });
    expect(r.json[3].code).to.equal(400);
    expect(JSON.parse(r.json[3].body).error.code).to.equal(100);
  });

  it("authenticates the batch request's own access_token first (an unknown or expired one answers 190 for the whole call, no item runs) and an item's own access_token for that item", async () => {
    const creative = sb.world.creatives.find((c) => c.accountId === acct)!;
    const batch = [{ method: 'GET', relative_url: `${creative.id}?fields=name` }];
    sb.resetStats();
    for (const bad of ['not-a-token', sb.world.expiredTokens[0]!.token]) {
      const r = await graphPost(sb.baseUrl, '', bad, { batch: JSON.stringify(batch) });
      expect(r.status, bad).to.be.within(400, 401);
      expect(Array.isArray(r.json), 'one error for the call, no list of answers').to.equal(false);
      expect((r.json.error as Record<string, unknown>)['code']).to.equal(190);
    }
    expect(sb.stats().byEndpoint['GET /{id}'], 'no item ran').to.equal(undefined);
    const mixed = [...batch, { method: 'GET', relative_url: `${creative.id}?fields=name&access_token=not-a-token` }];
    const r = await graphPost(sb.baseUrl, '', token, { batch: JSON.stringify(mixed) });
    expect(r.status).to.equal(200);
    expect(r.json.map((i: { code: number }) => i.code)).to.deep.equal([200, 401]); // "Cannot parse access token" is HTTP 401
    expect(JSON.parse(r.json[1].body).error.code).to.equal(190);
  });

  it('turns a sub-request that times out into null and refuses more than 50 sub-requests', async () => {
    sb.faults.add({ kind: 'timeout', path: '^/me$', times: 1 });
    const r = await graphPost(sb.baseUrl, '/', token, {
      batch: JSON.stringify([
        { method: 'GET', relative_url: 'me' },
        { method: 'GET', relative_url: 'me' },
      ]),
      include_headers: 'false',
    });
    sb.faults.clear();
    expect(r.json[0]).to.equal(null);
    expect(r.json[1]).to.have.keys('code', 'body');
    const big = await graphPost(sb.baseUrl, '/', token, { batch: JSON.stringify(Array.from({ length: 51 }, () => ({ method: 'GET', relative_url: 'me' }))) });
    expect(big.status).to.equal(400);
    expect(big.json.error).to.include({ type: 'GraphBatchException', message: 'Too many requests in batch message. Maximum batch size is 50' });
  });

  it("charges each sub-request to the app's and the ad account's budget like a call of its own, items past the budget getting the throttle answer", async () => {
    const tight = await startSandbox({ world: 'small', seed: 4, rateLimits: { accountBudget: 4, appBudget: 10 } });
    try {
      const { token: t, acct: a } = agencyOf(tight);
      const ids = tight.world.accountByBareId.get(a)!.creativeIds.slice(0, 6);
      const r = await graphPost(tight.baseUrl, '/', t, { batch: JSON.stringify(ids.map((id) => ({ method: 'GET', relative_url: `${id}?fields=id,name` }))) });
      expect(r.status).to.equal(200);
      const items = r.json as Array<{ code: number; headers: Array<{ name: string; value: string }>; body: string }>;
      const header = (i: number, name: string): string | undefined => items[i]!.headers.find((h) => h.name === name)?.value;
      expect(items.map((i) => i.code)).to.deep.equal([200, 200, 200, 200, 400, 400]);
      expect(items.slice(0, 4).map((_, i) => JSON.parse(header(i, 'x-ad-account-usage')!).acc_id_util_pct)).to.deep.equal([25, 50, 75, 100]);
      expect(JSON.parse(items[4]!.body).error).to.include({ code: 80004 });
      expect(JSON.parse(header(4, 'x-business-use-case-usage')!)[a][0].estimated_time_to_regain_access).to.be.greaterThan(0);
      expect(JSON.parse(header(5, 'x-app-usage')!).call_count, 'the app budget counted every item').to.equal(60);
      expect(tight.stats()).to.include({ requests: 1, batches: 1 });
      expect(tight.stats().throttlesByCode['80004']).to.equal(2);
    } finally {
      await tight.close();
    }
  });

  it('counts calls per endpoint pattern, token, account, errors and bytes, and resets over HTTP', async () => {
    await http(`${sb.baseUrl}/__sandbox/reset-stats`, { method: 'POST' });
    await graphGet(sb.baseUrl, `/act_${acct}/campaigns`, token);
    await graphGet(sb.baseUrl, `/act_${acct}/campaigns`, token, { limit: '1' });
    await graphGet(sb.baseUrl, `/act_${acct}/insights`, token, { fields: 'nope' });
    await graphGet(sb.baseUrl, '/me', sb.tokens.find((t) => t.label === 'brand')!.token);
    const s = (await http(`${sb.baseUrl}/__sandbox/stats`)).json;
    expect(s.byEndpoint['GET /act_{id}/campaigns']).to.equal(2);
    expect(s.byEndpoint['GET /act_{id}/insights']).to.equal(1);
    expect(s.byToken).to.deep.equal({ agency: 3, brand: 1 });
    expect(s.byAccount[acct]).to.equal(3);
    expect(s.errorsByCode['100']).to.equal(1);
    expect(s.requests).to.equal(4);
    expect(s.bytesOut).to.be.greaterThan(100);
    expect(sb.stats()).to.deep.equal(s);
  });

  it('moves the world clock over HTTP and changes updated_time of some objects', async () => {
    const before = new Map(sb.world.campaigns.map((c) => [c.id, c.updatedTime]));
    const tokens = await http(`${sb.baseUrl}/__sandbox/tokens`);
    expect(tokens.json.tokens.map((t: { label: string }) => t.label)).to.deep.equal(sb.tokens.map((t) => t.label));
    const r = await http(`${sb.baseUrl}/__sandbox/advance?days=20`, { method: 'POST' });
    expect(r.json).to.deep.equal({ today: '2026-12-10', now: '2026-12-10T12:00:00.000Z', epoch: 20 });
    expect(sb.now().toISOString()).to.equal('2026-12-10T12:00:00.000Z');
    expect((await http(`${sb.baseUrl}/__sandbox/clock`)).json).to.deep.equal(r.json);
    const moved = sb.world.campaigns.filter((c) => c.updatedTime !== before.get(c.id));
    expect(moved.length).to.be.greaterThan(0);
    for (const c of moved) expect(c.updatedTime).to.be.greaterThan(before.get(c.id)!);
  });
});
