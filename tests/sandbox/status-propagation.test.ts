// A parent's status reaches its children as on Meta: pausing, archiving or deleting a campaign or ad
// set changes the children's effective_status (values from the SDK's enums) while their updated_time
// stays put, so an updated_time filter does not list them; `campaign.id` / `adset.id` filtering on
// the child edges lists the children of given parents.
import { expect } from 'chai';
import { startSandbox, type Sandbox } from '../../connector/sandbox/index.js';
import { graphApiMeta } from '../../connector/sandbox/meta.js';
import { followAll, graphGet } from './helpers.js';

describe('sandbox: status changes propagate to children without touching their updated_time', function () {
  this.timeout(30_000);
  let sb: Sandbox;
  let token: string;
  before(async () => {
    sb = await startSandbox({ world: 'small', today: '2026-11-20' });
    token = sb.tokens.find((t) => t.label === 'agency')!.token;
  });
  after(async () => sb?.close());

  const ALL = JSON.stringify(['ACTIVE', 'PAUSED', 'ARCHIVED', 'DELETED', 'CAMPAIGN_PAUSED', 'ADSET_PAUSED', 'IN_PROCESS', 'WITH_ISSUES', 'DISAPPROVED', 'PENDING_REVIEW', 'PREAPPROVED', 'PENDING_BILLING_INFO']);
  const list = async (acct: string, edge: string, filtering: unknown[]): Promise<Array<Record<string, string>>> =>
    (await followAll(await graphGet(sb.baseUrl, `/${acct}/${edge}`, token, { fields: 'id,status,effective_status,updated_time', filtering: JSON.stringify(filtering), limit: '100' }))).rows as Array<Record<string, string>>;

  it("pausing a campaign shows CAMPAIGN_PAUSED on its ad sets and ads, their updated_time unchanged, the campaign's moved", async () => {
    const agencyUser = sb.world.users.find((u) => u.id === sb.tokens.find((t) => t.label === 'agency')!.userId)!;
    const acct = sb.world.accountByBareId.get(agencyUser.accountIds[0]!)!;
    const camp = sb.world.campaigns.find((c) => c.accountId === acct.accountId && c.status === 'ACTIVE' && c.adsetIds.some((s) => sb.world.adsets.find((x) => x.id === s)!.status === 'ACTIVE'))!;
    const byParent = [
      { field: 'campaign.id', operator: 'IN', value: [camp.id] },
      { field: 'adset.effective_status', operator: 'IN', value: JSON.parse(ALL) as string[] },
    ];
    const setsBefore = await list(acct.id, 'adsets', byParent);
    const adsBefore = await list(acct.id, 'ads', [
      { field: 'campaign.id', operator: 'IN', value: [camp.id] },
      { field: 'ad.effective_status', operator: 'IN', value: JSON.parse(ALL) as string[] },
    ]);
    expect(setsBefore.map((r) => r['id']).sort()).to.deep.equal([...camp.adsetIds].sort());
    expect(adsBefore.length).to.be.greaterThan(0);
    const campBefore = (await graphGet(sb.baseUrl, `/${camp.id}`, token, { fields: 'updated_time' })).json as Record<string, string>;

    sb.setStatus(camp.id, 'PAUSED');

    const campAfter = (await graphGet(sb.baseUrl, `/${camp.id}`, token, { fields: 'status,effective_status,updated_time' })).json as Record<string, string>;
    expect(campAfter['status']).to.equal('PAUSED');
    expect(campAfter['updated_time']).to.not.equal(campBefore['updated_time']);
    const setsAfter = new Map((await list(acct.id, 'adsets', byParent)).map((r) => [r['id'], r]));
    // The SDK's own enum of AdSet effective statuses (the adsets edge's effective_status param).
    const adsetEnum = graphApiMeta().nodes['AdAccount']!.edges!['adsets']!.params['effective_status']!.enum!;
    for (const before of setsBefore) {
      const after = setsAfter.get(before['id'])!;
      expect(after['updated_time'], before['id']).to.equal(before['updated_time']);
      expect(after['status']).to.equal(before['status']);
      const expected = before['effective_status'] === 'ACTIVE' ? 'CAMPAIGN_PAUSED' : before['effective_status'];
      expect(after['effective_status'], before['id']).to.equal(expected);
      expect(adsetEnum).to.include(after['effective_status']);
    }
    const adsAfter = new Map(
      (
        await list(acct.id, 'ads', [
          { field: 'campaign.id', operator: 'IN', value: [camp.id] },
          { field: 'ad.effective_status', operator: 'IN', value: JSON.parse(ALL) as string[] },
        ])
      ).map((r) => [r['id'], r]),
    );
    for (const before of adsBefore) {
      const after = adsAfter.get(before['id'])!;
      expect(after['updated_time']).to.equal(before['updated_time']);
      if (before['effective_status'] === 'ACTIVE') expect(after['effective_status'], before['id']).to.equal('CAMPAIGN_PAUSED');
    }
    // An updated_time filter from just before the change lists the campaign, none of its children.
    const justBefore = sb.now().getTime() / 1000 - 1;
    expect((await list(acct.id, 'campaigns', [{ field: 'campaign.updated_time', operator: 'GREATER_THAN', value: justBefore }])).map((r) => r['id'])).to.include(camp.id);
    expect(await list(acct.id, 'adsets', [{ field: 'adset.updated_time', operator: 'GREATER_THAN', value: justBefore }])).to.deep.equal([]);
  });

  it('archiving an ad set shows ARCHIVED on its ads (listed only with a status filter) and deleting one shows DELETED', async () => {
    const set = sb.world.adsets.find((s) => s.status === 'ACTIVE' && sb.world.campaigns.find((c) => c.id === s.campaignId)!.status === 'ACTIVE' && s.adIds.length > 0)!;
    const acct = sb.world.accounts.find((a) => a.accountId === set.accountId)!;
    const adsBefore = await list(acct.id, 'ads', [
      { field: 'adset.id', operator: 'IN', value: [set.id] },
      { field: 'ad.effective_status', operator: 'IN', value: JSON.parse(ALL) as string[] },
    ]);
    expect(adsBefore.map((r) => r['id']).sort()).to.deep.equal([...set.adIds].sort());
    sb.setStatus(set.id, 'ARCHIVED');
    const archived = await list(acct.id, 'ads', [
      { field: 'adset.id', operator: 'IN', value: [set.id] },
      { field: 'ad.effective_status', operator: 'IN', value: JSON.parse(ALL) as string[] },
    ]);
    for (const a of archived) expect(a['effective_status'], a['id']).to.be.oneOf(['ARCHIVED', 'DELETED']);
    expect(archived.map((a) => a['updated_time']).sort()).to.deep.equal(adsBefore.map((a) => a['updated_time']).sort());
    // Default visibility hides ARCHIVED objects (facts §3.5).
    expect(await list(acct.id, 'ads', [{ field: 'adset.id', operator: 'IN', value: [set.id] }])).to.deep.equal([]);
    sb.setStatus(set.id, 'DELETED');
    const deleted = await list(acct.id, 'ads', [
      { field: 'adset.id', operator: 'IN', value: [set.id] },
      { field: 'ad.effective_status', operator: 'IN', value: JSON.parse(ALL) as string[] },
    ]);
    expect(deleted.map((a) => a['effective_status'])).to.satisfy((s: string[]) => s.length > 0 && s.every((x) => x === 'DELETED'));
    expect(() => sb.setStatus(set.id, 'ACTIVE')).to.throw(/DELETED/);
  });
});
