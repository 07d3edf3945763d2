// Bounded work under failure (issue 18 part 5), driven through the sandbox with Meta's payload shapes:
// a failing account's calls stay within a small multiple of a healthy one's (the sandbox's own
// counters), its split jobs run only on objects that delivered, queued runs are waited for and never
// split, a permanent throttle ends that account in bounded time (exit class 7) while the other goes
// on, and max_api_calls_per_account caps what one account may spend.
import { expect } from 'chai';
import { startSandbox, type Sandbox } from '../../../connector/sandbox/index.js';
import { addDays, dayInZone } from '../../../connector/core/dates.js';
import { catalogSelecting, killRunningTaps, recordingProxy, runTap, tapConfig, tempDir, TEST_TODAY, type RecordedCall, type Recorder, type TapRun } from './helpers.js';

const ENTITIES = ['campaigns', 'ad_sets', 'ads'];
const REPORTS = ['insights_campaign', 'insights_ad'];
const DAYS = 31;

describe('tap insights: bounded work under failure (child process, sandbox)', function () {
  this.timeout(180_000);
  let sb: Sandbox;
  let rec: Recorder;
  let tmp: ReturnType<typeof tempDir>;
  // Northwind US: 3 campaigns of which 2 delivered in the last 31 days (checked below); Brightside EU stays healthy.
  let bad: string;
  let good: string;

  before(async () => {
    sb = await startSandbox({ world: 'small', today: TEST_TODAY, jobDurationMs: 20 });
    rec = await recordingProxy(sb.baseUrl);
    tmp = tempDir();
    bad = sb.world.accounts.find((a) => a.name === 'Northwind US')!.accountId;
    good = sb.world.accounts.find((a) => a.name === 'Brightside EU')!.accountId;
  });
  beforeEach(() => {
    sb.faults.clear();
    sb.resetStats();
    rec.calls.length = 0;
  });
  after(async () => {
    killRunningTaps();
    await rec?.close();
    await sb?.close();
    tmp?.cleanup();
  });

  const run = (extra: Record<string, unknown> = {}, streams = [...ENTITIES, ...REPORTS], s: Sandbox = sb, baseUrl = rec.baseUrl): Promise<TapRun> =>
    runTap({
      now: s.now(),
      config: tapConfig(s, baseUrl, { account_ids: [bad, good], insights_job_stall_seconds: 0.5, ...extra }),
      catalog: catalogSelecting([...streams, 'sync_log']),
      args: ['--days', String(DAYS)],
      dir: tmp.dir,
    });
  /** A report run created on a campaign, ad set or ad (a split job); the Batch API's POST / is no run. */
  const isRunOnObject = (c: RecordedCall): boolean => c.method === 'POST' && /^\/\d+\/insights$/.test(c.path);
  const syncLog = (r: TapRun, id: string): Record<string, unknown> => r.records('sync_log').find((l) => l['account_id'] === id)!;
  /** Ids of the objects of `level` with insights rows in the run's window. */
  const delivered = (level: 'campaign' | 'adset' | 'ad'): Set<string> => {
    const tz = sb.world.accounts.find((a) => a.accountId === bad)!.timezone;
    const today = dayInZone(sb.now(), tz);
    return new Set(sb.expectedInsights({ accountId: bad, level, since: addDays(today, -(DAYS - 1)), until: today }).map((r) => r[`${level}_id`]!));
  };

  it('keeps a failing account within a small multiple of a healthy one’s calls and splits it only into the objects that delivered', async () => {
    const campaigns = delivered('campaign');
    const allCampaigns = sb.world.accounts.find((a) => a.accountId === bad)!.campaignIds;
    expect(campaigns.size, 'the world has a campaign without delivery in the window').to.be.greaterThan(0).and.below(allCampaigns.length);
    sb.faults.add({ kind: 'job_failed', accountId: bad });
    const r = await run();
    expect(r.code, r.stderr.slice(-1500)).to.equal(5);
    expect(syncLog(r, good)['status']).to.equal('ok');
    expect(syncLog(r, bad)['status']).to.equal('failed');
    expect(syncLog(r, bad)['error_message']).to.match(/report runs failed and 0 completed, so smaller jobs do not help/);

    // The sandbox's counters: 3,655 calls for insights alone before (every campaign, ad set and day).
    const s = sb.stats();
    const [badCalls, goodCalls] = [s.byAccount[bad] ?? 0, s.byAccount[good] ?? 0];
    expect(goodCalls).to.be.greaterThan(0);
    // Measured 58–69 vs 11–13 (jobs in flight when the report gives up, and their polls, vary by timing).
    expect(badCalls, `failing ${badCalls} vs healthy ${goodCalls} calls`).to.be.at.most(8 * goodCalls);
    expect(badCalls, 'an absolute bound, against 3,655 before').to.be.at.most(120);
    // Children were found by asking insights for ids at the child level over the same window…
    const idQueries = rec.calls.filter((c) => c.method === 'GET' && c.path === `/act_${bad}/insights`);
    expect(idQueries.length).to.be.greaterThan(0);
    for (const q of idQueries) {
      expect(q.params.get('level')).to.equal('campaign');
      expect(JSON.parse(q.params.get('fields')!)).to.deep.equal(['campaign_id']);
      expect(q.params.get('time_increment')).to.equal(null);
    }
    // …and jobs ran only on objects that delivered in it, never on the campaign that did not.
    const deliveredIds = new Set([...campaigns, ...delivered('adset'), ...delivered('ad')]);
    const splitNodes = rec.calls.filter((c) => isRunOnObject(c)).map((c) => c.path.split('/')[1]!);
    expect(splitNodes.length).to.be.greaterThan(0);
    for (const n of splitNodes) expect(deliveredIds.has(n), `job on ${n}`).to.equal(true);
    expect(allCampaigns.filter((c) => !campaigns.has(c)).some((c) => splitNodes.includes(c))).to.equal(false);
  });

  it('waits for queued runs ("Job Not Started" longer than insights_job_stall_seconds) without calling them stalled or splitting them', async () => {
    // Runs of 1.5 s spend their first 15 % queued: 225 ms at 0 %, longer than the 0.1 s stall time.
    const slow = await startSandbox({ world: 'small', today: TEST_TODAY, jobDurationMs: 1500 });
    try {
      const r = await run({ insights_job_stall_seconds: 0.1 }, ['insights_campaign'], slow, slow.baseUrl);
      expect(r.code, r.stderr.slice(-1500)).to.equal(0);
      const s = slow.stats();
      expect(s.jobsCreated, 'one run per account, none restarted or split').to.equal(2);
      expect(r.logs().some((l) => /made no progress|splitting insights job/.test(String(l['msg'])))).to.equal(false);
      expect(r.records('insights_campaign').length).to.be.greaterThan(0);
    } finally {
      await slow.close();
    }
  });

  it('ends the report of an account whose runs never leave the queue at insights_job_timeout_seconds, without splitting; the other account goes on', async () => {
    sb.faults.add({ kind: 'job_stall', accountId: bad, percent: 0 });
    const started = Date.now();
    const r = await run({ insights_job_stall_seconds: 0.1, insights_job_timeout_seconds: 1 }, ['insights_campaign']);
    expect(Date.now() - started).to.be.below(30_000);
    expect(r.code, r.stderr.slice(-1500)).to.equal(5);
    expect(syncLog(r, good)['status']).to.equal('ok');
    expect(syncLog(r, bad)['error_class']).to.equal('transient');
    expect(syncLog(r, bad)['error_message']).to.match(/was still queued \("Job Not Started"\) after 1 s/);
    expect(sb.stats().faultsFired['job_stall']).to.equal(1);
    expect(rec.calls.some((c) => c.method === 'GET' && c.path === `/act_${bad}/insights`)).to.equal(false);
  });

  it('ends an account Meta keeps throttling (80000/2446079 on every call) in bounded time with the throttled class (exit 7 alone), and the other account completes', async () => {
    sb.faults.add({ kind: 'throttle', accountId: bad, code: 80000, regainMinutes: 0 });
    const started = Date.now();
    // Insights only: an entity stream would end the account at its first call (that part always held);
    // before, the report runs were retried, then split into halves of days down to single days (> 200 s here).
    const r = await run({}, REPORTS);
    const secs = (Date.now() - started) / 1000;
    expect(secs, 'wall time').to.be.below(30);
    expect(r.code, r.stderr.slice(-1500)).to.equal(5);
    expect(syncLog(r, bad)['status']).to.equal('failed');
    expect(syncLog(r, bad)['error_class']).to.equal('throttled');
    expect(syncLog(r, good)['status']).to.equal('ok');
    expect(r.records('insights_ad').some((x) => x['account_id'] === good)).to.equal(true);
    // One call's retries (max_retries 3) per request in flight, never a cascade of restarts and splits.
    const s = sb.stats();
    expect(s.byAccount[bad] ?? 0).to.be.at.most(4 * 4);
    expect(s.jobsCreated).to.equal(REPORTS.length); // the healthy account's runs only
  });

  it('ends an account whose report runs keep failing for the app rate limit (4/1504022) after max_retries waits, unsplit, with the throttled class', async () => {
    sb.faults.add({ kind: 'job_failed', accountId: bad, code: 4, subcode: 1504022 });
    const r = await run({ max_retries: 2 }, REPORTS);
    expect(r.code, r.stderr.slice(-1500)).to.equal(5);
    expect(syncLog(r, bad)['error_class']).to.equal('throttled');
    expect(syncLog(r, bad)['error_message']).to.match(/Meta still fails its report runs for the rate limit after 2 waits/);
    expect(syncLog(r, good)['status']).to.equal('ok');
    // Each report's run: the first and max_retries re-runs, all on the account node (never split).
    const badRuns = rec.calls.filter((c) => c.method === 'POST' && c.path === `/act_${bad}/insights`).length;
    expect(badRuns).to.be.at.most(REPORTS.length * 3);
    expect(rec.calls.some((c) => isRunOnObject(c))).to.equal(false);
  });

  it('stops an account at max_api_calls_per_account with a message naming the key; the healthy account under the cap completes', async () => {
    sb.faults.add({ kind: 'job_failed', accountId: bad });
    const cap = 20;
    const r = await run({ max_api_calls_per_account: cap });
    expect(r.code, r.stderr.slice(-1500)).to.equal(5);
    expect(syncLog(r, good)['status']).to.equal('ok');
    const log = syncLog(r, bad);
    expect(log['error_class']).to.equal('throttled');
    expect(log['error_message']).to.match(new RegExp(`^ad account ${bad} reached max_api_calls_per_account \\(${cap} Graph calls in this run\\)`));
    expect(log['hint']).to.match(/raise max_api_calls_per_account/);
    // sync_log counts HTTP requests; the cap counts each item of a Batch API call (the batched polls), as Meta does.
    expect(log['api_calls']).to.be.within(1, cap);
    expect(sb.stats().byAccount[bad]).to.be.at.most(cap);
  });
});
