// A parent's status change reaches the warehouse's children (issue 18 part 6): pausing a campaign,
// archiving an ad set or resuming a campaign between two runs changes the children's
// effective_status in DuckDB after the next run, although Meta does not move the children's
// updated_time. The tap re-reads only the children of the parents that changed, by parent id.
import { expect } from 'chai';
import { startSandbox, type Sandbox } from '../../../connector/sandbox/index.js';
import { effectiveStatus } from '../../../connector/sandbox/world.js';
import { openWarehouse, runLoader, type Warehouse } from '../target/harness.js';
import { killRunningTaps, logMessages, recordingProxy, runTap, tapConfig, tempDir, TEST_TODAY, type Recorder, type TapRun } from './helpers.js';

const ENTITY = ['campaigns', 'ad_sets', 'ads'];

describe('tap-facebook-ads: a parent status change reaches its children in the warehouse (child process → DuckDB)', function () {
  this.timeout(120_000);
  let sb: Sandbox;
  let rec: Recorder;
  let tmp: ReturnType<typeof tempDir>;
  let wh: Warehouse;
  let catalog: { streams: Array<{ stream: string; metadata: Array<{ metadata: Record<string, unknown> }> }> };
  let config: Record<string, unknown>;
  let acct: Sandbox['world']['accounts'][number];
  let state: unknown;

  const run = async (): Promise<TapRun> => {
    const r = await runTap({ now: sb.now(), config, catalog, state, args: ['--account', acct.accountId], dir: tmp.dir });
    expect(r.code, r.stderr.slice(-2000)).to.equal(0);
    const loaded = await runLoader(wh, r.stdout);
    expect(loaded.error?.message).to.equal(undefined);
    state = r.lastState();
    return r;
  };
  /** effective_status per id as the warehouse holds it. */
  const warehouseStatus = async (table: string): Promise<Map<string, string>> => new Map((await wh.rows(table)).map((r) => [String(r['id']), String(r['effective_status'])]));

  before(async () => {
    sb = await startSandbox({ world: 'small', today: TEST_TODAY });
    rec = await recordingProxy(sb.baseUrl);
    tmp = tempDir();
    wh = await openWarehouse('duckdb');
    config = tapConfig(sb, rec.baseUrl, { start_date: TEST_TODAY });
    const discovered = await runTap({ now: sb.now(), config, args: ['--discover'], dir: tmp.dir, rawStdout: true });
    catalog = JSON.parse(discovered.stdout) as typeof catalog;
    for (const s of catalog.streams) s.metadata[0]!.metadata['selected'] = ENTITY.includes(s.stream);
    acct = sb.world.accounts.find((a) => sb.world.campaigns.filter((c) => c.accountId === a.accountId && c.status === 'ACTIVE').length >= 2)!;
    await run();
  });
  after(async () => {
    killRunningTaps();
    await rec?.close();
    await sb?.close();
    await wh?.close();
    tmp?.cleanup();
  });

  it("first run: the warehouse holds every object with Meta's effective_status and the state remembers the paused parents", async () => {
    const sets = await warehouseStatus('ad_sets');
    for (const s of sb.world.adsets.filter((x) => x.accountId === acct.accountId && x.status !== 'DELETED')) expect(sets.get(s.id), s.id).to.equal(effectiveStatus(sb.world, s));
    const bm = (state as { bookmarks: Record<string, Record<string, Record<string, unknown>>> }).bookmarks;
    const paused = sb.world.campaigns
      .filter((c) => c.accountId === acct.accountId && c.status === 'PAUSED')
      .map((c) => c.id)
      .sort();
    expect(bm['campaigns']![acct.accountId]!['paused_ids']).to.deep.equal(paused);
    expect(bm['ad_sets']![acct.accountId]!['paused_ids']).to.be.an('array');
  });

  describe('after the advertiser pauses a campaign and archives an ad set of another campaign', () => {
    let r2: TapRun;
    let mark: number;
    let paused: Sandbox['world']['campaigns'][number];
    let archived: Sandbox['world']['adsets'][number];
    before(async () => {
      const active = sb.world.campaigns.filter((c) => c.accountId === acct.accountId && c.status === 'ACTIVE' && c.adsetIds.length > 0);
      paused = active[0]!;
      archived = sb.world.adsets.find((s) => s.campaignId === active[1]!.id && s.status === 'ACTIVE' && s.adIds.length > 0)!;
      expect(archived, 'the world has an active ad set with ads in a second active campaign').to.not.equal(undefined);
      sb.setStatus(paused.id, 'PAUSED');
      sb.setStatus(archived.id, 'ARCHIVED');
      mark = rec.calls.length;
      r2 = await run();
    });

    it("the warehouse shows the children's parent-driven effective_status (CAMPAIGN_PAUSED, ARCHIVED)", async () => {
      const sets = await warehouseStatus('ad_sets');
      const ads = await warehouseStatus('ads');
      let campaignPaused = 0;
      for (const s of sb.world.adsets.filter((x) => x.campaignId === paused.id && x.status !== 'DELETED')) {
        expect(sets.get(s.id), s.id).to.equal(effectiveStatus(sb.world, s));
        if (sets.get(s.id) === 'CAMPAIGN_PAUSED') campaignPaused++;
      }
      expect(campaignPaused, 'some ad set of the paused campaign was ACTIVE').to.be.greaterThan(0);
      for (const a of sb.world.ads.filter((x) => (x.campaignId === paused.id || x.adsetId === archived.id) && x.status !== 'DELETED')) {
        expect(ads.get(a.id), a.id).to.equal(effectiveStatus(sb.world, a));
      }
      expect(sb.world.ads.filter((a) => a.adsetId === archived.id).some((a) => ads.get(a.id) === 'ARCHIVED')).to.equal(true);
      expect([...ads.values()]).to.include('CAMPAIGN_PAUSED');
    });

    it('re-reads only the children of the changed parents, with one filtered call per child edge', () => {
      const calls = rec.calls.slice(mark);
      const byParent = calls.filter((c) => /campaign\.id|adset\.id/.test(c.params.get('filtering') ?? ''));
      expect(byParent.map((c) => `${c.path} ${/campaign\.id|adset\.id/.exec(c.params.get('filtering')!)![0]}`).sort()).to.deep.equal([`/act_${acct.accountId}/ads adset.id`, `/act_${acct.accountId}/ads campaign.id`, `/act_${acct.accountId}/adsets campaign.id`].sort());
      const setIds = r2.records('ad_sets').map((x) => String(x['id']));
      // include_deleted (the default) lists DELETED children too.
      const expectedSets = new Set([archived.id, ...sb.world.adsets.filter((s) => s.campaignId === paused.id).map((s) => s.id)]);
      expect(new Set(setIds)).to.deep.equal(expectedSets);
      const adIds = new Set(r2.records('ads').map((x) => String(x['id'])));
      const expectedAds = sb.world.ads.filter((a) => a.campaignId === paused.id || a.adsetId === archived.id).map((a) => a.id);
      expect(adIds).to.deep.equal(new Set(expectedAds));
    });

    it('a run with nothing changed re-reads no children; a day later, resuming the campaign brings its children back to ACTIVE', async () => {
      mark = rec.calls.length;
      const r3 = await run();
      expect(rec.calls.slice(mark).filter((c) => /campaign\.id|adset\.id/.test(c.params.get('filtering') ?? ''))).to.deep.equal([]);
      expect(r3.records('ad_sets')).to.deep.equal([]);
      // A day later (a change at the bookmark's own instant would not be newer than it), among the
      // world's own daily edits, which pause and archive other parents too.
      sb.advanceDay();
      sb.setStatus(paused.id, 'ACTIVE');
      await run();
      const sets = await warehouseStatus('ad_sets');
      for (const s of sb.world.adsets.filter((x) => x.campaignId === paused.id && x.status !== 'DELETED')) expect(sets.get(s.id), s.id).to.equal(effectiveStatus(sb.world, s));
      expect([...sets.values()].filter((v) => v === 'CAMPAIGN_PAUSED')).to.have.length(sb.world.adsets.filter((s) => s.accountId === acct.accountId && effectiveStatus(sb.world, s) === 'CAMPAIGN_PAUSED').length);
    });
  });
});

