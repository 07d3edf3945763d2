import { expect } from 'chai';
import { DateTime } from 'luxon';
import { startSandbox, type Sandbox } from '../../connector/sandbox/index.js';
import { followAll, graphGet } from './helpers.js';

const ALL = ['ACTIVE', 'PAUSED', 'DELETED', 'ARCHIVED', 'CAMPAIGN_PAUSED', 'ADSET_PAUSED'];
const filtering = JSON.stringify([{ field: 'ad.effective_status', operator: 'IN', value: ALL }]);

/** Money string → integer minor units, for exact sums. */
function minor(s: string, offset: number): number {
  return Math.round(Number(s) * offset);
}

describe('sandbox: synchronous insights', () => {
  let sb: Sandbox;
  const tokenFor = (acct: string) => sb.tokens.find((t) => sb.world.users.find((u) => u.id === t.userId)!.accountIds.includes(acct))!.token;
  before(async () => {
    sb = await startSandbox({ world: 'small', seed: 11 });
  });
  after(() => sb.close());

  async function daily(acct: string, level: string, since: string, until: string, extra: Record<string, string> = {}) {
    const first = await graphGet(sb.baseUrl, `/act_${acct}/insights`, tokenFor(acct), {
      level,
      time_increment: '1',
      time_range: JSON.stringify({ since, until }),
      fields: 'account_id,campaign_id,adset_id,ad_id,impressions,clicks,spend,reach',
      filtering,
      limit: '100',
      ...extra,
    });
    expect(first.status, first.text).to.equal(200);
    return (await followAll(first)).rows;
  }

  it('is consistent across levels: per day, account spend = Σ campaigns = Σ ad sets = Σ ads to the cent', async () => {
    for (const acct of sb.world.accounts) {
      const off = acct.currency.offset;
      const [a, c, s, d] = await Promise.all(['account', 'campaign', 'adset', 'ad'].map((l) => daily(acct.accountId, l, '2026-10-20', '2026-11-19')));
      expect(a!.length).to.be.greaterThan(0);
      for (const row of a!) {
        const day = row.date_start;
        for (const [rows, idKey] of [
          [c!, 'campaign_id'],
          [s!, 'adset_id'],
          [d!, 'ad_id'],
        ] as const) {
          const kids = rows.filter((r: { date_start: string }) => r.date_start === day);
          expect(kids.every((k: Record<string, string>) => k[idKey] !== undefined)).to.equal(true);
          const sum = (k: string) => kids.reduce((t: number, r: Record<string, string>) => t + (k === 'spend' ? minor(r[k]!, off) : Number(r[k])), 0);
          expect(sum('spend'), `${acct.currency.code} ${day} ${idKey}`).to.equal(minor(row.spend, off));
          expect(sum('impressions')).to.equal(Number(row.impressions));
          expect(sum('clicks')).to.equal(Number(row.clicks));
          // reach is not additive: ≤ Σ children and ≥ the largest child
          const reaches = kids.map((r: Record<string, string>) => Number(r['reach']));
          expect(Number(row.reach)).to.be.at.most(reaches.reduce((x: number, y: number) => x + y, 0));
          expect(Number(row.reach)).to.be.at.least(Math.max(...reaches));
        }
      }
    }
  });

  it('formats spend in major units: two decimals for USD/EUR, none for JPY and KRW', async () => {
    for (const acct of sb.world.accounts) {
      const rows = await daily(acct.accountId, 'account', '2026-11-01', '2026-11-03');
      for (const r of rows) {
        if (acct.currency.offset === 1) expect(r.spend).to.match(/^\d+$/);
        else expect(r.spend).to.match(/^\d+\.\d\d$/);
      }
    }
  });

  it('matches expectedInsights() row for row', async () => {
    const acct = sb.world.accounts[0]!;
    const api = await daily(acct.accountId, 'ad', '2026-11-10', '2026-11-15', { fields: 'ad_id,impressions,clicks,spend,reach' });
    const exp = sb.expectedInsights({ accountId: acct.accountId, level: 'ad', since: '2026-11-10', until: '2026-11-15' });
    expect(api.map((r) => [r.ad_id, r.date_start, r.spend, r.impressions])).to.deep.equal(exp.map((r) => [r['ad_id'], r['date_start'], r['spend'], r['impressions']]));
  });

  it('restates the last 28 days when the clock advances and leaves older days frozen', async () => {
    const local = await startSandbox({ world: 'small', seed: 12 });
    try {
      const acct = local.world.accounts.find((a) => a.currency.code === 'USD')!;
      const tok = local.tokens.find((t) => local.world.users.find((u) => u.id === t.userId)!.accountIds.includes(acct.accountId))!.token;
      const read = async () => {
        const r = await graphGet(local.baseUrl, `/act_${acct.accountId}/insights`, tok, {
          level: 'account',
          time_increment: '1',
          time_range: JSON.stringify({ since: '2026-09-01', until: '2026-11-19' }),
          fields: 'impressions,spend,actions,action_values',
          action_attribution_windows: JSON.stringify(['1d_click', '7d_click', '28d_click', '1d_view']),
          limit: '500',
        });
        return new Map<string, string>(r.json.data.map((row: { date_start: string }) => [row.date_start, JSON.stringify(row)]));
      };
      const before = await read();
      local.advanceDay(3);
      const after = await read();
      // world clock was 2026-11-20: days older than 28 days stay identical, recent days restate
      let changedRecent = 0;
      for (const [day, row] of before) {
        if (day < '2026-10-20') expect(after.get(day), day).to.equal(row);
        else if (after.get(day) !== row) changedRecent++;
      }
      expect(changedRecent).to.be.greaterThan(3);
    } finally {
      await local.close();
    }
  });

  it('keys action values by attribution window when action_attribution_windows is requested', async () => {
    const acct = sb.world.accounts.find((a) => sb.world.campaigns.some((c) => c.accountId === a.accountId && c.objective === 'OUTCOME_SALES'))!;
    const rows = await daily(acct.accountId, 'account', '2026-10-01', '2026-10-31', {
      fields: 'actions,action_values',
      action_attribution_windows: JSON.stringify(['1d_click', '7d_click', '28d_click', '1d_view', '7d_view', '28d_view']),
    });
    const purchases = rows.flatMap((r) => (r.actions ?? []).filter((x: { action_type: string }) => x.action_type === 'offsite_conversion.fb_pixel_purchase'));
    expect(purchases.length).to.be.greaterThan(0);
    for (const p of purchases) {
      expect(Number(p['1d_click'] ?? 0)).to.be.at.most(Number(p['7d_click'] ?? 0));
      expect(Number(p['7d_click'] ?? 0)).to.be.at.most(Number(p['28d_click'] ?? 0));
      expect(p).to.not.have.property('7d_view'); // no longer returned since 2026-01-12
      expect(Number(p.value)).to.equal(Number(p['7d_click'] ?? 0) + Number(p['1d_view'] ?? 0));
    }
  });

  it("lists a lead campaign's leads as Meta does: the `lead` total beside its pixel and instant-form parts, the parts adding up to it per window", async () => {
    const camp = sb.world.campaigns.find((c) => c.objective === 'OUTCOME_LEADS')!;
    const rows = await daily(camp.accountId, 'ad', '2026-10-01', '2026-10-31', {
      fields: 'ad_id,actions',
      filtering: JSON.stringify([{ field: 'campaign.id', operator: 'IN', value: [camp.id] }]),
      action_attribution_windows: JSON.stringify(['1d_click', '7d_click', '28d_click', '1d_view']),
    });
    const parts = { pixel: 'offsite_conversion.fb_pixel_lead', form: 'onsite_conversion.lead_grouped' };
    const seen = { pixel: 0, form: 0 };
    for (const r of rows) {
      const acts = (r.actions ?? []) as Record<string, string>[];
      const total = acts.find((x) => x.action_type === 'lead');
      if (!total) continue;
      const [pixel, form] = [acts.find((x) => x.action_type === parts.pixel), acts.find((x) => x.action_type === parts.form)];
      // An ad gets its leads one way: exactly one part is listed, and it equals the total.
      expect([pixel, form].filter(Boolean), JSON.stringify(acts)).to.have.length(1);
      for (const k of ['value', '1d_click', '7d_click', '28d_click', '1d_view']) expect(Number((pixel ?? form)![k] ?? 0), k).to.equal(Number(total[k] ?? 0));
      if (pixel) seen.pixel++;
      else seen.form++;
    }
    expect(seen.pixel + seen.form).to.be.greaterThan(0);
    // Above the ad, the parts add up to the total: the campaign's leads came through both ways.
    const byCampaign = await daily(camp.accountId, 'campaign', '2026-10-01', '2026-10-31', { fields: 'campaign_id,actions', filtering: JSON.stringify([{ field: 'campaign.id', operator: 'IN', value: [camp.id] }]) });
    for (const r of byCampaign) {
      const acts = (r.actions ?? []) as Record<string, string>[];
      const n = (t: string) => Number(acts.find((x) => x.action_type === t)?.value ?? 0);
      expect(n(parts.pixel) + n(parts.form), r.date_start).to.equal(n('lead'));
    }
  });

  it('splits breakdown rows so they add up to the unbroken total', async () => {
    const acct = sb.world.accounts[1]!;
    for (const breakdowns of [['age', 'gender'], ['country'], ['publisher_platform']]) {
      const rows = await daily(acct.accountId, 'account', '2026-11-05', '2026-11-05', { breakdowns: JSON.stringify(breakdowns), fields: 'impressions,spend' });
      const [total] = await daily(acct.accountId, 'account', '2026-11-05', '2026-11-05', { fields: 'impressions,spend' });
      expect(rows.every((r) => breakdowns.every((b) => typeof r[b] === 'string'))).to.equal(true);
      expect(rows.reduce((t, r) => t + Number(r.impressions), 0)).to.equal(Number(total.impressions));
      expect(rows.reduce((t, r) => t + minor(r.spend, 100), 0)).to.equal(minor(total.spend, 100));
    }
  });

  it('rejects ranges older than 37 months with #3018, unknown and breakdown fields with #100', async () => {
    const acct = sb.world.accounts[0]!.accountId;
    const old = await graphGet(sb.baseUrl, `/act_${acct}/insights`, tokenFor(acct), { time_range: JSON.stringify({ since: '2023-01-01', until: '2023-01-31' }) });
    expect(old.status).to.equal(400);
    expect(old.json.error.code).to.equal(3018);
    const unknown = await graphGet(sb.baseUrl, `/act_${acct}/insights`, tokenFor(acct), { fields: 'impressions,landing_page_views' });
    expect(unknown.json.error).to.include({ code: 100, message: '(#100) landing_page_views is not valid for fields param. please check https://developers.facebook.com/docs/marketing-api/reference/ads-insights/ for all valid values' });
    const bd = await graphGet(sb.baseUrl, `/act_${acct}/insights`, tokenFor(acct), { fields: 'impressions,age' });
    expect(bd.json.error.code).to.equal(100);
  });

  it('supports date_preset, monthly increments and insights on a campaign node', async () => {
    const acct = sb.world.accounts[0]!;
    const tok = tokenFor(acct.accountId);
    const last7 = await graphGet(sb.baseUrl, `/act_${acct.accountId}/insights`, tok, { date_preset: 'last_7d', time_increment: '1', fields: 'spend' });
    expect(last7.json.data.length).to.be.within(1, 7);
    expect(last7.json.data.every((r: { date_start: string }) => r.date_start < '2026-11-20')).to.equal(true);
    const monthly = await graphGet(sb.baseUrl, `/act_${acct.accountId}/insights`, tok, { time_range: JSON.stringify({ since: '2026-09-15', until: '2026-11-10' }), time_increment: 'monthly', fields: 'spend' });
    expect(monthly.json.data.map((r: { date_start: string; date_stop: string }) => [r.date_start, r.date_stop])).to.deep.equal([
      ['2026-09-15', '2026-09-30'],
      ['2026-10-01', '2026-10-31'],
      ['2026-11-01', '2026-11-10'],
    ]);
    const camp = sb.world.campaigns.find((c) => c.accountId === acct.accountId && c.status === 'ACTIVE')!;
    const r = await graphGet(sb.baseUrl, `/${camp.id}/insights`, tok, { level: 'ad', time_range: JSON.stringify({ since: '2026-11-01', until: '2026-11-05' }), fields: 'campaign_id,ad_id,spend' });
    expect(r.json.data.length).to.be.greaterThan(0);
    expect(r.json.data.every((x: { campaign_id: string }) => x.campaign_id === camp.id)).to.equal(true);
  });

  it('omits reach for breakdown queries starting more than 13 months ago', async () => {
    const acct = sb.world.accounts[0]!;
    const tok = tokenFor(acct.accountId);
    const old = await graphGet(sb.baseUrl, `/act_${acct.accountId}/insights`, tok, { time_range: JSON.stringify({ since: '2025-09-01', until: '2026-11-19' }), breakdowns: 'gender', fields: 'impressions,reach' });
    expect(old.json.data.length).to.be.greaterThan(0);
    expect(old.json.data.every((r: Record<string, string>) => r['reach'] === undefined && r['impressions'] !== undefined)).to.equal(true);
    const recent = await graphGet(sb.baseUrl, `/act_${acct.accountId}/insights`, tok, { time_range: JSON.stringify({ since: '2026-09-01', until: '2026-11-19' }), breakdowns: 'gender', fields: 'impressions,reach' });
    expect(recent.json.data.every((r: Record<string, string>) => r['reach'] !== undefined)).to.equal(true);
  });

  it('refuses oversized synchronous reads with the data-per-call error 100/1487534', async () => {
    const acct = sb.world.accounts[0]!;
    const tok = tokenFor(acct.accountId);
    const big = { level: 'ad', time_increment: '1', date_preset: 'maximum', breakdowns: 'age,gender,publisher_platform', fields: 'impressions' };
    const r = await graphGet(sb.baseUrl, `/act_${acct.accountId}/insights`, tok, big);
    expect(r.status).to.equal(400);
    expect(r.json.error).to.include({ code: 100, error_subcode: 1487534, type: 'CodeException' });
  });

  it('reports amount_spent on the ad account as the lifetime sum of insights spend, in minor units', async () => {
    for (const acct of sb.world.accounts.slice(0, 3)) {
      const tok = tokenFor(acct.accountId);
      const node = await graphGet(sb.baseUrl, `/act_${acct.accountId}`, tok, { fields: 'amount_spent,currency' });
      const life = await graphGet(sb.baseUrl, `/act_${acct.accountId}/insights`, tok, { date_preset: 'maximum', fields: 'spend' });
      expect(node.json.amount_spent).to.equal(String(minor(life.json.data[0].spend, acct.currency.offset)));
    }
  });

  it('filters insights by campaign.id and names action targets when action_breakdowns ask for them', async () => {
    const acct = sb.world.accounts[0]!;
    const camp = sb.world.campaigns.find((c) => c.accountId === acct.accountId && c.status === 'ACTIVE')!;
    const rows = await daily(acct.accountId, 'ad', '2026-11-01', '2026-11-05', {
      fields: 'campaign_id,ad_id,spend,actions',
      filtering: JSON.stringify([{ field: 'campaign.id', operator: 'IN', value: [camp.id] }]),
      action_breakdowns: JSON.stringify(['action_type', 'action_target_id']),
    });
    expect(rows.length).to.be.greaterThan(0);
    expect(new Set(rows.map((r) => r.campaign_id))).to.deep.equal(new Set([camp.id]));
    const el = rows.flatMap((r) => r.actions ?? [])[0];
    expect(el.action_target_id).to.match(/^\d+$/);
  });

  it('follows a world pinned to any instant: each account’s last day is its own local today (a year end just after midnight UTC)', async () => {
    const now = new Date('2027-01-01T00:30:00Z');
    const pinned = await startSandbox({ world: 'small', seed: 11, now });
    try {
      expect(pinned.now().toISOString()).to.equal(now.toISOString());
      expect(pinned.world.clock.today).to.equal('2027-01-01');
      const zones = new Set<string>();
      for (const acct of pinned.world.accounts) {
        const rows = pinned.expectedInsights({ accountId: acct.accountId, level: 'account', since: '2026-12-28', until: '2027-01-02' });
        const local = DateTime.fromJSDate(now, { zone: acct.timezone }).toISODate();
        expect(
          rows
            .map((r) => r['date_start'])
            .sort()
            .at(-1),
          acct.timezone,
        ).to.equal(local);
        zones.add(local!);
      }
      // The small world spans zones on both sides of UTC, so both years' last days are seen.
      expect([...zones].sort()).to.deep.equal(['2026-12-31', '2027-01-01']);
    } finally {
      await pinned.close();
    }
  });
});
