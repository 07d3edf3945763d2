// Attribution as Ads Manager shows it (issue 18 part 6): use_unified_attribution_setting and
// use_account_attribution_setting go on every insights call, into every row and into the state;
// changing them warns and re-reads from start_date; a state written before they existed does not
// re-read; 7d_view/28d_view (gone since 2026-01-12) are refused before any call.
import { expect } from 'chai';
import { startSandbox, type Sandbox } from '../../../connector/sandbox/index.js';
import { addDays, dayInZone } from '../../../connector/core/dates.js';
import { killRunningTaps, recordingProxy, runTap, schemaProblems, tapConfig, tempDir, TEST_TODAY, type Recorder, type TapRun } from './helpers.js';

type Bookmarks = { bookmarks: Record<string, Record<string, Record<string, unknown>>> };

describe('tap-facebook-ads: attribution settings and removed windows (child process)', function () {
  this.timeout(120_000);
  let sb: Sandbox;
  let rec: Recorder;
  let tmp: ReturnType<typeof tempDir>;
  let catalog: { streams: Array<{ stream: string; metadata: Array<{ metadata: Record<string, unknown> }> }> };
  let acct: Sandbox['world']['accounts'][number];
  let start: string;

  const run = async (extra: Record<string, unknown>, state?: unknown): Promise<{ r: TapRun; posts: URLSearchParams[] }> => {
    const mark = rec.calls.length;
    const r = await runTap({ now: sb.now(), config: tapConfig(sb, rec.baseUrl, { start_date: start, insights_lookback_days: 1, ...extra }), catalog, state, args: ['--account', acct.accountId], dir: tmp.dir });
    expect(r.code, r.stderr.slice(-2000)).to.equal(0);
    const posts = rec.calls
      .slice(mark)
      .filter((c) => c.method === 'POST' && /\/insights$/.test(c.path))
      .map((c) => c.params);
    expect(posts.length).to.be.greaterThan(0);
    return { r, posts };
  };
  const sinceOf = (p: URLSearchParams): string => (JSON.parse(p.get('time_range')!) as { since: string }).since;

  before(async () => {
    sb = await startSandbox({ world: 'small', today: TEST_TODAY });
    rec = await recordingProxy(sb.baseUrl);
    tmp = tempDir();
    acct = sb.world.accounts[0]!;
    start = addDays(dayInZone(sb.now(), acct.timezone), -5);
    const discovered = await runTap({ now: sb.now(), config: tapConfig(sb, rec.baseUrl), args: ['--discover'], dir: tmp.dir, rawStdout: true });
    catalog = JSON.parse(discovered.stdout) as typeof catalog;
    for (const s of catalog.streams) s.metadata[0]!.metadata['selected'] = s.stream === 'insights_account' || s.stream === 'sync_log';
  });
  after(async () => {
    killRunningTaps();
    await rec?.close();
    await sb?.close();
    tmp?.cleanup();
  });

  for (const windows of [
    ['7d_click', '28d_view'],
    ['7d_view', '1d_click'],
  ]) {
    it(`refuses action_attribution_windows ${JSON.stringify(windows)} with exit 2 naming 2026-01-12, before any Graph call`, async () => {
      const mark = rec.calls.length;
      const r = await runTap({ now: sb.now(), config: tapConfig(sb, rec.baseUrl, { action_attribution_windows: windows }), catalog, dir: tmp.dir });
      expect(r.code, r.stderr).to.equal(2);
      expect(r.stdout).to.equal('');
      const last = r.logs().at(-1)!;
      expect(String(last['msg'])).to.match(/(7d_view|28d_view).*no longer returns since 2026-01-12/);
      expect(String(last['hint'])).to.match(/Remove (7d_view|28d_view)/);
      expect(rec.calls.length - mark).to.equal(0);
    });
  }

  it('refuses use_account_attribution_setting while unified attribution is on (Meta would ignore it), exit 2', async () => {
    const r = await runTap({ now: sb.now(), config: tapConfig(sb, rec.baseUrl, { use_account_attribution_setting: true }), catalog, dir: tmp.dir });
    expect(r.code, r.stderr).to.equal(2);
    expect(String(r.logs().at(-1)!['msg'])).to.match(/use_account_attribution_setting is true while use_unified_attribution_setting is true/);
  });

  describe('a first run with the defaults, then runs that keep or change the settings', () => {
    let first: { r: TapRun; posts: URLSearchParams[] };
    before(async () => (first = await run({})));

    it('sends use_unified_attribution_setting=true and use_account_attribution_setting=false on every insights call', () => {
      for (const p of first.posts) {
        expect(p.get('use_unified_attribution_setting')).to.equal('true');
        expect(p.get('use_account_attribution_setting')).to.equal('false');
      }
    });

    it('records both settings in every insights row (declared in its schema) and in the bookmark', () => {
      const rows = first.r.records('insights_account');
      expect(rows.length).to.be.greaterThan(0);
      for (const row of rows) {
        expect(row['use_unified_attribution_setting']).to.equal(true);
        expect(row['use_account_attribution_setting']).to.equal(false);
      }
      expect(schemaProblems(first.r.messages)).to.deep.equal([]);
      const bm = (first.r.lastState() as Bookmarks).bookmarks['insights_account']![acct.accountId]!;
      expect(bm).to.include({ use_unified_attribution_setting: true, use_account_attribution_setting: false });
    });

    it('a bookmark written before the settings existed counts as the defaults: only the lookback is re-read, no warning', async () => {
      const old = structuredClone(first.r.lastState()) as Bookmarks;
      const bm = old.bookmarks['insights_account']![acct.accountId]!;
      delete bm['use_unified_attribution_setting'];
      delete bm['use_account_attribution_setting'];
      const { r, posts } = await run({}, old);
      for (const p of posts) expect(sinceOf(p) > start, sinceOf(p)).to.equal(true);
      expect(r.logs().filter((l) => /re-reading insights/.test(String(l['msg'])))).to.deep.equal([]);
    });

    it("switching to the account's attribution setting warns, re-reads from start_date and records the new settings", async () => {
      const { r, posts } = await run({ use_unified_attribution_setting: false, use_account_attribution_setting: true }, first.r.lastState());
      expect(posts.map(sinceOf)).to.include(start);
      for (const p of posts) {
        expect(p.get('use_unified_attribution_setting')).to.equal('false');
        expect(p.get('use_account_attribution_setting')).to.equal('true');
      }
      const warn = r.logs().find((l) => /re-reading insights from/.test(String(l['msg'])));
      expect(String(warn?.['msg'])).to.match(/use_unified_attribution_setting changed from true to false/);
      // Only from start_date: a table loaded from an earlier start_date keeps rows of the old settings before it.
      expect(String(warn?.['msg'])).to.include(`days before ${start} that earlier runs loaded keep the earlier settings (each row records its own): move start_date back`);
      const rows = r.records('insights_account');
      expect(rows.map((x) => x['date_start'])).to.include(start);
      for (const row of rows) expect([row['use_unified_attribution_setting'], row['use_account_attribution_setting']]).to.deep.equal([false, true]);
      expect((r.lastState() as Bookmarks).bookmarks['insights_account']![acct.accountId]).to.include({ use_unified_attribution_setting: false, use_account_attribution_setting: true });
      // The days the first run loaded come back under the same keys: counted as re-read, neither added nor updated.
      const before = String((first.r.lastState() as Bookmarks).bookmarks['insights_account']![acct.accountId]!['date_start']);
      const log = r.records('sync_log').find((x) => x['account_id'] === acct.accountId)!;
      const counted = (log['streams'] as Record<string, unknown>[]).find((x) => x['stream'] === 'insights_account')!;
      const fresh = rows.filter((x) => String(x['date_start']) > before).length;
      expect(rows.length - fresh).to.be.greaterThan(0);
      expect([counted['added'], counted['updated'], counted['reread']]).to.deep.equal([fresh, 0, rows.length - fresh]);
    });
  });
});
