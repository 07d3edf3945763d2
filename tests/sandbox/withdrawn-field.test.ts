// A field Meta withdraws (world.ts withdrawField): reads asking for it get Graph's (#100) nonexisting
// field answer naming Meta's internal node type, on the edge and on the node; the other fields still answer.
import { expect } from 'chai';
import { startSandbox, type Sandbox } from '../../connector/sandbox/index.js';
import { agencyOf, graphGet, graphPost } from './helpers.js';

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

  it('refuses an insights metric Meta withdrew with (#100) "is not valid for fields param", at run creation and on the results of a run created before', async () => {
    const { token, acct } = agencyOf(sb);
    const form = { level: 'ad', fields: JSON.stringify(['ad_id', 'impressions', 'inline_link_clicks']), time_range: JSON.stringify({ since: '2026-11-10', until: '2026-11-12' }), time_increment: '1' };
    const before = await graphPost(sb.baseUrl, `/act_${acct}/insights`, token, form);
    expect(before.status, JSON.stringify(before.json)).to.equal(200);
    const runId = String(before.json.report_run_id);
    sb.withdrawField('AdsInsights', 'inline_link_clicks');
    const created = await graphPost(sb.baseUrl, `/act_${acct}/insights`, token, form);
    expect(created.status).to.equal(400);
    const error = created.json.error as Record<string, unknown>;
    expect(error).to.include({ code: 100, type: 'OAuthException' });
    expect(String(error['message'])).to.match(/^\(#100\) inline_link_clicks is not valid for fields param\. please check /);
    expect(error).to.not.have.property('error_subcode');
    for (let i = 0; i < 200 && (await graphGet(sb.baseUrl, `/${runId}`, token, { fields: 'async_status' })).json.async_status !== 'Job Completed'; i++) await new Promise((r) => setTimeout(r, 10));
    const results = await graphGet(sb.baseUrl, `/${runId}/insights`, token);
    expect(results.status).to.equal(400);
    expect(String((results.json.error as Record<string, unknown>)['message'])).to.include('inline_link_clicks is not valid for fields param');
    const without = await graphPost(sb.baseUrl, `/act_${acct}/insights`, token, { ...form, fields: JSON.stringify(['ad_id', 'impressions']) });
    expect(without.status, 'the other metrics still answer').to.equal(200);
  });
});
