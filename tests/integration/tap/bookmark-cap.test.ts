// An edit made while the tap pages through an edge is never lost: object A, on a page already read,
// is edited during the read, and object B, on a later page, is edited later still. Before the fix the
// bookmark became B's updated_time and the next run (updated_time GREATER_THAN it) never returned A's
// edit. Now the bookmark stays at the read's start in Meta's clock (the first answer's Date header)
// minus a margin, and the next run reads at or after it.
import { expect } from 'chai';
import { startSandbox, type Sandbox } from '../../../connector/sandbox/index.js';
import { effectiveStatus } from '../../../connector/sandbox/world.js';
import { BOOKMARK_MARGIN_SECONDS } from '../../../connector/tap/entity-bookmark.js';
import { killRunningTaps, recordingProxy, runTap, tapConfig, tempDir, TEST_TODAY, type RecordedCall, type Recorder, type TapRun } from './helpers.js';

type Bookmarks = Record<string, Record<string, Record<string, unknown>>>;
const rfc = (unix: number): string => new Date(unix * 1000).toISOString().replace('.000Z', 'Z');

describe('tap-facebook-ads: an edit made during a multi-page read reaches the next run (child process, sandbox)', function () {
  this.timeout(120_000);
  let sb: Sandbox;
  let rec: Recorder;
  let tmp: ReturnType<typeof tempDir>;
  let catalog: { streams: Array<{ stream: string; metadata: Array<{ metadata: Record<string, unknown> }> }> };
  let acct: Sandbox['world']['accounts'][number];
  /** The account's listed campaigns in the order the edge serves them (newest created first). */
  let listed: Sandbox['world']['campaigns'];
  /** Runs between two pages of the campaigns edge, once. */
  let duringRead: ((call: RecordedCall) => void) | undefined;
  let state: unknown;

  const run = async (withState: unknown): Promise<TapRun> => {
    // One campaign a page: the read spans as many pages as the account lists campaigns.
    const r = await runTap({ now: sb.now(), config: tapConfig(sb, rec.baseUrl, { start_date: TEST_TODAY, page_size: 1 }), catalog, state: withState, args: ['--account', acct.accountId], dir: tmp.dir });
    expect(r.code, r.stderr.slice(-2000)).to.equal(0);
    return r;
  };
  const campaignsLog = (r: TapRun): Record<string, unknown> => (r.records('sync_log')[0]!['streams'] as Array<Record<string, unknown>>).find((s) => s['stream'] === 'campaigns')!;
  const campaignCalls = (from: number): RecordedCall[] => rec.calls.slice(from).filter((c) => c.path === `/act_${acct.accountId}/campaigns`);

  before(async () => {
    sb = await startSandbox({ world: 'small', today: TEST_TODAY });
    rec = await recordingProxy(sb.baseUrl, (call) => {
      if (call.path !== `/act_${acct.accountId}/campaigns` || !duringRead) return;
      const edit = duringRead;
      duringRead = undefined;
      edit(call);
    });
    tmp = tempDir();
    const discovered = await runTap({ now: sb.now(), config: tapConfig(sb, rec.baseUrl), args: ['--discover'], dir: tmp.dir, rawStdout: true });
    catalog = JSON.parse(discovered.stdout) as typeof catalog;
    for (const s of catalog.streams) s.metadata[0]!.metadata['selected'] = s.stream === 'campaigns' || s.stream === 'sync_log';
    const listedOf = (accountId: string) => sb.world.campaigns.filter((c) => c.accountId === accountId && !['ARCHIVED', 'DELETED'].includes(effectiveStatus(sb.world, c))).sort((a, b) => b.createdTime - a.createdTime || (a.id < b.id ? -1 : 1));
    acct = sb.world.accounts.find((a) => listedOf(a.accountId).length >= 3)!;
    expect(acct, 'the small world has an account with three listed campaigns').to.not.equal(undefined);
    listed = listedOf(acct.accountId);
    state = (await run(undefined)).lastState();
  });
  after(async () => {
    killRunningTaps();
    await rec?.close();
    await sb?.close();
    tmp?.cleanup();
  });

  describe('every campaign was edited since; during the next read, A (page 1) is edited after its page was served, then B (last page) later', () => {
    let a: Sandbox['world']['campaigns'][number];
    let b: Sandbox['world']['campaigns'][number];
    let readStart: number;
    let r2: TapRun;
    let r3: TapRun;
    let mark2: number;
    let mark3: number;
    before(async () => {
      a = listed[0]!;
      b = listed[listed.length - 1]!;
      // A bulk edit (an automated rule) before the run: the read returns every campaign, over several pages.
      for (const c of listed) sb.rename(c.id, `${c.name} (rule)`);
      readStart = sb.now().getTime() / 1000;
      duringRead = () => {
        sb.advanceSeconds(5);
        sb.rename(a.id, `${a.name} (edited during the read)`);
        sb.advanceSeconds(5);
        sb.rename(b.id, `${b.name} (edited later)`);
      };
      mark2 = rec.calls.length;
      r2 = await run(state);
      mark3 = rec.calls.length;
      r3 = await run(r2.lastState());
    });

    it('the read spanned several pages and A was edited after its page was served, B before its page was', () => {
      expect(campaignCalls(mark2).length).to.be.greaterThan(2);
      const a2 = r2.records('campaigns').find((r) => r['id'] === a.id)!;
      const b2 = r2.records('campaigns').find((r) => r['id'] === b.id)!;
      expect(a2['name']).to.match(/\(rule\)$/);
      expect(b2['name']).to.match(/edited later/);
      expect(Date.parse(String(b2['updated_time']))).to.be.greaterThan(a.updatedTime * 1000);
    });

    it("the next incremental run emits A's edit", () => {
      const a3 = r3.records('campaigns').find((r) => r['id'] === a.id);
      expect(a3?.['name'], 'A in the next run').to.equal(a.name);
      expect(a3?.['updated_time']).to.equal(rfc(a.updatedTime));
    });

    it("stores the bookmark at the read's start in Meta's clock (the first answer's Date) minus the margin, with the objects at or after it", () => {
      const bm = (r2.lastState() as { bookmarks: Bookmarks }).bookmarks['campaigns']![acct.accountId]!;
      expect(bm['updated_time']).to.equal(rfc(readStart - BOOKMARK_MARGIN_SECONDS));
      const boundary = bm['boundary'] as Record<string, string>;
      expect(boundary[b.id]).to.equal(rfc(b.updatedTime));
      expect(boundary[a.id], 'A as this read saw it, before its edit').to.equal(rfc(readStart));
    });

    it('asks Meta for updated_time at or after the bookmark (GREATER_THAN_OR_EQUAL), so no object stamped in its very second is lost', () => {
      const bm = (r2.lastState() as { bookmarks: Bookmarks }).bookmarks['campaigns']![acct.accountId]!;
      const calls = campaignCalls(mark3);
      expect(calls.length).to.be.greaterThan(0);
      for (const c of calls) {
        expect(JSON.parse(c.params.get('filtering')!)).to.deep.include({ field: 'campaign.updated_time', operator: 'GREATER_THAN_OR_EQUAL', value: Date.parse(String(bm['updated_time'])) / 1000 });
      }
    });

    it('counts honestly: the objects found again unchanged at the boundary are neither emitted nor counted, A counts as updated', () => {
      expect(r3.records('campaigns').map((r) => r['id'])).to.deep.equal([a.id]);
      expect(campaignsLog(r3)).to.include({ found: 1, added: 0, updated: 1 });
      expect(r3.logs().some((l) => String(l['msg']).startsWith(`found ${listed.length - 1} campaigns again unchanged at the bookmark`))).to.equal(true);
      expect(campaignsLog(r2)).to.include({ found: listed.length, added: 0, updated: listed.length });
    });
  });

  it('reads a bookmark written before this rule (Graph time format, no boundary) as before: from that instant on', async () => {
    const at = listed[1]!.updatedTime;
    const legacy = { bookmarks: { campaigns: { [acct.accountId]: { updated_time: new Date(at * 1000).toISOString().replace(/\.000Z$/, '+0000') } } } };
    const mark = rec.calls.length;
    const r = await run(legacy);
    expect(JSON.parse(campaignCalls(mark)[0]!.params.get('filtering')!)).to.deep.include({ field: 'campaign.updated_time', operator: 'GREATER_THAN_OR_EQUAL', value: at });
    const expected = listed.filter((c) => c.updatedTime >= at).map((c) => c.id);
    expect(
      r
        .records('campaigns')
        .map((x) => String(x['id']))
        .sort(),
    ).to.deep.equal(expected.sort());
  });
});
