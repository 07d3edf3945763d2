// Meta's `Date` header caps the entity bookmarks (tap/entity-bookmark.ts). When this machine's clock
// and Meta's disagree by more than the bookmark margin, the run says so once: on stderr as a JSON
// warning naming both times and what they affect, and in the sync summary (`clock_skew`). The tap's
// clock is pinned (FB_ADS_ELT_NOW) away from the sandbox's world clock, which stamps its Date header.
import { expect } from 'chai';
import { startSandbox, type Sandbox } from '../../../connector/sandbox/index.js';
import { BOOKMARK_MARGIN_SECONDS } from '../../../connector/tap/entity-bookmark.js';
import { catalogSelecting, killRunningTaps, runTap, tapConfig, tempDir, TEST_TODAY, type TapRun } from './helpers.js';

describe("tap-facebook-ads: Meta's clock against this machine's (child process, sandbox)", function () {
  this.timeout(60_000);
  let sb: Sandbox;
  let tmp: ReturnType<typeof tempDir>;
  let account: string;

  before(async () => {
    sb = await startSandbox({ world: 'small', today: TEST_TODAY });
    tmp = tempDir();
    account = sb.world.accounts.find((a) => a.campaignIds.length > 0 && !a.isPersonal)!.accountId;
  });
  after(async () => {
    killRunningTaps();
    await sb?.close();
    tmp?.cleanup();
  });

  /** A run whose clock is `offsetSeconds` away from the world clock (Meta's Date). */
  const runAt = (offsetSeconds: number): Promise<TapRun> =>
    runTap({
      now: new Date(sb.now().getTime() + offsetSeconds * 1000),
      config: tapConfig(sb, sb.baseUrl, { start_date: TEST_TODAY }),
      catalog: catalogSelecting(['campaigns', 'ad_sets']),
      args: ['--account', account],
      dir: tmp.dir,
    });
  const skewWarnings = (r: TapRun): Array<Record<string, unknown>> => r.logs().filter((l) => l['level'] === 'warn' && l['clock_skew'] !== undefined);

  it('warns once, naming both times and the bookmarks, and records the skew in the summary when this machine is 20 minutes behind', async () => {
    const r = await runAt(-1200);
    expect(r.code, r.stderr.slice(-1500)).to.equal(0);
    const warns = skewWarnings(r);
    expect(warns, 'one warning for the whole run (two streams, several calls)').to.have.length(1);
    const msg = String(warns[0]!['msg']);
    const meta = sb.now().toISOString();
    const summary = r.logs().find((l) => l['type'] === 'summary')!;
    const skew = summary['clock_skew'] as { meta_date: string; local_time: string; skew_seconds: number };
    expect(skew.meta_date).to.equal(meta);
    // The pinned clock moves on with elapsed time from its start (core/clock.ts): allow the run's length.
    const local = Date.parse(skew.local_time) - (sb.now().getTime() - 1200_000);
    expect(local).to.be.within(0, 30_000);
    expect(skew.skew_seconds).to.equal(Math.round((sb.now().getTime() - Math.floor(Date.parse(skew.local_time) / 1000) * 1000) / 1000));
    expect(skew.skew_seconds).to.be.within(1170, 1200);
    expect(msg).to.include(`Date header ${meta}`).and.to.include(`this machine's clock (${skew.local_time})`).and.to.include(`${skew.skew_seconds} s`).and.to.include(`${BOOKMARK_MARGIN_SECONDS} s margin`).and.to.include('bookmarks');
    expect(String(warns[0]!['hint'])).to.match(/NTP/);
    expect(String(summary['msg'])).to.include(`Meta's clock ${skew.skew_seconds} s ahead of this machine's`);
  });

  it('says nothing when the clocks agree within the margin', async () => {
    const r = await runAt(-(BOOKMARK_MARGIN_SECONDS - 60));
    expect(r.code, r.stderr.slice(-1500)).to.equal(0);
    expect(skewWarnings(r)).to.have.length(0);
    expect(r.logs().find((l) => l['type'] === 'summary')!['clock_skew']).to.equal(undefined);
  });
});
