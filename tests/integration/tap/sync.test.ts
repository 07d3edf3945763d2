// The tap end to end as Meltano runs it (child process, files, Singer on stdout) against the sandbox's
// small world: discovery across tokens and businesses, budgets, schemas, keys, insights reconciliation,
// then a second run with the emitted state after the world moved a day.
import { expect } from 'chai';
import { startSandbox, type Sandbox } from '../../../connector/sandbox/index.js';
import { addDays, dayInZone } from '../../../connector/core/dates.js';
import { killRunningTaps, recordingProxy, runTap, schemaProblems, sumDecimals, tapConfig, tempDir, TEST_TODAY, type Recorder, type TapRun } from './helpers.js';

const KEYS: Record<string, string[]> = {
  businesses: ['id'],
  ad_accounts: ['account_id'],
  pages: ['id'],
  pixels: ['id'],
  product_catalogs: ['id'],
  campaigns: ['id'],
  ad_sets: ['id'],
  ads: ['id'],
  ad_creatives: ['id'],
  insights_account: ['account_id', 'date_start'],
  insights_campaign: ['campaign_id', 'date_start'],
  insights_adset: ['adset_id', 'date_start'],
  insights_ad: ['ad_id', 'date_start'],
  insights_coverage: ['run_id', 'account_id', 'stream'],
  sync_log: ['run_id', 'account_id'],
};
const REPORTS = ['insights_account', 'insights_campaign', 'insights_adset', 'insights_ad'];

/** What the world says each token reaches, derived from the sandbox's world (not from tap code). */
function expectedAccess(sb: Sandbox): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const add = (acct: string, e: string) => out.set(acct, [...new Set([...(out.get(acct) ?? []), e])]);
  for (const t of sb.tokens) {
    const user = sb.world.users.find((u) => u.id === t.userId)!;
    const biz = user.businessId && t.scopes.includes('business_management') ? sb.world.businesses.find((b) => b.id === user.businessId) : undefined;
    if (biz) {
      for (const a of biz.ownedAccountIds) add(a, `${biz.id}|owned|${t.label}`);
      for (const a of biz.clientAccountIds) add(a, `${biz.id}|client|${t.label}`);
    }
    for (const a of user.accountIds) add(a, `${sb.world.accountByBareId.get(a)!.ownerBusinessId ?? null}|assigned|${t.label}`);
  }
  return out;
}

