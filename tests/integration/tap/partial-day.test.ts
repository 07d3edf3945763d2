// The account's "today" of a run is read while still in progress: a partial day. The next run must
// read it again in full even when it comes more than the lookback later; it used to start the day
// after the bookmark, so the partial day's spend stayed in the warehouse for ever.
import { expect } from 'chai';
import { addDays, dayInZone } from '../../../connector/core/dates.js';
import { catalogSelecting, runTap, sandboxedTap, tapConfig, TEST_TODAY, type TapRun } from './helpers.js';

describe('tap-facebook-ads re-reads a day it read in progress, however late the next run (child process)', function () {
  this.timeout(120_000);
  const rig = sandboxedTap();
  const lookback = 2;
  const gapDays = lookback + 3;
  const run = (state?: unknown): Promise<TapRun> =>
    runTap({ now: rig.sb.now(), config: tapConfig(rig.sb, rig.rec.baseUrl, { start_date: addDays(TEST_TODAY, -3), insights_lookback_days: lookback }), catalog: catalogSelecting(['insights_account']), ...(state ? { state } : {}), dir: rig.tmp.dir });
  const spendOf = (r: TapRun, accountId: string, day: string): string | undefined => {
    const rows = r.records('insights_account').filter((x) => x['account_id'] === accountId && x['date_start'] === day);
    return rows.length ? String(rows.at(-1)!['spend']) : undefined;
  };

  it("the final value of the first run's \"today\" is the complete day's, in each account's own time zone", async () => {
    const first = await run();
    expect(first.code, first.stderr.slice(-2000)).to.equal(0);
    const accounts = rig.sb.world.accounts;
    const firstToday = new Map(accounts.map((a) => [a.accountId, dayInZone(rig.sb.now(), a.timezone)]));
    rig.sb.advanceDay(gapDays);
    const second = await run(first.lastState());
    expect(second.code, second.stderr.slice(-2000)).to.equal(0);

    let partialBefore = 0;
    for (const a of accounts) {
      const day = firstToday.get(a.accountId)!;
      const truth = rig.sb.expectedInsights({ accountId: a.accountId, level: 'account', since: day, until: day })[0]?.['spend'];
      const final = spendOf(second, a.accountId, day) ?? spendOf(first, a.accountId, day);
      expect(final, `account ${a.accountId} (${a.timezone}) on ${day}`).to.equal(truth);
      if (spendOf(first, a.accountId, day) !== truth) partialBefore++;
    }
    // The first run did read partial days: without the re-read above they would have stayed.
    expect(partialBefore, 'accounts whose first-run "today" was partial').to.be.greaterThan(0);
  });
});
