// Issue 18 part 7: start_date/end_date written as Meltano and singer-io users write them (RFC 3339
// date-times) read exactly the days the bare dates name, in each account's time zone. Dates are
// pinned (sandbox `today`), so the test does not depend on the day it runs.
import { expect } from 'chai';
import { startSandbox, type Sandbox } from '../../../connector/sandbox/index.js';
import { discover } from '../../../connector/tap/discover.js';
import { killRunningTaps, runTap, tapConfig, tempDir, type TapRun } from './helpers.js';

describe('tap-facebook-ads start_date/end_date as dates or RFC 3339 date-times (child process, sandbox)', function () {
  this.timeout(120_000);
  let sb: Sandbox;
  let tmp: ReturnType<typeof tempDir>;
  before(async () => {
    sb = await startSandbox({ world: 'small', today: '2026-11-20', jobDurationMs: 10 });
    tmp = tempDir();
  });
  after(async () => {
    killRunningTaps();
    await sb?.close();
    tmp?.cleanup();
  });

  const catalog = (): unknown => {
    const c = discover();
    for (const e of c.streams) e.metadata[0]!.metadata['selected'] = e.stream === 'insights_account';
    return c;
  };
  const run = (dates: Record<string, string>): Promise<TapRun> => runTap({ now: sb.now(), config: tapConfig(sb, sb.baseUrl, dates), catalog: catalog(), dir: tmp.dir });
  const days = (r: TapRun): string[] =>
    r
      .records('insights_account')
      .map((x) => `${String(x['account_id'])}|${String(x['date_start'])}`)
      .sort();

  it('reads the same account-days for 2026-11-14..2026-11-16 written as dates, as Z date-times and as date-times with offsets', async () => {
    const plain = await run({ start_date: '2026-11-14', end_date: '2026-11-16' });
    expect(plain.code, plain.stderr.slice(-1500)).to.equal(0);
    const got = days(plain);
    expect(new Set(got.map((k) => k.split('|')[1]))).to.deep.equal(new Set(['2026-11-14', '2026-11-15', '2026-11-16']));
    const zulu = await run({ start_date: '2026-11-14T00:00:00Z', end_date: '2026-11-16T00:00:00Z' });
    expect(zulu.code, zulu.stderr.slice(-1500)).to.equal(0);
    expect(days(zulu)).to.deep.equal(got);
    // +09:00 midnight is the previous day in UTC, -08:00 late evening the next: the written date counts.
    const offsets = await run({ start_date: '2026-11-14T00:00:00+09:00', end_date: '2026-11-16T23:30:00-08:00' });
    expect(offsets.code, offsets.stderr.slice(-1500)).to.equal(0);
    expect(days(offsets)).to.deep.equal(got);
  });
});