describe('tap-facebook-ads against the sandbox (child process, small world)', function () {
  this.timeout(120_000);
  let sb: Sandbox;
  let rec: Recorder;
  let tmp: ReturnType<typeof tempDir>;
  let run1: TapRun;
  let run2: TapRun;
  const start = addDays(TEST_TODAY, -20);

  before(async () => {
    sb = await startSandbox({ world: 'small', today: TEST_TODAY });
    rec = await recordingProxy(sb.baseUrl);
    tmp = tempDir();
    // A small page size so every edge and report is read over several pages.
    run1 = await runTap({ now: sb.now(), config: tapConfig(sb, rec.baseUrl, { start_date: start, page_size: 10 }), dir: tmp.dir });
  });
  after(async () => {
    killRunningTaps();
    await rec?.close();
    await sb?.close();
    tmp?.cleanup();
  });

  it('exits 0 and writes only Singer messages on stdout', () => {
    expect(run1.code, run1.stderr.slice(-2000)).to.equal(0);
    expect(run1.messages.every((m) => ['SCHEMA', 'RECORD', 'STATE', 'ACTIVATE_VERSION'].includes(m.type))).to.equal(true);
  });

  it('finds every account exactly once with the full access list merged across tokens and businesses', () => {
    const rows = run1.records('ad_accounts');
    const ids = rows.map((r) => r['account_id']);
    expect(new Set(ids).size).to.equal(ids.length);
    const expected = expectedAccess(sb);
    expect([...ids].sort()).to.deep.equal([...expected.keys()].sort());
    for (const r of rows) {
      const access = (r['access'] as Array<Record<string, unknown>>).map((a) => `${a['business_id']}|${a['relation']}|${a['token_label']}`).sort();
      expect(access, String(r['account_id'])).to.deep.equal([...expected.get(String(r['account_id']))!].sort());
      expect(r['id']).to.equal(`act_${r['account_id']}`);
    }
    expect(run1.stdout).to.not.match(/sbx_[a-z]+_[0-9a-f]{8}/);
  });

  it('still finds an account that only one token can see', () => {
    const single = [...expectedAccess(sb).entries()].filter(([, e]) => new Set(e.map((x) => x.split('|')[2])).size === 1);
    expect(single.length, 'the small world has an account only one token reaches').to.be.greaterThan(0);
    const found = new Set(run1.records('ad_accounts').map((r) => r['account_id']));
    for (const [id] of single) expect(found.has(id), id).to.equal(true);
  });

  it('converts budgets from minor units by currency offset (USD cents, JPY and KRW whole units) and keeps the raw value', () => {
    const seen = new Set<string>();
    for (const r of [...run1.records('campaigns'), ...run1.records('ad_sets')]) {
      const obj = sb.world.byId.get(String(r['id'])) as { dailyBudget: number | null } | undefined;
      if (!obj || obj.dailyBudget === null) continue;
      const acct = sb.world.accountByBareId.get(String(r['account_id']))!;
      const want = acct.currency.offset === 1 ? String(obj.dailyBudget) : (obj.dailyBudget / 100).toFixed(2);
      expect(r['daily_budget'], `${acct.currency.code} ${String(r['id'])}`).to.equal(want);
      expect(r['daily_budget_minor']).to.equal(String(obj.dailyBudget));
      expect(r['currency']).to.equal(acct.currency.code);
      seen.add(acct.currency.code);
    }
    expect([...seen]).to.include.members(['USD', 'JPY', 'KRW']);
  });

  it('follows paging.next through multi-page edges and report results', () => {
    const paged = rec.calls.filter((c) => c.params.has('after'));
    expect(
      paged.some((c) => /\/ads$/.test(c.path)),
      'ads edge read over several pages',
    ).to.equal(true);
    expect(
      paged.some((c) => /^\/\d+\/insights$/.test(c.path)),
      'report results read over several pages',
    ).to.equal(true);
  });

  it('emits records that validate against their SCHEMA and keys that are unique within the run', () => {
    expect(schemaProblems(run1.messages)).to.deep.equal([]);
    for (const [stream, keys] of Object.entries(KEYS)) {
      const rows = run1.records(stream);
      expect(rows.length, stream).to.be.greaterThan(0);
      const k = rows.map((r) => keys.map((x) => String(r[x])).join('|'));
      expect(new Set(k).size, stream).to.equal(k.length);
    }
  });

  it('activates each full-table asset stream with the version its records carry', () => {
    for (const s of ['businesses', 'ad_accounts', 'pages', 'pixels', 'product_catalogs']) {
      const act = run1.messages.filter((m) => m.type === 'ACTIVATE_VERSION' && m.stream === s);
      expect(act.length, s).to.equal(1);
      const versions = new Set(run1.messages.filter((m) => m.type === 'RECORD' && m.stream === s).map((m) => m.version));
      expect([...versions], s).to.deep.equal([act[0]!.version]);
    }
  });

  it('lists deleted objects as deleted when include_deleted is on', () => {
    const deleted = sb.world.ads.filter((a) => a.status === 'DELETED');
    expect(deleted.length, 'the world has deleted ads').to.be.greaterThan(0);
    const byId = new Map(run1.records('ads').map((r) => [r['id'], r]));
    for (const d of deleted) expect(byId.get(d.id)?.['effective_status'], d.id).to.equal('DELETED');
  });

  it('reconciles spend and impressions across levels for each account and day, to the cent, with the sandbox', () => {
    for (const acct of sb.world.accounts) {
      const byDay = (stream: string) => {
        const m = new Map<string, Array<Record<string, unknown>>>();
        for (const r of run1.records(stream).filter((x) => x['account_id'] === acct.accountId)) m.set(String(r['date_start']), [...(m.get(String(r['date_start'])) ?? []), r]);
        return m;
      };
      const levels = ['insights_account', 'insights_campaign', 'insights_adset', 'insights_ad'].map(byDay);
      const until = dayInZone(sb.now(), acct.timezone);
      const expected = sb.expectedInsights({ accountId: acct.accountId, level: 'account', since: start, until });
      expect(levels[0]!.size, acct.accountId).to.equal(expected.length);
      for (const e of expected) {
        const day = e['date_start']!;
        const spends = levels.map((l) => sumDecimals((l.get(day) ?? []).map((r) => r['spend'])));
        const impressions = levels.map((l) => (l.get(day) ?? []).reduce((s, r) => s + Number(r['impressions'] ?? 0), 0));
        expect(spends, `${acct.accountId} ${day} spend`).to.deep.equal(Array(4).fill(sumDecimals([e['spend']])));
        expect(impressions, `${acct.accountId} ${day} impressions`).to.deep.equal(Array(4).fill(Number(e['impressions'])));
      }
    }
  });

  it('records currency and the attribution windows in every insights row', () => {
    for (const r of run1.records('insights_ad')) {
      expect(r['attribution_windows']).to.deep.equal(['7d_click', '1d_view']);
      expect(r['account_currency']).to.equal(sb.world.accountByBareId.get(String(r['account_id']))!.currency.code);
    }
  });

  it('writes one sync_log row per account with counts and call stats, and bookmarks per stream and account', () => {
    const logs = run1.records('sync_log');
    expect(logs.map((l) => l['account_id']).sort()).to.deep.equal(sb.world.accounts.map((a) => a.accountId).sort());
    for (const l of logs) {
      expect(l['status']).to.equal('ok');
      expect(l['api_calls']).to.be.greaterThan(0);
      const campaigns = (l['streams'] as Array<Record<string, unknown>>).find((s) => s['stream'] === 'campaigns')!;
      expect(campaigns['found']).to.equal(run1.records('campaigns').filter((c) => c['account_id'] === l['account_id']).length);
    }
    const state = run1.lastState() as { bookmarks: Record<string, Record<string, Record<string, unknown>>> };
    for (const a of sb.world.accounts) {
      expect(state.bookmarks['campaigns']?.[a.accountId]?.['updated_time'], a.accountId).to.be.a('string');
      expect(state.bookmarks['insights_ad']?.[a.accountId]).to.include({ date_start: dayInZone(sb.now(), a.timezone) });
      expect(state.bookmarks['insights_ad']?.[a.accountId]?.['attribution_windows']).to.deep.equal(['7d_click', '1d_view']);
    }
    expect(run1.logs().some((l) => /found \d+ ad accounts, \d+ resumed from the state, \d+ new to the state/.test(String(l['msg'])))).to.equal(true);
  });

  it('writes the days each report read for each account (insights_coverage) before its bookmark moves', () => {
    const rows = run1.records('insights_coverage');
    const runId = String(run1.records('sync_log')[0]!['run_id']);
    for (const a of sb.world.accounts) {
      const today = dayInZone(sb.now(), a.timezone);
      for (const stream of REPORTS) {
        const row = rows.find((r) => r['account_id'] === a.accountId && r['stream'] === stream);
        expect(row, `${a.accountId} ${stream}`).to.include({ run_id: runId, date_start: start, date_stop: today, account_today: today, time_zone: a.timezone });
        // The coverage row comes before the STATE that first carries the report's bookmark for the account.
        const at = run1.messages.indexOf(run1.messages.find((m) => m.type === 'RECORD' && m.record === row)!);
        const bookmarked = run1.messages.findIndex((m) => m.type === 'STATE' && (m.value as { bookmarks: Record<string, Record<string, unknown>> }).bookmarks[stream]?.[a.accountId] !== undefined);
        expect(at, `${a.accountId} ${stream}`).to.be.within(0, bookmarked);
      }
    }
    expect(rows).to.have.length(sb.world.accounts.length * REPORTS.length);
  });

  describe('a second run with the emitted state, after the world moved a day', () => {
    let before1: Map<string, Record<string, unknown>>;
    let callsBefore: number;
    const lookback = 3;
    before(async () => {
      before1 = new Map(run1.records('insights_account').map((r) => [`${r['account_id']}|${r['date_start']}`, r]));
      sb.advanceDay();
      callsBefore = rec.calls.length;
      // The state also carries a number JSON.parse would round (a foreign orchestrator's key): it must come back as written.
      const stateText = JSON.stringify(run1.lastState()).replace(/}$/, ',"seq":9007199254740993}');
      run2 = await runTap({ now: sb.now(), config: tapConfig(sb, rec.baseUrl, { start_date: start, insights_lookback_days: lookback, page_size: 10 }), stateText, dir: tmp.dir });
    });

    it('reads the state file without rounding and writes its numbers back digit for digit', () => {
      const states = run2.stdout.split('\n').filter((l) => l.startsWith('{"type":"STATE"'));
      expect(states.length).to.be.greaterThan(0);
      for (const l of states) expect(l).to.include('"seq":9007199254740993}');
    });

    it('counts every account of the state as resumed, whether or not its campaigns, ad sets or ads changed (found = new + resumed + failed)', () => {
      const summary = run2.logs().find((l) => l['type'] === 'summary')!;
      const unchanged = run2.records('sync_log').filter((l) => (l['streams'] as Array<Record<string, unknown>>).every((s) => !['campaigns', 'ad_sets', 'ads'].includes(String(s['stream'])) || s['found'] === 0));
      expect(unchanged.length, 'an account without entity changes in this world').to.be.greaterThan(0);
      expect(summary).to.include({ accounts: sb.world.accounts.length, added: 0, updated: sb.world.accounts.length });
      expect(String(summary['msg'])).to.match(new RegExp(`${sb.world.accounts.length} resumed from the state, 0 new to the state`));
    });

    it('re-reads only objects changed since the bookmark, filtered on the server (plus the children of any parent whose status changed)', () => {
      expect(run2.code, run2.stderr.slice(-2000)).to.equal(0);
      const state1 = run1.lastState() as { bookmarks: Record<string, Record<string, Record<string, string>>> };
      // Parents whose status the world changed: their children's effective_status followed (status-cascade).
      const statusOf = (run: TapRun, stream: string) => new Map(run.records(stream).map((r) => [String(r['id']), r['status']]));
      const [c1, c2, s1, s2] = [statusOf(run1, 'campaigns'), statusOf(run2, 'campaigns'), statusOf(run1, 'ad_sets'), statusOf(run2, 'ad_sets')];
      const movedCampaigns = new Set([...c2].filter(([id, st]) => c1.get(id) !== st).map(([id]) => id));
      const movedSets = new Set([...s2].filter(([id, st]) => s1.get(id) !== st).map(([id]) => id));
      const viaParent = (n: { kind: string; campaignId?: string; adsetId?: string }): boolean => (n.kind !== 'campaign' && movedCampaigns.has(n.campaignId!)) || (n.kind === 'ad' && movedSets.has(n.adsetId!));
      for (const [stream, list] of [
        ['campaigns', sb.world.campaigns],
        ['ad_sets', sb.world.adsets],
        ['ads', sb.world.ads],
      ] as const) {
        const changed = (list as ReadonlyArray<(typeof list)[number]>)
          .filter((n) => n.updatedTime > Date.parse(state1.bookmarks[stream]![n.accountId]!['updated_time']!) / 1000 || viaParent(n))
          .map((n) => n.id)
          .sort();
        expect(
          run2
            .records(stream)
            .map((r) => String(r['id']))
            .sort(),
          stream,
        ).to.deep.equal(changed);
        expect(run2.records(stream).length, stream).to.be.lessThan(run1.records(stream).length);
      }
      const campaignCalls = rec.calls.slice(callsBefore).filter((c) => /^\/act_\d+\/campaigns$/.test(c.path));
      expect(campaignCalls.length).to.equal(sb.world.accounts.length);
      for (const c of campaignCalls) expect(c.params.get('filtering')).to.match(/campaign\.updated_time.*GREATER_THAN/);
    });

    it('re-reads only the creatives of changed ads, by id', () => {
      const creatives = new Set(run2.records('ads').map((a) => String((a['creative'] as { id: string }).id)));
      expect(
        run2
          .records('ad_creatives')
          .map((c) => String(c['id']))
          .sort(),
      ).to.deep.equal([...creatives].sort());
      expect(rec.calls.slice(callsBefore).filter((c) => /\/adcreatives$/.test(c.path))).to.have.length(0);
    });

    it('counts those creatives as updated in sync_log, and as added only those of ads created since the last run', () => {
      const state1 = run1.lastState() as { bookmarks: Record<string, Record<string, Record<string, string>>> };
      const creativesOf = (s: Record<string, unknown>): Record<string, unknown> => (s['streams'] as Array<Record<string, unknown>>).find((x) => x['stream'] === 'ad_creatives')!;
      for (const log of run2.records('sync_log')) {
        const account = String(log['account_id']);
        const since = Date.parse(state1.bookmarks['ads']![account]!['updated_time']!) / 1000;
        const newAds = sb.world.ads.filter((a) => a.accountId === account && a.createdTime > since);
        const read = run2.records('ad_creatives').filter((c) => c['account_id'] === account).length;
        expect(creativesOf(log), account).to.include({ found: read, added: newAds.length, updated: read - newAds.length });
      }
      expect(run2.records('ad_creatives').length, 'creatives were re-read').to.be.greaterThan(0);
    });

    it('shows objects whose status changed since the last run with their new status', () => {
      const state1 = run1.lastState() as { bookmarks: Record<string, Record<string, Record<string, string>>> };
      const rows = new Map(
        run2
          .records('campaigns')
          .concat(run2.records('ad_sets'), run2.records('ads'))
          .map((r) => [String(r['id']), r]),
      );
      const changed = [...sb.world.campaigns, ...sb.world.adsets, ...sb.world.ads].filter((n) => {
        const stream = n.kind === 'campaign' ? 'campaigns' : n.kind === 'adset' ? 'ad_sets' : 'ads';
        return n.updatedTime > Date.parse(state1.bookmarks[stream]![n.accountId]!['updated_time']!) / 1000;
      });
      expect(changed.length, 'the world changed some objects').to.be.greaterThan(0);
      for (const n of changed) expect(rows.get(n.id)?.['status'], n.id).to.equal(n.status);
    });

    it('re-emits restated days inside the lookback with the new values and does not re-read older days', () => {
      let restated = 0;
      for (const acct of sb.world.accounts) {
        const today = dayInZone(sb.now(), acct.timezone);
        const since = addDays(today, -lookback);
        const rows = run2.records('insights_account').filter((r) => r['account_id'] === acct.accountId);
        expect(
          rows.every((r) => String(r['date_start']) >= since),
          acct.accountId,
        ).to.equal(true);
        const expected = sb.expectedInsights({ accountId: acct.accountId, level: 'account', since, until: today });
        for (const e of expected) {
          const got = rows.find((r) => r['date_start'] === e['date_start']);
          expect(got?.['spend'], `${acct.accountId} ${e['date_start']}`).to.equal(e['spend']);
          if (before1.get(`${acct.accountId}|${e['date_start']}`)?.['spend'] !== e['spend']) restated++;
        }
        const posts = rec.calls.slice(callsBefore).filter((c) => c.method === 'POST' && c.path === `/act_${acct.accountId}/insights`);
        expect(posts.length, acct.accountId).to.be.greaterThan(0);
        for (const p of posts) expect((JSON.parse(p.params.get('time_range')!) as { since: string }).since >= since, acct.accountId).to.equal(true);
      }
      expect(restated, 'the sandbox restated at least one recent day').to.be.greaterThan(0);
    });

    it("writes the lookback window it re-read as that run's coverage", () => {
      for (const a of sb.world.accounts) {
        const today = dayInZone(sb.now(), a.timezone);
        const row = run2.records('insights_coverage').find((r) => r['account_id'] === a.accountId && r['stream'] === 'insights_account');
        expect(row, a.accountId).to.include({ date_start: addDays(today, -lookback), date_stop: today, account_today: today });
      }
    });
  });
});