/**
 * Call inside a describe(): a small-world sandbox of the test's own (it edits the world), a temp dir
 * and a catalog selecting the entity streams, set up by `start()` and ended in after().
 */
function entityRig(): { sb: Sandbox; tmp: ReturnType<typeof tempDir>; config: Record<string, unknown>; catalog: unknown; start(): Promise<void> } {
  const h = {} as ReturnType<typeof entityRig>;
  after(async () => {
    killRunningTaps();
    await h.sb?.close();
    h.tmp?.cleanup();
  });
  h.start = async () => {
    h.sb = await startSandbox({ world: 'small', today: TEST_TODAY });
    h.tmp = tempDir();
    h.config = tapConfig(h.sb, h.sb.baseUrl, { start_date: TEST_TODAY });
    const discovered = await runTap({ now: h.sb.now(), config: h.config, args: ['--discover'], dir: h.tmp.dir, rawStdout: true });
    const catalog = JSON.parse(discovered.stdout) as { streams: Array<{ stream: string; metadata: Array<{ metadata: Record<string, unknown> }> }> };
    for (const s of catalog.streams) s.metadata[0]!.metadata['selected'] = ENTITY.includes(s.stream);
    h.catalog = catalog;
  };
  return h;
}

describe('tap-facebook-ads: a status change is not lost when the children fail to read (child process)', function () {
  this.timeout(120_000);
  const rig = entityRig();

  it("keeps the parents' bookmarks when the ads read fails, so the next run still re-reads the paused campaign's children", async () => {
    await rig.start();
    const { sb, tmp, config, catalog } = rig;
    const acct = sb.world.accounts[0]!;
    const args = ['--account', acct.accountId];
    const r1 = await runTap({ now: sb.now(), config, catalog, args, dir: tmp.dir });
    expect(r1.code, r1.stderr.slice(-1500)).to.equal(0);
    const camp = sb.world.campaigns.find((c) => c.accountId === acct.accountId && c.status === 'ACTIVE' && c.adsetIds.length > 0)!;
    sb.setStatus(camp.id, 'PAUSED');
    sb.faults.add({ kind: 'account_forbidden', path: `^/act_${acct.accountId}/ads$` });
    const r2 = await runTap({ now: sb.now(), config, catalog, args, state: r1.lastState(), dir: tmp.dir });
    expect(r2.code, r2.stderr.slice(-1500)).to.not.equal(0);
    const before = (r1.lastState() as { bookmarks: Record<string, Record<string, unknown>> }).bookmarks;
    const held = (r2.lastState() as { bookmarks: Record<string, Record<string, unknown>> }).bookmarks;
    expect(held['campaigns']![acct.accountId], 'campaigns bookmark held back').to.deep.equal(before['campaigns']![acct.accountId]);
    expect(held['ad_sets']![acct.accountId]).to.deep.equal(before['ad_sets']![acct.accountId]);
    sb.faults.clear();
    const r3 = await runTap({ now: sb.now(), config, catalog, args, state: r2.lastState(), dir: tmp.dir });
    expect(r3.code, r3.stderr.slice(-1500)).to.equal(0);
    const ads = new Map(r3.records('ads').map((a) => [String(a['id']), String(a['effective_status'])]));
    const children = sb.world.ads.filter((a) => a.campaignId === camp.id);
    expect(children.length).to.be.greaterThan(0);
    for (const a of children) expect(ads.get(a.id), a.id).to.equal(effectiveStatus(sb.world, a));
    expect([...ads.values()]).to.include('CAMPAIGN_PAUSED');
  });
});

