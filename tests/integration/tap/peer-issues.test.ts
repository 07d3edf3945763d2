// Failure modes public bug reports found in peer connectors (Airbyte source-facebook-marketing,
// singer-io/tap-facebook, Meta's SDKs), each pinned by a test against the sandbox so a regression here
// fails. Behaviour already proved elsewhere is listed in RELIABILITY.md "Peer bug reports".
import { expect } from 'chai';
import { addDays, dayInZone } from '../../../connector/core/dates.js';
import { catalogSelecting, runTap, sandboxedTap, tapConfig, type RecordedCall, type TapRun } from './helpers.js';

describe('tap-facebook-ads against failure modes reported in peer connectors (child process, sandbox)', function () {
  this.timeout(120_000);
  const rig = sandboxedTap();
  const DAYS = 5;

  /** The account whose ad-level insights hold the most rows of DELETED ads in the run's window. */
  function accountWithDeletedDelivery(): { accountId: string; timezone: string; deletedAdIds: string[] } {
    let best = { accountId: '', timezone: 'UTC', deletedAdIds: [] as string[] };
    for (const a of rig.sb.world.accounts) {
      const today = dayInZone(rig.sb.now(), a.timezone);
      const q = { accountId: a.accountId, level: 'ad' as const, since: addDays(today, -(DAYS - 1)), until: today };
      const visible = new Set(rig.sb.expectedInsights({ ...q, includeDeleted: false }).map((r) => r['ad_id']));
      const deleted = [...new Set(rig.sb.expectedInsights(q).map((r) => r['ad_id']!))].filter((id) => !visible.has(id));
      if (deleted.length > best.deletedAdIds.length) best = { accountId: a.accountId, timezone: a.timezone, deletedAdIds: deleted };
    }
    return best;
  }

  const insightsPosts = (calls: RecordedCall[]): RecordedCall[] => calls.filter((c) => c.method === 'POST' && /\/insights$/.test(c.path));

  describe('a run configured with account_ids written as act_<id>, default insights settings', () => {
    let acct: ReturnType<typeof accountWithDeletedDelivery>;
    let r: TapRun;
    let calls: RecordedCall[];
    before(async () => {
      acct = accountWithDeletedDelivery();
      expect(acct.deletedAdIds, 'the small world has a deleted ad that delivered in the window').to.not.be.empty;
      const mark = rig.rec.calls.length;
      r = await runTap({
        now: rig.sb.now(),
        config: tapConfig(rig.sb, rig.rec.baseUrl, { account_ids: [`act_${acct.accountId}`] }),
        catalog: catalogSelecting(['insights_ad', 'sync_log']),
        args: ['--days', String(DAYS)],
        dir: rig.tmp.dir,
      });
      calls = rig.rec.calls.slice(mark);
    });

    // facebook/facebook-python-business-sdk#295 and #74, facebook-java-business-sdk#31: the act_ prefix is
    // required on ad-account paths and users paste ids both ways; airbytehq/airbyte#25686: a wrong id
    // surfaced as a system error.
    it('reads the account under act_<id> exactly once and never as act_act_<id> (python-business-sdk#295, airbyte#25686)', () => {
      expect(r.code, r.stderr.slice(-1500)).to.equal(0);
      expect(calls.filter((c) => c.path.includes('act_act_')).map((c) => c.path)).to.deep.equal([]);
      expect(insightsPosts(calls).every((c) => c.path === `/act_${acct.accountId}/insights`)).to.equal(true);
      expect(r.records('sync_log').map((l) => l['account_id'])).to.deep.equal([acct.accountId]);
      expect(new Set(r.records('insights_ad').map((x) => x['account_id']))).to.deep.equal(new Set([acct.accountId]));
    });

    // singer-io/tap-facebook#33 (open since 2018), airbytehq/airbyte PR #77765 and #36998: Graph leaves
    // the insights rows of DELETED/ARCHIVED ads out unless a status filter asks for them, so spend went
    // missing from ad-level tables.
    it('keeps the spend of deleted ads: every report run filters on every ad status, and their rows arrive (singer-io#33, airbyte#36998)', () => {
      const posts = insightsPosts(calls);
      expect(posts).to.not.be.empty;
      for (const p of posts) {
        const filtering = JSON.parse(p.params.get('filtering') ?? '[]') as Array<{ field: string; operator: string; value: string[] }>;
        const status = filtering.find((f) => f.field === 'ad.effective_status');
        expect(status?.operator, p.params.get('filtering') ?? 'no filtering').to.equal('IN');
        expect(status?.value).to.include.members(['ACTIVE', 'PAUSED', 'ARCHIVED', 'DELETED']);
      }
      const ads = new Set(r.records('insights_ad').map((x) => String(x['ad_id'])));
      for (const id of acct.deletedAdIds) expect(ads.has(id), `rows of deleted ad ${id}`).to.equal(true);
    });

    // airbytehq/airbyte#31787: purchases and initiate_checkout vanished from `actions` because the
    // connector asked for action_target_id/action_destination breakdowns; facebook-python-business-sdk#694.
    it('asks for actions split by action_type only, as Ads Manager totals them (airbyte#31787)', () => {
      for (const p of insightsPosts(calls)) expect(JSON.parse(p.params.get('action_breakdowns') ?? 'null'), p.path).to.deep.equal(['action_type']);
    });
  });

  // airbytehq/airbyte#66027 and #65944: once the advertiser deleted the post or reel of one creative,
  // Meta refused the account's whole adcreatives listing with 100/2446289 "Ad Creative Is Incomplete",
  // and every sync of ad_creatives failed from then on.
  it("reads an account's other creatives when one creative's post was deleted, skips that one by name and moves the bookmark (airbyte#66027, #65944)", async () => {
    const acct = [...rig.sb.world.accounts].sort((a, b) => b.creativeIds.length - a.creativeIds.length)[0]!;
    const broken = acct.creativeIds[1]!;
    rig.sb.deleteCreativePost(broken);
    const r = await runTap({
      now: rig.sb.now(),
      config: tapConfig(rig.sb, rig.rec.baseUrl),
      catalog: catalogSelecting(['ads', 'ad_creatives', 'sync_log']),
      args: ['--account', acct.accountId],
      dir: rig.tmp.dir,
    });
    expect(r.code, r.stderr.slice(-1500)).to.equal(0);
    const got = r.records('ad_creatives').map((c) => String(c['id']));
    expect(new Set(got).size, 'no creative twice').to.equal(got.length);
    expect(got.sort()).to.deep.equal(acct.creativeIds.filter((id) => id !== broken).sort());
    const summary = r.logs().find((l) => l['type'] === 'summary')!;
    const skipped = (summary['skipped_objects'] as Array<Record<string, unknown>>).map((o) => String(o['object']));
    expect(skipped.filter((o) => o.includes(broken))).to.have.length(1);
    const creatives = (r.records('sync_log')[0]!['streams'] as Array<Record<string, unknown>>).find((x) => x['stream'] === 'ad_creatives')!;
    expect(creatives['status']).to.equal('ok');
    const state = r.lastState() as { bookmarks: Record<string, Record<string, unknown>> };
    expect(state.bookmarks['ad_creatives']?.[acct.accountId], 'the next run reads creatives of changed ads by id').to.be.an('object');
  });

  // maiha/facebook.cr#3, facebookarchive/php-graph-sdk#999: Graph answers "Unsupported get request. Object
  // with ID 'act_…' does not exist, cannot be loaded due to missing permissions…" under code 100 with no
  // subcode. Airbyte (streams/common.py traced_exception) makes any such "permission" text a config error
  // that ends the sync; on one account's edges it concerns that account, not the token or the config.
  it('code 100 without subcode "Unsupported get request" on one account\'s edge fails that account with a hint, the others complete (exit 5); alone it exits 4, not 2', async () => {
    const accounts = rig.sb.world.accounts.filter((a) => !a.isPersonal && a.campaignIds.length > 0).slice(0, 2);
    expect(accounts, 'two business accounts with campaigns').to.have.length(2);
    const [bad, good] = [accounts[0]!.accountId, accounts[1]!.accountId];
    rig.sb.faults.add({ kind: 'graph_error', name: 'error_100_unsupported_get', accountId: bad, path: `^/act_${bad}/campaigns$` });
    const r = await runTap({
      now: rig.sb.now(),
      config: tapConfig(rig.sb, rig.rec.baseUrl, { account_ids: [bad, good] }),
      catalog: catalogSelecting(['campaigns', 'sync_log']),
      dir: rig.tmp.dir,
    });
    expect(r.code, r.stderr.slice(-1500)).to.equal(5);
    const log = new Map(r.records('sync_log').map((l) => [String(l['account_id']), l]));
    expect(log.get(good)!['status']).to.equal('ok');
    expect(new Set(r.records('campaigns').map((c) => String(c['account_id'])))).to.deep.equal(new Set([good]));
    expect(log.get(bad)!['status']).to.equal('failed');
    expect(log.get(bad)!['error_class']).to.equal('permission');
    expect(String(log.get(bad)!['error_message'])).to.include(`for ad account ${bad}`);
    expect(String(log.get(bad)!['hint'])).to.match(/role on that account.*config\.account_ids/);
    expect(String(log.get(bad)!['hint'])).to.not.include('api_version');
    // Alone, the account's refusal is a permission failure (exit 4), not a config error of the run (2).
    // (Run here as Meltano runs it: the hint, in the log and in sync_log, names Meltano's setting.)
    const alone = await runTap({ now: rig.sb.now(), config: tapConfig(rig.sb, rig.rec.baseUrl, { account_ids: [bad] }), catalog: catalogSelecting(['campaigns', 'sync_log']), dir: rig.tmp.dir, env: { MELTANO_EXTRACTOR_NAME: 'tap-facebook-ads' } });
    expect(alone.code, alone.stderr.slice(-1500)).to.equal(4);
    const meltanoHint = 'drop it from the account_ids setting (`meltano config set tap-facebook-ads account_ids …`)';
    expect(String(alone.records('sync_log')[0]!['hint'])).to.include(meltanoHint);
    expect(alone.logs().filter((l) => l['level'] === 'error' && String(l['hint']).includes(meltanoHint)).length).to.be.greaterThan(0);
    expect(alone.stderr).to.not.include('config.account_ids');
  });

  // airbytehq/airbyte#78488: when a job failed twice, Airbyte's field split re-sent the breakdown column
  // inside fields= and Meta (v23+) refused the whole report with "(#100) country is not valid for fields
  // param". The split path must keep breakdowns out of fields= like the first run does.
  it('splits a failing ad × country report without ever sending the breakdown in fields=, and delivers the same rows as a healthy run (airbyte#78488)', async () => {
    const acct = rig.sb.world.accounts[0]!;
    const report = { name: 'insights_ad_country', level: 'ad' as const, breakdowns: ['country'], fields: ['spend', 'impressions'] };
    const config = tapConfig(rig.sb, rig.rec.baseUrl, {
      insights_reports: [report],
      insights_job_stall_seconds: 0.3,
      insights_max_days_per_job: 3,
    });
    const run = (): Promise<TapRun> => runTap({ now: rig.sb.now(), config, catalog: catalogSelecting(['insights_ad_country', 'sync_log'], { insights_reports: [report] }), args: ['--account', acct.accountId, '--days', String(DAYS)], dir: rig.tmp.dir });
    const rowsOf = (t: TapRun): string[] =>
      t
        .records('insights_ad_country')
        .map((x) => `${String(x['ad_id'])}|${String(x['date_start'])}|${String(x['country'])}|${String(x['spend'])}`)
        .sort();

    const healthy = await run();
    expect(healthy.code, healthy.stderr.slice(-1500)).to.equal(0);
    rig.sb.resetStats();
    rig.sb.faults.add({ kind: 'job_failed', path: `^/act_${acct.accountId}/insights$`, times: 4 });
    const mark = rig.rec.calls.length;
    const r = await run();
    expect(r.code, r.stderr.slice(-1500)).to.equal(0);
    expect(rig.sb.stats().faultsFired['job_failed']).to.equal(4);
    const calls = rig.rec.calls.slice(mark).filter((c) => /\/insights$/.test(c.path));
    expect(calls.filter((c) => c.method === 'POST' && /^\/\d+\/insights$/.test(c.path)).length, 'split jobs on campaigns, ad sets or ads').to.be.greaterThan(0);
    for (const c of calls) expect(c.params.get('fields') ?? '', `${c.method} ${c.path}`).to.not.match(/(^|,)country(,|$)/);
    const got = rowsOf(r);
    expect(got.length).to.be.greaterThan(0);
    expect(new Set(got).size, 'no row twice').to.equal(got.length);
    expect(got).to.deep.equal(rowsOf(healthy));
  });
});
