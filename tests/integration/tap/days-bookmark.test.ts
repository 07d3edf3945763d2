// `--days N` (sync --days, serve's {"days": N}) reads only the last N days. Its insights bookmark
// must not claim the days before them: a first run with --days used to set the bookmark to today,
// and every later run then read only the lookback, so the days from start_date up to it were never
// read, without a word.
import { expect } from 'chai';
import { addDays, dayInZone } from '../../../connector/core/dates.js';
import { catalogSelecting, runTap, sandboxedTap, tapConfig, TEST_TODAY } from './helpers.js';

describe('tap-facebook-ads --days and the insights bookmark (child process)', function () {
  this.timeout(120_000);
  const rig = sandboxedTap();
  const start = addDays(TEST_TODAY, -20);
  const run = (args: string[], state?: unknown) => runTap({ now: rig.sb.now(), config: tapConfig(rig.sb, rig.rec.baseUrl, { start_date: start, insights_lookback_days: 2 }), catalog: catalogSelecting(['insights_account']), args, ...(state ? { state } : {}), dir: rig.tmp.dir });
  const bookmarks = (state: Record<string, unknown> | undefined): Record<string, { date_start?: string }> => ((state?.['bookmarks'] as Record<string, unknown> | undefined)?.['insights_account'] ?? {}) as Record<string, { date_start?: string }>;

  it('a first run with --days leaves no bookmark, so the next run still reads from start_date', async () => {
    const first = await run(['--days', '3']);
    expect(first.code, first.stderr.slice(-2000)).to.equal(0);
    expect(first.records('insights_account').length).to.be.greaterThan(0);
    expect(bookmarks(first.lastState())).to.deep.equal({});
    const next = await run([], first.lastState());
    expect(next.code, next.stderr.slice(-2000)).to.equal(0);
    const days = next.records('insights_account').map((r) => String(r['date_start']));
    expect(days.reduce((a, b) => (a < b ? a : b))).to.equal(start);
  });

  it('a --days run that joins the bookmark moves it to today, as a normal run does', async () => {
    const full = await run([]);
    expect(full.code, full.stderr.slice(-2000)).to.equal(0);
    const days = await run(['--days', '3'], full.lastState());
    expect(days.code, days.stderr.slice(-2000)).to.equal(0);
    const after = bookmarks(days.lastState());
    const [account] = rig.sb.world.accounts;
    expect(after[account!.accountId]?.date_start).to.equal(dayInZone(rig.sb.now(), account!.timezone));
  });
});