describe("tap-facebook-ads: a child found again unchanged at its bookmark still takes its parent's new status (child process)", function () {
  this.timeout(120_000);
  const rig = entityRig();

  it('emits an ad edited just before the previous read once its campaign is paused, with CAMPAIGN_PAUSED', async () => {
    await rig.start();
    const { sb, tmp, config, catalog } = rig;
    const ad = sb.world.ads.find((a) => effectiveStatus(sb.world, a) === 'ACTIVE')!;
    const args = ['--account', ad.accountId];
    // Edited as the first read runs: at or after that read's bookmark, so the next read finds it again.
    sb.rename(ad.id, `${ad.name} (renamed)`);
    const r1 = await runTap({ now: sb.now(), config, catalog, args, dir: tmp.dir });
    expect(r1.code, r1.stderr.slice(-1500)).to.equal(0);
    expect(r1.records('ads').find((a) => a['id'] === ad.id)?.['effective_status']).to.equal('ACTIVE');
    sb.advanceSeconds(60);
    sb.setStatus(ad.campaignId, 'PAUSED');
    const r2 = await runTap({ now: sb.now(), config, catalog, args, state: r1.lastState(), dir: tmp.dir });
    expect(r2.code, r2.stderr.slice(-1500)).to.equal(0);
    expect(logMessages(r2)).to.include('found 1 ads again unchanged at the bookmark; not emitted again');
    const emitted = r2.records('ads').filter((a) => a['id'] === ad.id);
    expect(emitted.map((a) => a['effective_status'])).to.deep.equal(['CAMPAIGN_PAUSED']);
  });
});
