// The spend of a deleted campaign (and of its ad sets, DELETED through it) at their own levels. Graph
// leaves the rows of a DELETED object of a query's level out unless a filter on that level's
// effective_status asks for them (facts §3.5); the ad.effective_status filter alone kept deleted
// ads' rows but not a deleted campaign's in insights_campaign, the report the cross-channel spend reads.
import { expect } from 'chai';
import { addDays, dayInZone } from '../../../connector/core/dates.js';
import type { Level } from '../../../connector/sandbox/insights.js';
import { catalogSelecting, runTap, sandboxedTap, sumDecimals, tapConfig, type TapRun } from './helpers.js';

const DAYS = 5;
const LEVELS: readonly Level[] = ['account', 'campaign', 'adset', 'ad'];

describe('tap-facebook-ads keeps the spend of a deleted campaign and its ad sets at every level (child process, sandbox)', function () {
  this.timeout(120_000);
  const rig = sandboxedTap();
  let campaign: { id: string; accountId: string };

  before(() => {
    // An active campaign of the first account that delivered in the window, deleted by the advertiser today.
    const acct = rig.sb.world.accounts[0]!;
    const today = dayInZone(rig.sb.now(), acct.timezone);
    const delivered = new Set(rig.sb.expectedInsights({ accountId: acct.accountId, level: 'campaign', since: addDays(today, -(DAYS - 1)), until: today }).map((r) => r['campaign_id']));
    const camp = rig.sb.world.campaigns.find((c) => c.accountId === acct.accountId && c.status === 'ACTIVE' && delivered.has(c.id));
    expect(camp, 'the small world has an active campaign that delivered in the window').to.not.equal(undefined);
    campaign = camp!;
    rig.sb.setStatus(campaign.id, 'DELETED');
  });

  /** Per level and day: the spend and row count the run wrote, and what Meta serves with every status asked for. */
  const compare = (r: TapRun): void => {
    const acct = rig.sb.world.accounts.find((a) => a.accountId === campaign.accountId)!;
    const today = dayInZone(rig.sb.now(), acct.timezone);
    for (const level of LEVELS) {
      const byDay = (rows: Array<Record<string, unknown>>): Record<string, string> => {
        const days = new Map<string, unknown[]>();
        for (const x of rows) days.set(String(x['date_start']), [...(days.get(String(x['date_start'])) ?? []), x['spend']]);
        return Object.fromEntries([...days].map(([d, s]) => [d, `${sumDecimals(s)} in ${s.length}`]));
      };
      const served = rig.sb.expectedInsights({ accountId: acct.accountId, level, since: addDays(today, -(DAYS - 1)), until: today });
      expect(byDay(r.records(`insights_${level}`)), `insights_${level}`).to.deep.equal(byDay(served));
    }
    expect(r.records('insights_campaign').some((x) => x['campaign_id'] === campaign.id)).to.equal(true);
  };

  it("writes every level's rows as Meta serves them, the deleted campaign's included", async () => {
    const r = await runTap({
      now: rig.sb.now(),
      config: tapConfig(rig.sb, rig.rec.baseUrl, { account_ids: [campaign.accountId] }),
      catalog: catalogSelecting(LEVELS.map((l) => `insights_${l}`)),
      args: ['--days', String(DAYS)],
      dir: rig.tmp.dir,
    });
    expect(r.code, r.stderr.slice(-1500)).to.equal(0);
    compare(r);
  });

  it('keeps them when a failing report run is split into the objects that delivered (the id query lists the deleted campaign)', async () => {
    // Each report's run on the account fails twice (first start and restart): it is split into campaign jobs.
    rig.sb.faults.add({ kind: 'job_failed', path: `^/act_${campaign.accountId}/insights$`, times: 2 * LEVELS.length });
    const r = await runTap({
      now: rig.sb.now(),
      config: tapConfig(rig.sb, rig.rec.baseUrl, { account_ids: [campaign.accountId], max_concurrency: 1 }),
      catalog: catalogSelecting(LEVELS.map((l) => `insights_${l}`)),
      args: ['--days', String(DAYS)],
      dir: rig.tmp.dir,
    });
    expect(r.code, r.stderr.slice(-1500)).to.equal(0);
    expect(
      r.logs().some((l) => /split/i.test(String(l['msg']))),
      'a report run was split',
    ).to.equal(true);
    compare(r);
  });
});
