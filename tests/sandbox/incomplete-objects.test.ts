// An ad set or an ad account Meta refuses with the creative's answer, 100/2446289 "Ad Creative Is
// Incomplete" (airbytehq/airbyte#65944 saw it fail the ad_sets and ad_accounts streams too): reads of
// its content, on its node or on an edge page holding it, fail with Meta's body; a listing of ids only
// and the other objects still answer.
import { expect } from 'chai';
import { startSandbox, type Sandbox } from '../../connector/sandbox/index.js';
import { agencyOf, followAll, graphGet } from './helpers.js';

const META_BODY = { message: 'Invalid parameter', type: 'OAuthException', code: 100, error_subcode: 2446289, is_transient: false, error_user_title: 'Ad Creative Is Incomplete' };

describe('sandbox: an ad set or ad account Meta calls incomplete (100/2446289)', function () {
  this.timeout(30_000);
  let sb: Sandbox;
  let token: string;
  let acct: string;
  before(async () => {
    sb = await startSandbox({ world: 'small', today: '2026-11-20' });
    ({ token, acct } = agencyOf(sb));
  });
  after(async () => sb?.close());

  it("an ad set: its node and the adsets page holding it answer Meta's body; ids alone and the other pages answer", async () => {
    const visible = await followAll(await graphGet(sb.baseUrl, `/act_${acct}/adsets`, token, { fields: 'id', limit: '100' }));
    const ids = visible.rows.map((r) => (r as { id: string }).id);
    expect(ids.length, 'an account listing several ad sets').to.be.greaterThan(2);
    const broken = ids[1]!;
    sb.makeIncomplete(broken);
    const page = await graphGet(sb.baseUrl, `/act_${acct}/adsets`, token, { fields: 'id,name,updated_time', limit: '100' });
    expect(page.status).to.equal(400);
    expect(page.json.error).to.include(META_BODY);
    expect(String((page.json.error as Record<string, unknown>)['fbtrace_id'])).to.match(/^A/);
    const node = await graphGet(sb.baseUrl, `/${broken}`, token, { fields: 'id,name' });
    expect(node.status).to.equal(400);
    expect(node.json.error).to.include(META_BODY);
    const listed = await followAll(await graphGet(sb.baseUrl, `/act_${acct}/adsets`, token, { fields: 'id', limit: '2' }));
    expect(listed.rows.length).to.be.greaterThan(0);
    const other = listed.rows.map((r) => (r as { id: string }).id).find((id) => id !== broken)!;
    expect((await graphGet(sb.baseUrl, `/${other}`, token, { fields: 'id,name' })).status).to.equal(200);
  });

  it("an ad account: its node and the listing pages holding it answer Meta's body for more than its ids", async () => {
    sb.makeIncomplete(acct);
    const node = await graphGet(sb.baseUrl, `/act_${acct}`, token, { fields: 'account_id,name,currency' });
    expect(node.status).to.equal(400);
    expect(node.json.error).to.include(META_BODY);
    expect((await graphGet(sb.baseUrl, `/act_${acct}`, token, { fields: 'id,account_id' })).status, 'its ids alone').to.equal(200);
    const listing = await graphGet(sb.baseUrl, '/me/adaccounts', token, { fields: 'account_id,name', limit: '100' });
    expect(listing.status).to.equal(400);
    expect(listing.json.error).to.include(META_BODY);
    expect((await graphGet(sb.baseUrl, '/me/adaccounts', token, { fields: 'id,account_id', limit: '100' })).status).to.equal(200);
    expect(() => sb.makeIncomplete('no-such-id')).to.throw(/not an ad set or ad account/);
  });
});
