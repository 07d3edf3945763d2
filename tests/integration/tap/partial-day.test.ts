// The account's "today" of a run is read while still in progress: a partial day. The next run must
// read it again in full even when it comes more than the lookback later; it used to start the day
// after the bookmark, so the partial day's spend stayed in the warehouse for ever. A state written
// before the bookmark said which day was complete must behave as safely (it re-reads its own day).
// Likewise the days a run read while Meta still restated them (younger than the lookback): a later
// run re-reads them however long after it comes, not only the lookback before its own today.
import { expect } from 'chai';
import { addDays, dayInZone } from '../../../connector/core/dates.js';
import { catalogSelecting, runTap, sandboxedTap, tapConfig, TEST_TODAY, type TapRun } from './helpers.js';

type State = { bookmarks: Record<string, Record<string, Record<string, unknown>>> };

/** The first run's state as a version before `last_complete_day` would have written it. */
function olderState(state: unknown): State {
  const s = structuredClone(state) as State;
  for (const byAccount of Object.values(s.bookmarks)) for (const b of Object.values(byAccount)) delete b['last_complete_day'];
  return s;
}

const SCENARIOS: Array<{ name: string; carry: (state: unknown) => unknown }> = [
  { name: 'with the state the first run wrote', carry: (s) => s },
  { name: 'with a state written before last_complete_day existed', carry: olderState },
];

for (const { name, carry } of SCENARIOS) {
  describe(`tap-facebook-ads re-reads a day it read in progress, however late the next run, ${name} (child process)`, function () {
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
      const written = (first.lastState() as State).bookmarks['insights_account']!;
      for (const a of accounts) expect(written[a.accountId], a.accountId).to.include({ date_start: firstToday.get(a.accountId), last_complete_day: addDays(firstToday.get(a.accountId)!, -1) });
      rig.sb.advanceDay(gapDays);
      const second = await run(carry(first.lastState()));
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
}

describe('tap-facebook-ads re-reads the days its previous run read while Meta still restated them, a week later (child process)', function () {
  this.timeout(120_000);
  const rig = sandboxedTap();
  const lookback = 28;
  const gapDays = 7;
  const start = addDays(TEST_TODAY, -(lookback + 2));
  const run = (state?: unknown): Promise<TapRun> => runTap({ now: rig.sb.now(), config: tapConfig(rig.sb, rig.rec.baseUrl, { start_date: start, insights_lookback_days: lookback }), catalog: catalogSelecting(['insights_account']), ...(state ? { state } : {}), dir: rig.tmp.dir });
  const spendByDay = (r: TapRun, accountId: string): Map<string, string> =>
    new Map(
      r
        .records('insights_account')
        .filter((x) => x['account_id'] === accountId)
        .map((x) => [String(x['date_start']), String(x['spend'])]),
    );

  it("every day of the first run ends with the spend Meta serves once it settled, not the first run's", async () => {
    const first = await run();
    expect(first.code, first.stderr.slice(-2000)).to.equal(0);
    const firstToday = new Map(rig.sb.world.accounts.map((a) => [a.accountId, dayInZone(rig.sb.now(), a.timezone)]));
    rig.sb.advanceDay(gapDays);
    const second = await run(first.lastState());
    expect(second.code, second.stderr.slice(-2000)).to.equal(0);

    let restatedSince = 0;
    const wrong: string[] = [];
    for (const a of rig.sb.world.accounts) {
      const before = spendByDay(first, a.accountId);
      const after = spendByDay(second, a.accountId);
      for (const row of rig.sb.expectedInsights({ accountId: a.accountId, level: 'account', since: start, until: firstToday.get(a.accountId)! })) {
        const day = row['date_start']!;
        const stored = after.get(day) ?? before.get(day);
        if (stored !== row['spend']) wrong.push(`${a.accountId} ${day}: ${stored} stored, ${row['spend']} served`);
        if (before.has(day) && before.get(day) !== row['spend']) restatedSince++;
      }
    }
    expect(wrong).to.deep.equal([]);
    // Meta did restate days the first run had read: without the re-read they would have stayed as read.
    expect(restatedSince, 'days whose spend changed after the first run').to.be.greaterThan(gapDays);
  });
});
