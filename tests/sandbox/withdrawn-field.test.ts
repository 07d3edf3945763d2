// A field Meta withdraws (world.ts withdrawField): reads asking for it get Graph's (#100) nonexisting
// field answer naming Meta's internal node type, on the edge and on the node; the other fields still answer.
import { expect } from 'chai';
import { startSandbox, type Sandbox } from '../../connector/sandbox/index.js';
import { agencyOf, graphGet } from './helpers.js';

describe('sandbox: a field Meta withdrew', function () {
  this.timeout(30_000);
  let sb: Sandbox;
  before(async () => {
    sb = await startSandbox({ world: 'small', today: '2026-11-20' });
  });
  after(async () => sb?.close());

  it('answers (#100) "Tried accessing nonexisting field" without a subcode for reads that ask for it, and serves the rest', async () => {
    const { token, acct } = agencyOf(sb);
    sb.withdrawField('AdSet', 'bid_strategy');
    const page = await graphGet(sb.baseUrl, `/act_${acct}/adsets`, token, { fields: 'id,name,bid_strategy' });
    expect(page.status).to.equal(400);
    const error = page.json.error as Record<string, unknown>;
    expect(error).to.include({ message: '(#100) Tried accessing nonexisting field (bid_strategy) on node type (AdCampaign)', type: 'OAuthException', code: 100 });
    expect(error).to.not.have.property('error_subcode');
    expect(String(error['fbtrace_id'])).to.match(/^A/);
    const rest = await graphGet(sb.baseUrl, `/act_${acct}/adsets`, token, { fields: 'id,name' });
    expect(rest.status).to.equal(200);
    const id = (rest.json.data as Array<{ id: string }>)[0]!.id;
    expect((await graphGet(sb.baseUrl, `/${id}`, token, { fields: 'bid_strategy' })).status).to.equal(400);
    expect((await graphGet(sb.baseUrl, `/act_${acct}/campaigns`, token, { fields: 'id,bid_strategy' })).status, 'other node types keep it').to.equal(200);
    expect(() => sb.withdrawField('AdSet', 'no_such_field')).to.throw(/has no field no_such_field/);
  });
});
