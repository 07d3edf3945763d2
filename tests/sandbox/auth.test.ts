import { createHmac } from 'node:crypto';
import { expect } from 'chai';
import { startSandbox, type Sandbox } from '../../connector/sandbox/index.js';
import { graphGet, http } from './helpers.js';

describe('sandbox: tokens, reach, versions and appsecret_proof', () => {
  let sb: Sandbox;
  const tok = (label: string) => sb.tokens.find((t) => t.label === label)!.token;
  before(async () => {
    sb = await startSandbox({ world: 'small', seed: 3 });
  });
  after(() => sb.close());

  async function reach(label: string): Promise<string[]> {
    const r = await graphGet(sb.baseUrl, '/me/adaccounts', tok(label), { fields: 'account_id', limit: '100' });
    expect(r.status, r.text).to.equal(200);
    return r.json.data.map((a: { account_id: string }) => a.account_id).sort();
  }

  it('gives each token a different reach: some accounts seen by one token only, some by two', async () => {
    const labels = sb.tokens.map((t) => t.label);
    expect(labels).to.include.members(['agency', 'brand', 'freelancer']);
    const seen = new Map<string, string[]>();
    for (const l of labels) for (const a of await reach(l)) seen.set(a, [...(seen.get(a) ?? []), l]);
    expect([...seen.values()].some((ls) => ls.length === 1)).to.equal(true);
    expect([...seen.values()].some((ls) => ls.length >= 2)).to.equal(true);
    expect(seen.size).to.equal(sb.world.accounts.length);
    const currencies = new Set(sb.world.accounts.map((a) => a.currency.code));
    expect([...currencies]).to.include.members(['USD', 'EUR', 'JPY', 'KRW']);
    expect(new Set(sb.world.accounts.map((a) => a.timezone)).size).to.be.greaterThan(3);
    expect(sb.world.businesses.length).to.be.at.least(2);
  });

  it('answers an account outside the token reach with the 100/33 permission error', async () => {
    const agencyReach = await reach('agency');
    const foreign = sb.world.accounts.find((a) => !agencyReach.includes(a.accountId))!;
    const r = await graphGet(sb.baseUrl, `/act_${foreign.accountId}/campaigns`, tok('agency'));
    expect(r.status).to.equal(400);
    expect(r.json.error).to.include({ code: 100, error_subcode: 33, type: 'GraphMethodException' });
    const brand = await graphGet(sb.baseUrl, `/act_${foreign.accountId}/campaigns`, tok('brand'));
    expect(brand.status).to.equal(200);
  });

  it('refuses /me/businesses without business_management (freelancer token)', async () => {
    const r = await graphGet(sb.baseUrl, '/me/businesses', tok('freelancer'));
    expect(r.json.error).to.include({ code: 100, message: '(#100) Missing permissions' });
  });

  it('accepts the token as query parameter, form field, JSON body field or Bearer header', async () => {
    const t = tok('agency');
    const viaHeader = await http(`${sb.baseUrl}/v25.0/me`, { headers: { authorization: `Bearer ${t}` } });
    const viaForm = await http(`${sb.baseUrl}/v25.0/me`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `access_token=${t}` });
    const viaJson = await http(`${sb.baseUrl}/v25.0/me/adaccounts`, { method: 'GET', headers: { authorization: `Bearer ${t}` } });
    expect(viaHeader.status).to.equal(200);
    expect(viaHeader.json.id).to.equal(sb.tokens[0]!.userId);
    // POST on /me is not a read: the real API refuses it, with the token accepted
    expect(viaForm.json.error.code).to.equal(100);
    expect(viaJson.json.data.length).to.be.greaterThan(0);
    const jsonBody = await http(`${sb.baseUrl}/v25.0/act_${(await reach('agency'))[0]}/insights?fields=impressions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ access_token: t, level: 'account' }),
    });
    expect(jsonBody.json.report_run_id).to.be.a('string');
    // paging links embed the token even when it came in a header
    const paged = await http(`${sb.baseUrl}/v25.0/me/adaccounts?limit=1`, { headers: { authorization: `Bearer ${t}` } });
    expect(new URL(paged.json.paging.next).searchParams.get('access_token')).to.equal(t);
  });

  it('rejects missing, unknown and expired tokens with the real codes', async () => {
    const none = await http(`${sb.baseUrl}/v25.0/me`);
    expect(none.json.error.code).to.equal(104);
    const unknown = await graphGet(sb.baseUrl, '/me', 'sbx_nobody_0000');
    expect(unknown.status).to.equal(401);
    expect(unknown.json.error).to.include({ code: 190, message: 'Invalid OAuth access token - Cannot parse access token' });
    const expired = await graphGet(sb.baseUrl, '/me', sb.world.expiredTokens[0]!.token);
    expect(expired.json.error).to.include({ code: 190, error_subcode: 463 });
    expect(expired.json.error.message).to.match(/^Error validating access token: Session has expired on \w+day, \d\d-\w{3}-\d\d/);
  });

  it('describes tokens at /debug_token, including the shape of an expired one', async () => {
    const t = sb.tokens.find((x) => x.label === 'brand')!;
    const ok = await graphGet(sb.baseUrl, '/debug_token', tok('agency'), { input_token: t.token });
    expect(ok.json.data).to.include({ app_id: sb.world.appId, is_valid: true, expires_at: t.expiresAt, user_id: t.userId, type: 'SYSTEM_USER' });
    const person = await graphGet(sb.baseUrl, '/debug_token', tok('agency'), { input_token: tok('freelancer') });
    expect(person.json.data.type).to.equal('USER');
    expect(ok.json.data.scopes).to.deep.equal(t.scopes);
    const never = await graphGet(sb.baseUrl, '/debug_token', tok('agency'), { input_token: tok('agency') });
    expect(never.json.data.expires_at).to.equal(0);
    const dead = await graphGet(sb.baseUrl, '/debug_token', tok('agency'), { input_token: sb.world.expiredTokens[0]!.token });
    expect(dead.json.data.is_valid).to.equal(false);
    expect(dead.json.data.error).to.include({ code: 190, subcode: 463 });
  });

  it('answers /me/assigned_* like Meta: a system user lists its assigned assets, a plain user gets (#100) nonexisting field on node type (User)', async () => {
    const system = await graphGet(sb.baseUrl, '/me/assigned_ad_accounts', tok('agency'), { fields: 'account_id' });
    expect(system.status).to.equal(200);
    expect(system.json.data.length).to.be.greaterThan(0);
    for (const edge of ['assigned_ad_accounts', 'assigned_pages', 'assigned_product_catalogs']) {
      const person = await graphGet(sb.baseUrl, `/me/${edge}`, tok('freelancer'), { fields: 'id' });
      expect(person.status, edge).to.equal(400);
      expect(person.json.error).to.include({ code: 100, message: `(#100) Tried accessing nonexisting field (${edge}) on node type (User)` });
    }
    // The edges a person has: their ad accounts and pages.
    const own = await graphGet(sb.baseUrl, '/me/adaccounts', tok('freelancer'), { fields: 'account_id' });
    expect(own.json.data.length).to.be.greaterThan(0);
    expect((await graphGet(sb.baseUrl, '/me/accounts', tok('freelancer'), { fields: 'id' })).json.data.length).to.be.greaterThan(0);
  });

  it('serves v19.0 to v26.0 and answers older versions with #2635', async () => {
    for (const v of ['v19.0', 'v23.0', 'v26.0']) {
      const r = await http(`${sb.baseUrl}/${v}/me?access_token=${tok('agency')}`);
      expect(r.status, v).to.equal(200);
      expect(r.headers.get('facebook-api-version')).to.equal(v);
    }
    const dead = await http(`${sb.baseUrl}/v17.0/me?access_token=${tok('agency')}`);
    expect(dead.json.error).to.include({ code: 2635, message: '(#2635) You are calling a deprecated version of the Ads API. Please update to the latest version: v25.0.' });
  });

  it('requires and verifies appsecret_proof when an app secret is set', async () => {
    const secured = await startSandbox({ world: 'small', seed: 3, appSecret: 'shh-not-a-real-secret' });
    try {
      const t = secured.tokens[0]!.token;
      const missing = await graphGet(secured.baseUrl, '/me', t);
      expect(missing.json.error).to.include({ code: 100, message: 'API calls from the server require an appsecret_proof argument' });
      const wrong = await graphGet(secured.baseUrl, '/me', t, { appsecret_proof: 'ab'.repeat(32) });
      expect(wrong.json.error.message).to.equal('Invalid appsecret_proof provided in the API argument');
      const proof = createHmac('sha256', 'shh-not-a-real-secret').update(t).digest('hex');
      const ok = await graphGet(secured.baseUrl, '/me', t, { appsecret_proof: proof });
      expect(ok.status).to.equal(200);
    } finally {
      await secured.close();
    }
  });

  it('exchanges a valid token for a long-lived one at /oauth/access_token and refuses expired ones', async () => {
    const t = sb.tokens.find((x) => x.label === 'brand')!;
    const q = (tok: string) => new URLSearchParams({ grant_type: 'fb_exchange_token', client_id: sb.world.appId, client_secret: 'any', fb_exchange_token: tok }).toString();
    const r = await http(`${sb.baseUrl}/v25.0/oauth/access_token?${q(t.token)}`);
    expect(r.json).to.include({ token_type: 'bearer', expires_in: 5183944 });
    expect(r.json.access_token).to.match(/^sbx_brand_[0-9a-f]{32}$/);
    const me = await graphGet(sb.baseUrl, '/me', r.json.access_token);
    expect(me.json.id).to.equal(t.userId);
    const dead = await http(`${sb.baseUrl}/v25.0/oauth/access_token?${q(sb.world.expiredTokens[0]!.token)}`);
    expect(dead.json.error).to.include({ code: 190, error_subcode: 463 });
  });

  it('lists business users and refuses the owner field without business_management', async () => {
    const bu = await graphGet(sb.baseUrl, '/me/business_users', tok('agency'), { fields: 'name,business' });
    expect(bu.json.data[0].business.id).to.equal(sb.world.businesses[0]!.id);
    const own = await graphGet(sb.baseUrl, '/me/adaccounts', tok('freelancer'), { fields: 'account_id,owner' });
    expect(own.status).to.equal(403);
    expect(own.json.error).to.include({ code: 200, message: '(#200) Requires business_management permission to manage the object' });
    const ok = await graphGet(sb.baseUrl, '/me/adaccounts', tok('agency'), { fields: 'account_id,owner' });
    expect(ok.json.data[0].owner).to.match(/^\d+$/);
  });
});
