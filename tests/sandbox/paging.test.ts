import { expect } from 'chai';
import { startSandbox, type Sandbox } from '../../connector/sandbox/index.js';
import { followAll, graphGet, http } from './helpers.js';

describe('sandbox: object edges, field selection, filtering and paging', () => {
  let sb: Sandbox;
  let agency: string;
  before(async () => {
    sb = await startSandbox({ world: 'small', seed: 7 });
    agency = sb.tokens.find((t) => t.label === 'agency')!.token;
  });
  after(() => sb.close());

  function agencyAccount(): string {
    return sb.world.users.find((u) => u.id === sb.tokens.find((t) => t.label === 'agency')!.userId)!.accountIds[0]!;
  }

  it('pages through ads with absolute next URLs that carry the token and every original parameter', async () => {
    const acct = agencyAccount();
    const first = await graphGet(sb.baseUrl, `/act_${acct}/ads`, agency, { fields: 'id,name,updated_time', limit: '2', summary: 'true' });
    expect(first.status).to.equal(200);
    expect(first.json.data).to.have.length(2);
    const next = new URL(first.json.paging.next);
    expect(next.origin).to.equal(sb.baseUrl);
    expect(next.pathname).to.equal(`/v25.0/act_${acct}/ads`);
    expect(next.searchParams.get('access_token')).to.equal(agency);
    expect(next.searchParams.get('fields')).to.equal('id,name,updated_time');
    expect(first.json.paging.cursors.after).to.match(/^QVFI/);
    const { rows, pages } = await followAll(first);
    const live = sb.world.ads.filter((a) => a.accountId === acct && !['ARCHIVED', 'DELETED'].includes(effective(a.id)));
    expect(rows.map((r) => r.id).sort()).to.deep.equal(live.map((a) => a.id).sort());
    expect(pages).to.equal(Math.ceil(live.length / 2));
    expect(first.json.summary.total_count).to.equal(live.length);
    expect(new Set(rows.map((r) => r.id)).size).to.equal(rows.length);
  });

  function effective(id: string): string {
    // read through the API to avoid re-implementing the status rules in the test
    return statuses.get(id) ?? '';
  }
  const statuses = new Map<string, string>();
  before(async () => {
    for (const acct of sb.world.accounts) {
      const tok = sb.tokens.find((t) => sb.world.users.find((u) => u.id === t.userId)!.accountIds.includes(acct.accountId))!.token;
      const all = await graphGet(sb.baseUrl, `/act_${acct.accountId}/ads`, tok, {
        fields: 'effective_status',
        limit: '500',
        filtering: JSON.stringify([{ field: 'ad.effective_status', operator: 'IN', value: ['ACTIVE', 'PAUSED', 'ARCHIVED', 'DELETED', 'CAMPAIGN_PAUSED', 'ADSET_PAUSED'] }]),
      });
      for (const r of all.json.data) statuses.set(r.id, r.effective_status);
    }
  });

  it('hides ARCHIVED and DELETED ads unless an effective_status filter asks for them', async () => {
    const acct = agencyAccount();
    const def = await graphGet(sb.baseUrl, `/act_${acct}/ads`, agency, { fields: 'effective_status', limit: '500' });
    expect(def.json.data.map((r: { effective_status: string }) => r.effective_status)).to.not.include.members(['DELETED', 'ARCHIVED']);
    const deleted = await graphGet(sb.baseUrl, `/act_${acct}/ads`, agency, {
      fields: 'effective_status',
      limit: '500',
      filtering: JSON.stringify([{ field: 'ad.effective_status', operator: 'IN', value: ['DELETED'] }]),
    });
    expect(deleted.json.data.length).to.be.greaterThan(0);
    expect(new Set(deleted.json.data.map((r: { effective_status: string }) => r.effective_status))).to.deep.equal(new Set(['DELETED']));
    // a deleted ad stays readable by id
    const one = await graphGet(sb.baseUrl, `/${deleted.json.data[0].id}`, agency, { fields: 'status,effective_status' });
    expect(one.status).to.equal(200);
    expect(one.json.effective_status).to.equal('DELETED');
  });

  it('filters campaigns by updated_time GREATER_THAN unix seconds', async () => {
    const acct = agencyAccount();
    const all = await graphGet(sb.baseUrl, `/act_${acct}/campaigns`, agency, { fields: 'updated_time', limit: '100' });
    const times = all.json.data.map((r: { updated_time: string }) => Math.floor(Date.parse(r.updated_time.replace(/(\d\d)(\d\d)$/, '$1:$2')) / 1000)).sort();
    const pivot = times[Math.floor(times.length / 2)];
    const newer = await graphGet(sb.baseUrl, `/act_${acct}/campaigns`, agency, {
      fields: 'updated_time',
      filtering: JSON.stringify([{ field: 'campaign.updated_time', operator: 'GREATER_THAN', value: pivot }]),
    });
    expect(newer.json.data.length).to.equal(times.filter((t: number) => t > pivot).length);
  });

  it('returns only requested fields plus id, budgets as minor-unit strings and bid_amount as a number', async () => {
    const acct = agencyAccount();
    const r = await graphGet(sb.baseUrl, `/act_${acct}/adsets`, agency, { fields: 'name,daily_budget,bid_amount,targeting', limit: '100' });
    for (const row of r.json.data) {
      expect(Object.keys(row).every((k) => ['name', 'daily_budget', 'bid_amount', 'targeting', 'id'].includes(k))).to.equal(true);
      expect(row.id).to.match(/^\d{15,18}$/);
      if (row.daily_budget !== undefined) expect(row.daily_budget).to.match(/^\d+$/);
      if (row.bid_amount !== undefined) expect(row.bid_amount).to.be.a('number');
    }
    const bare = await graphGet(sb.baseUrl, `/act_${acct}/campaigns`, agency);
    expect(Object.keys(bare.json.data[0])).to.deep.equal(['id']);
  });

  it('answers an unknown field with (#100) Tried accessing nonexisting field, naming the node type as Graph does', async () => {
    const r = await graphGet(sb.baseUrl, `/act_${agencyAccount()}/campaigns`, agency, { fields: 'name,colour' });
    expect(r.status).to.equal(400);
    expect(r.json.error.code).to.equal(100);
    expect(r.json.error.message).to.equal('(#100) Tried accessing nonexisting field (colour) on node type (AdCampaignGroup)');
    expect(r.json.error.fbtrace_id).to.be.a('string');
  });

  it('lists businesses, owned and client ad accounts with summary.total_count', async () => {
    const biz = await graphGet(sb.baseUrl, '/me/businesses', agency);
    expect(biz.json.data).to.have.length(1);
    const id = biz.json.data[0].id;
    const owned = await graphGet(sb.baseUrl, `/${id}/owned_ad_accounts`, agency, { fields: 'account_id,currency,timezone_name', summary: 'true' });
    const client = await graphGet(sb.baseUrl, `/${id}/client_ad_accounts`, agency, { fields: 'account_id,permitted_tasks', summary: 'true' });
    const b = sb.world.businesses.find((x) => x.id === id)!;
    expect(owned.json.data.map((a: { account_id: string }) => a.account_id).sort()).to.deep.equal([...b.ownedAccountIds].sort());
    expect(client.json.summary.total_count).to.equal(b.clientAccountIds.length);
    expect(client.json.data[0].permitted_tasks).to.be.an('array');
    const pixels = await graphGet(sb.baseUrl, `/${id}/client_pixels`, agency);
    expect(pixels.status).to.equal(200);
    const catalogs = await graphGet(sb.baseUrl, '/me/assigned_product_catalogs', agency, { fields: 'name,owner_business' });
    expect(catalogs.json.data.some((c: { owner_business: { id: string } }) => c.owner_business.id !== id)).to.equal(true);
  });

  it('serves the ad account node with typed fields (money as strings, status as a number)', async () => {
    const acct = agencyAccount();
    const r = await graphGet(sb.baseUrl, `/act_${acct}`, agency, { fields: 'account_id,currency,account_status,amount_spent,timezone_name,timezone_offset_hours_utc,business' });
    expect(r.json.id).to.equal(`act_${acct}`);
    expect(r.json.account_status).to.equal(1);
    expect(r.json.amount_spent).to.match(/^\d+$/);
    expect(r.json.timezone_offset_hours_utc).to.be.a('number');
    const previous = await http(`${sb.baseUrl}/v25.0/act_${acct}/ads?access_token=${agency}&limit=1&after=${'QVFIMDAwMDAw'}`);
    expect(previous.json.paging.previous).to.be.a('string');
  });
});
