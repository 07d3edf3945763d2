// A creative whose post or reel the advertiser deleted, as Meta answers it (airbytehq/airbyte#65944,
// #66027): every read of its content, on the account's adcreatives edge (the whole page) or on the
// creative node, fails with 100/2446289 "Ad Creative Is Incomplete"; the other pages, and a listing of
// ids only, still answer.
import { expect } from 'chai';
import { startSandbox, type Sandbox } from '../../connector/sandbox/index.js';
import { agencyOf, followAll, graphGet } from './helpers.js';

describe('sandbox: a creative whose post was deleted', function () {
  this.timeout(30_000);
  let sb: Sandbox;
  let token: string;
  let acct: string;
  let broken: string;
  before(async () => {
    sb = await startSandbox({ world: 'small', today: '2026-11-20' });
    ({ token, acct } = agencyOf(sb));
    const ids = sb.world.accountByBareId.get(acct)!.creativeIds;
    expect(ids.length, 'an account with several creatives').to.be.greaterThan(2);
    broken = ids[1]!;
    sb.deleteCreativePost(broken);
  });
  after(async () => sb?.close());

  it("fails the edge page that holds it and its node with Meta's 100/2446289 answer, for content fields", async () => {
    const page = await graphGet(sb.baseUrl, `/act_${acct}/adcreatives`, token, { fields: 'id,name,object_story_spec,thumbnail_url', limit: '100' });
    expect(page.status).to.equal(400);
    expect(page.json.error).to.include({ message: 'Invalid parameter', type: 'OAuthException', code: 100, error_subcode: 2446289, is_transient: false, error_user_title: 'Ad Creative Is Incomplete' });
    const node = await graphGet(sb.baseUrl, `/${broken}`, token, { fields: 'id,object_story_spec' });
    expect(node.status).to.equal(400);
    expect(node.json.error).to.include({ code: 100, error_subcode: 2446289 });
  });

  it('still answers pages without it, and lists every id when only ids are asked', async () => {
    const all = sb.world.accountByBareId.get(acct)!.creativeIds;
    const first = await graphGet(sb.baseUrl, `/act_${acct}/adcreatives`, token, { fields: 'id,name', limit: '1' });
    expect(first.status, 'the first page holds another creative').to.equal(200);
    const ids = await followAll(await graphGet(sb.baseUrl, `/act_${acct}/adcreatives`, token, { fields: 'id', limit: '2' }));
    expect(ids.rows.map((r) => (r as { id: string }).id).sort()).to.deep.equal([...all].sort());
    expect((await graphGet(sb.baseUrl, `/${all[0]!}`, token, { fields: 'id,object_story_spec' })).status).to.equal(200);
  });
});
