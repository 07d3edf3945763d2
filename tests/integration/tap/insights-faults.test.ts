// Async report runs under sandbox faults: failing, stalling, premature and too-big jobs are retried
// once, then split (delivering campaigns → ad sets → ads → smaller ranges); every row still arrives
// exactly once, and a report whose runs keep failing is reported (exit 5, sync_log), never skipped.
import { expect } from 'chai';
import { startSandbox, type Sandbox } from '../../../connector/sandbox/index.js';
import { addDays, dayInZone } from '../../../connector/core/dates.js';
import { catalogSelecting, killRunningTaps, recordingProxy, runTap, tapConfig, tempDir, TEST_TODAY, type Recorder, type TapRun } from './helpers.js';

describe('tap insights report runs under faults (child process, sandbox)', function () {
  this.timeout(120_000);
  let sb: Sandbox;
  let rec: Recorder;
  let tmp: ReturnType<typeof tempDir>;
  let accountId: string;
  let tz: string;
  const DAYS = 6;

  before(async () => {
    sb = await startSandbox({ world: 'small', today: TEST_TODAY, jobDurationMs: 20 });
    rec = await recordingProxy(sb.baseUrl);
    tmp = tempDir();
    const acct = [...sb.world.accounts].sort((a, b) => b.campaignIds.length - a.campaignIds.length)[0]!;
    accountId = acct.accountId;
    tz = acct.timezone;
  });
  afterEach(() => sb.faults.clear());
  after(async () => {
    killRunningTaps();
    await rec?.close();
    await sb?.close();
    tmp?.cleanup();
  });

  const run = (streams: string[], extra: Record<string, unknown> = {}): Promise<TapRun> =>
    runTap({
      now: sb.now(),
      config: tapConfig(sb, rec.baseUrl, { insights_max_days_per_job: 3, insights_job_stall_seconds: 0.3, ...extra }),
      catalog: catalogSelecting([...streams, 'sync_log']),
      args: ['--account', accountId, '--days', String(DAYS)],
      dir: tmp.dir,
    });

  /** The ad-level rows the sandbox serves for the run's range, keyed like the stream. */
  const expectedAdRows = (): Map<string, string> => {
    const today = dayInZone(sb.now(), tz);
    const rows = sb.expectedInsights({ accountId, level: 'ad', since: addDays(today, -(DAYS - 1)), until: today });
    return new Map(rows.map((r) => [`${r['ad_id']}|${r['date_start']}`, r['spend']!]));
  };

  function expectExactlyOnce(r: TapRun): void {
    const got = r.records('insights_ad').map((x) => `${String(x['ad_id'])}|${String(x['date_start'])}`);
    expect(new Set(got).size, 'no duplicates').to.equal(got.length);
    const want = expectedAdRows();
    expect(got.length).to.equal(want.size);
    for (const x of r.records('insights_ad')) expect(x['spend'], `${String(x['ad_id'])} ${String(x['date_start'])}`).to.equal(want.get(`${String(x['ad_id'])}|${String(x['date_start'])}`));
  }

  it('retries a failing account job once, then splits it per campaign, and still delivers every row exactly once', async () => {
    sb.resetStats();
    sb.faults.add({ kind: 'job_failed', path: `^/act_${accountId}/insights$`, times: 4 });
    const r = await run(['insights_ad']);
    expect(r.code, r.stderr.slice(-1500)).to.equal(0);
    expectExactlyOnce(r);
    const s = sb.stats();
    expect(s.faultsFired['job_failed']).to.equal(4);
    expect(s.byEndpoint['POST /{id}/insights'] ?? 0, 'per-campaign jobs').to.be.greaterThan(0);
    expect(r.logs().some((l) => String(l['msg']).startsWith('splitting insights job'))).to.equal(true);
  });

  it('abandons a stalled job after insights_job_stall_seconds, splits it and delivers every row exactly once', async () => {
    sb.resetStats();
    sb.faults.add({ kind: 'job_stall', path: `^/act_${accountId}/insights$`, times: 4, percent: 40 });
    const r = await run(['insights_ad']);
    expect(r.code, r.stderr.slice(-1500)).to.equal(0);
    expectExactlyOnce(r);
    expect(sb.stats().faultsFired['job_stall']).to.equal(4);
    expect(r.logs().some((l) => String(l['msg']).startsWith('splitting insights job'))).to.equal(true);
    expect(r.logs().some((l) => /made no progress/.test(String(l['msg'])))).to.equal(true);
  });

  it('never reads a job that says Job Running at 100% before it completes', async () => {
    sb.resetStats();
    sb.faults.add({ kind: 'job_premature', path: `^/act_${accountId}/insights$`, polls: 3 });
    const r = await run(['insights_ad']);
    expect(r.code, r.stderr.slice(-1500)).to.equal(0);
    expectExactlyOnce(r);
    const s = sb.stats();
    expect(s.faultsFired['job_premature'] ?? 0).to.be.greaterThan(0);
    expect(s.errorsByCode['2601'] ?? 0, 'results requested before completion').to.equal(0);
  });

  it('splits a job Meta answers with "reduce the amount of data" instead of retrying it as is', async () => {
    sb.resetStats();
    sb.faults.add({ kind: 'reduce_data', method: 'POST', path: `^/act_${accountId}/insights$`, times: 2 });
    const r = await run(['insights_ad']);
    expect(r.code, r.stderr.slice(-1500)).to.equal(0);
    expectExactlyOnce(r);
    expect(sb.stats().faultsFired['reduce_data']).to.equal(2);
  });

  // airbytehq/airbyte#46545: Meta answered a completed run's second page of rows with 100/33 "Unsupported
  // get request. Object with ID '<run id>' does not exist…" (the same call answered when replayed) and
  // the sync failed; singer-io/tap-facebook retries subcode 33 as a race between job creation and polling.
  for (const [where, path, after] of [
    ['a page of its rows', '^/\\d{16}/insights$', 1],
    ['its first status poll', '^/\\d{16}$', 0],
  ] as const) {
    it(`runs a job again when Meta answers ${where} as if the report run it just created did not exist (100/33), and delivers every row exactly once (airbyte#46545)`, async () => {
      sb.resetStats();
      sb.faults.add({ kind: 'graph_error', name: 'error_100_33', method: 'GET', path, after, times: 1 });
      const r = await run(['insights_ad'], { page_size: 20 });
      expect(r.code, r.stderr.slice(-1500)).to.equal(0);
      expect(sb.stats().faultsFired['graph_error']).to.equal(1);
      expectExactlyOnce(r);
      const retried = r.logs().filter((l) => /failed \(attempt 1\): Meta answered a read of insights report run \d{16} .* as if the run did not exist \(code 100\/33\)/.test(String(l['msg'])));
      expect(retried, 'one job run again').to.have.length(1);
      expect(r.records('sync_log')[0]!['status']).to.equal('ok');
    });
  }

  // singer-io/tap-facebook#43, #193: a run reported "Job Completed" at 100 % and reading its rows answered
  // 2601 "Error accessing adreport job." (is_transient); the tap hard-failed. Meta's advice was to retry.
  it('reads the rows of a completed run again when Meta answers them with 2601 "Error accessing adreport job" (singer-io#43)', async () => {
    sb.resetStats();
    sb.faults.add({ kind: 'graph_error', name: 'error_2601_1815107', method: 'GET', path: '^/\\d{16}/insights$', times: 2 });
    const r = await run(['insights_ad'], { retry_base_ms: 5 });
    expect(r.code, r.stderr.slice(-1500)).to.equal(0);
    expect(sb.stats().faultsFired['graph_error']).to.equal(2);
    expectExactlyOnce(r);
    expect(r.records('sync_log')[0]!['status']).to.equal('ok');
  });

  it('ends a report whose every run fails with one clear error after a bounded number of runs (exit 5, sync_log), keeps the old bookmark, claims no day read for it and completes the rest', async () => {
    sb.resetStats();
    sb.faults.add({ kind: 'job_failed', path: `^/act_${accountId}/insights$` });
    const r = await run(['insights_account', 'insights_campaign', 'insights_coverage']);
    expect(r.code, r.stderr.slice(-1500)).to.equal(5);
    // The failed report claims no day read; the completed one claims the days it read.
    const today = dayInZone(sb.now(), tz);
    expect(r.records('insights_coverage').map((c) => `${String(c['account_id'])} ${String(c['stream'])} ${String(c['date_start'])}..${String(c['date_stop'])}`)).to.deep.equal([`${accountId} insights_campaign ${addDays(today, -(DAYS - 1))}..${today}`]);
    const log = r.records('sync_log').find((l) => l['account_id'] === accountId)!;
    expect(log['status']).to.equal('failed');
    expect(log['error_message']).to.match(/insights_account for account \d+: 7 report runs failed and 0 completed, so smaller jobs do not help/);
    expect(log['hint'])
      .to.be.a('string')
      .and.match(/re-run later/);
    const state = r.lastState() as { bookmarks: Record<string, Record<string, unknown>> };
    expect(state.bookmarks['insights_account']?.[accountId]).to.equal(undefined);
    expect(r.records('insights_account')).to.have.length(0);
    // Bounded: the account-level report (nothing finer to split into) stops after FAILED_RUN_MARGIN + 1
    // failed runs instead of halving both 3-day chunks down to single days (20 runs before).
    const failedRuns = r.logs().filter((l) => l['stream'] === 'insights_account' && String(l['msg']).startsWith('insights job ')).length;
    expect(failedRuns).to.equal(7);
    // The account's other report still completes (its jobs fail once each, then run per campaign).
    expect(r.records('insights_campaign').length).to.be.greaterThan(0);
    // Its rows are committed, but a --days run with no earlier bookmark sets none: the days before
    // its window are not read (tests/integration/tap/days-bookmark.test.ts).
    expect(r.logs().some((l) => l['stream'] === 'insights_campaign' && l['level'] === 'error')).to.equal(false);
  });
});
