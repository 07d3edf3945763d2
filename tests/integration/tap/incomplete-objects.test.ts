// 100/2446289 "Ad Creative Is Incomplete" beyond creatives: airbytehq/airbyte#65944 saw Meta's answer
// fail the ad_sets and ad_accounts streams too (Airbyte's fix, PR #66182, only reclassified the failure:
// the sync still stops). Here one refused ad set is skipped and the rest of the account read; one
// refused ad account is skipped for the run while the others are read, its bookmarks untouched. Each
// test has a sandbox of its own (the refusal is a lasting world change); clocks are pinned.
import { expect } from 'chai';
import { startSandbox, type Sandbox } from '../../../connector/sandbox/index.js';
import { catalogSelecting, killRunningTaps, runTap, tapConfig, tempDir, TEST_TODAY, type TapRun } from './helpers.js';

type State = { bookmarks: Record<string, Record<string, Record<string, unknown>>> };

describe('tap-facebook-ads: an ad set or ad account Meta refuses with 100/2446289 (child process, sandbox)', function () {
  this.timeout(120_000);
  let sb: Sandbox;
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(async () => {
    sb = await startSandbox({ world: 'small', today: TEST_TODAY });
    tmp = tempDir();
  });
  afterEach(async () => {
    killRunningTaps();
    await sb?.close();
    tmp?.cleanup();
  });
  const agency = (): { token: string; accounts: string[] } => {
    const t = sb.tokens.find((x) => x.label === 'agency')!;
    return { token: t.token, accounts: sb.world.users.find((u) => u.id === t.userId)!.accountIds };
  };
  const run = (streams: string[], state?: unknown): Promise<TapRun> =>
    runTap({
      now: sb.now(),
      config: tapConfig(sb, sb.baseUrl, { start_date: TEST_TODAY, access_tokens: [{ label: 'agency', token: agency().token }] }),
      catalog: catalogSelecting([...streams, 'sync_log']),
      ...(state ? { state } : {}),
      dir: tmp.dir,
    });

  it("skips the ad set Meta refuses with a warning and a skipped_objects entry, reads the account's other ad sets, moves the bookmark on with the refused id, and reads it by id once Meta serves it again", async () => {
    const first = await run(['ad_sets']);
    expect(first.code, first.stderr.slice(-1500)).to.equal(0);
    const acct = agency().accounts.find((a) => first.records('ad_sets').filter((r) => r['account_id'] === a).length >= 3)!;
    expect(acct, 'an account with three listed ad sets').to.not.equal(undefined);
    const listed = first
      .records('ad_sets')
      .filter((r) => r['account_id'] === acct)
      .map((r) => String(r['id']));
    const [broken, edited] = [listed[1]!, listed[0]!];
    sb.advanceSeconds(900);
    sb.rename(edited, 'edited after the first run');
    sb.makeIncomplete(broken);
    const before = first.lastState() as State;
    const r = await run(['ad_sets'], before);
    expect(r.code, r.stderr.slice(-1500)).to.equal(0);
    const rows = r.records('ad_sets').filter((x) => x['account_id'] === acct);
    expect(rows.map((x) => x['id']))
      .to.include(edited)
      .and.not.to.include(broken);
    expect(rows.find((x) => x['id'] === edited)!['name']).to.equal('edited after the first run');
    const warn = r.logs().find((l) => String(l['msg']).startsWith(`ad set ${broken} of account ${acct} cannot be read; skipped`));
    expect(warn, 'a warning names the ad set').to.not.equal(undefined);
    expect(warn!['graph_subcode']).to.equal(2446289);
    const summary = r.logs().find((l) => l['type'] === 'summary')!;
    expect((summary['skipped_objects'] as Array<Record<string, unknown>>).map((o) => `${String(o['account_id'])} ${String(o['object'])}`)).to.deep.equal([`${acct} ad set ${broken}`]);
    expect(String(summary['msg'])).to.include(`1 object skipped (ad set ${broken} of account ${acct})`);
    // The bookmark moves on (the edit is behind it) and carries the refused id, so later runs do not
    // re-read every ad set since the first run's bookmark while the ad set stays broken.
    const held = before.bookmarks['ad_sets']![acct]!;
    const second = (r.lastState() as State).bookmarks['ad_sets']![acct]!;
    expect(second['refused_ids']).to.deep.equal([broken]);
    expect(Date.parse(String(second['updated_time']))).to.be.greaterThan(Date.parse(String(held['updated_time'])));
    for (const l of r.records('sync_log')) expect(l['status'], String(l['account_id'])).to.equal('ok');

    // Still broken: asked for again by id (one Batch API call), still skipped, still carried.
    sb.advanceSeconds(900);
    const third = await run(['ad_sets'], r.lastState());
    expect(third.code, third.stderr.slice(-1500)).to.equal(0);
    expect(third.records('ad_sets').map((x) => x['id'])).to.not.include(broken);
    expect((third.lastState() as State).bookmarks['ad_sets']![acct]!['refused_ids']).to.deep.equal([broken]);

    // Fixed in Ads Manager without its updated_time moving (so no incremental filter would list it):
    // the next run reads it by id, emits it, and drops it from the bookmark.
    sb.makeIncomplete(broken, false);
    sb.advanceSeconds(900);
    const fourth = await run(['ad_sets'], third.lastState());
    expect(fourth.code, fourth.stderr.slice(-1500)).to.equal(0);
    expect(fourth.records('ad_sets').map((x) => x['id'])).to.deep.equal([broken]);
    expect((fourth.lastState() as State).bookmarks['ad_sets']![acct]).to.not.have.property('refused_ids');
    expect(fourth.logs().find((l) => String(l['msg']).startsWith('read again 1 ad_sets Meta refused in an earlier run: 1 read'))).to.not.equal(undefined);
  });

  it('skips an ad account Meta refuses for the run with a warning naming it, reads the other accounts, and leaves its bookmarks where they were', async () => {
    const first = await run(['campaigns', 'ad_sets']);
    expect(first.code, first.stderr.slice(-1500)).to.equal(0);
    const withCampaigns = agency().accounts.filter((a) => first.records('campaigns').some((c) => c['account_id'] === a));
    expect(withCampaigns.length, 'the agency token syncs several accounts with campaigns').to.be.greaterThan(1);
    const victim = withCampaigns[0]!;
    sb.advanceSeconds(900);
    sb.rename(String(first.records('campaigns').find((c) => c['account_id'] === victim)!['id']), 'edited after the first run');
    sb.makeIncomplete(victim);
    const before = first.lastState() as State;
    const r = await run(['campaigns', 'ad_sets', 'ad_accounts'], before);
    // Its ad_accounts row is not re-written and the stream not activated (the warehouse keeps the row): a partial run.
    expect(r.code, r.stderr.slice(-1500)).to.equal(5);
    const warn = r.logs().find((l) => String(l['msg']).startsWith(`account ${victim} skipped: ad account ${victim} is skipped for this run: Meta refuses to read it`));
    expect(warn, 'a warning names the account').to.not.equal(undefined);
    expect(String(warn!['hint'])).to.match(/Ads Manager/);
    expect(String(r.logs().find((l) => l['type'] === 'summary')!['msg'])).to.match(new RegExp(`1 skipped \\(${victim}\\)`));
    expect(r.records('campaigns').some((c) => c['account_id'] === victim)).to.equal(false);
    expect(r.records('ad_accounts').some((a) => a['account_id'] === victim)).to.equal(false);
    expect(
      r.messages.some((m) => m.type === 'ACTIVATE_VERSION' && m.stream === 'ad_accounts'),
      'ad_accounts is not activated',
    ).to.equal(false);
    const others = r.records('sync_log').filter((x) => x['account_id'] !== victim);
    expect(others.map((x) => x['account_id'])).to.include.members(withCampaigns.slice(1));
    const after = r.lastState() as State;
    for (const s of ['campaigns', 'ad_sets']) expect(after.bookmarks[s]![victim], s).to.deep.equal(before.bookmarks[s]![victim]);
    const log = r.records('sync_log').find((l) => l['account_id'] === victim)!;
    expect(log['status']).to.equal('skipped');
    expect(log['error_class']).to.equal('data');
    for (const l of others) expect(l['status'], String(l['account_id'])).to.equal('ok');
  });
});
