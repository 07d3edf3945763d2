// In-process tests of the insights report job, its scheduler and the report read's decision table,
// with an injected fake Graph client (no spawned process, no sockets) and a clock that moves only when
// the tap sleeps: splits go only to the children that delivered, queued runs are waited for and never
// split, throttles end the read, and a report whose every run fails stops after a bounded number.
import { expect } from 'chai';
import pLimit from 'p-limit';
import { Logger } from '../../../connector/core/log.js';
import { Redactor } from '../../../connector/core/secrets.js';
import { JobQueuedError } from '../../../connector/graph/report-run.js';
import type { AccountInfo } from '../../../connector/tap/assets.js';
import { validateTapConfig } from '../../../connector/tap/config.js';
import { InsightsJob, CHILD_IDS_PAGE_SIZE } from '../../../connector/tap/insights-job.js';
import { reportSchema, type InsightsLevel, type InsightsReport } from '../../../connector/tap/insights.js';
import { JobScheduler } from '../../../connector/tap/job-scheduler.js';
import { bookmarkParams, FAILED_RUN_MARGIN, readInsightsReport, type InsightsReadResult } from '../../../connector/tap/read-insights.js';
import { propertiesOf } from '../../../connector/tap/schemas.js';
import { addDays } from '../../../connector/core/dates.js';
import { ACCOUNT, CAMPAIGNS, FakeInsightsGraph, type Fate, type RunRequest } from './fake-insights-graph.js';

const TODAY = '2026-11-20';
const account: AccountInfo = { accountId: ACCOUNT, name: 'Fake', currency: 'USD', timezone: 'UTC', tokens: [{ label: 't', token: 'sbx_fake_0123456789' }] };

function report(level: InsightsLevel, breakdowns: string[] = []): InsightsReport {
  return { name: breakdowns.length ? `insights_${level}_${breakdowns.join('_')}` : `insights_${level}`, level, breakdowns, builtIn: !breakdowns.length };
}

interface Harness {
  graph: FakeInsightsGraph;
  records: Array<Record<string, unknown>>;
  logs: Array<Record<string, unknown>>;
  /** `joined`: a previous bookmark the --days window joins (the day before it), so a complete read moves it. */
  read(level: InsightsLevel, days: number, over?: Record<string, unknown>, breakdowns?: string[], joined?: boolean): Promise<InsightsReadResult>;
  /** Milliseconds the fake clock moved (the tap's sleeps). */
  elapsedMs(): number;
}

function harness(delivering: string[], fate: (run: RunRequest) => Fate, graph = new FakeInsightsGraph(new Set(delivering), fate)): Harness {
  const records: Array<Record<string, unknown>> = [];
  const raw: string[] = [];
  const log = new Logger({ component: 'test', level: 'debug', sink: { write: (l: string) => raw.push(l) }, redactor: new Redactor([]) });
  const start = Date.parse(`${TODAY}T12:00:00Z`);
  let now = start;
  return {
    graph,
    records,
    get logs() {
      return raw
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    elapsedMs: () => now - start,
    read: (level, days, over = {}, breakdowns = [], joined = false) => {
      const config = validateTapConfig({
        access_token: 'sbx_fake_0123456789',
        insights_poll_interval_seconds: 1,
        insights_job_stall_seconds: 60,
        insights_job_timeout_seconds: 900,
        insights_max_days_per_job: 31,
        ...over,
      }).config;
      config.last_days = days;
      const r = report(level, breakdowns);
      const schema = reportSchema(r);
      const previous = joined ? { date_start: addDays(TODAY, -days), last_complete_day: addDays(TODAY, -days), ...bookmarkParams(config, r) } : undefined;
      return readInsightsReport({ graph, log, config, jobLimit: pLimit(4), clock: () => new Date(now), sleep: async (ms) => void (now += ms), emit: async (rec) => void records.push(rec) }, account, r, schema, Object.keys(propertiesOf(schema)), previous);
    },
  };
}

const complete: Fate = { kind: 'complete', afterPolls: 2 };
const failOnAccount = (run: RunRequest): Fate => (run.node === `act_${ACCOUNT}` ? { kind: 'fail' } : complete);

describe('insights report jobs (in process, fake Graph client)', () => {
  it('reads a healthy account with one run per chunk: POST, polls until Job Completed, one results page', async () => {
    const h = harness(['c0', 'c1'], () => complete);
    const res = await h.read('ad', 7, {}, [], true);
    expect(res.failures).to.deep.equal([]);
    expect(h.graph.runs).to.have.length(1);
    expect(h.records).to.have.length(2 * 2 * 2 * 7); // 2 campaigns × 2 ad sets × 2 ads × 7 days
    expect(res.bookmark?.['date_start']).to.equal(TODAY);
    expect(h.graph.calls.map((c) => `${c.method} ${c.path}`)).to.deep.equal([`POST act_${ACCOUNT}/insights`, 'GET run1', 'GET run1', 'GET run1/insights']);
  });

  it('splits a failed account job only into the campaigns that delivered in its window, found by asking insights for campaign ids', async () => {
    const h = harness(['c3', 'c7'], failOnAccount);
    const res = await h.read('ad', 5);
    expect(res.failures).to.deep.equal([]);
    // The account job ran twice (a restart), then one job per delivering campaign: 2 of the 10 campaigns.
    expect(h.graph.runsOn(`act_${ACCOUNT}`)).to.have.length(2);
    expect(
      h.graph.runs
        .filter((r) => r.node !== `act_${ACCOUNT}`)
        .map((r) => r.node)
        .sort(),
    ).to.deep.equal(['c3', 'c7']);
    const idQuery = h.graph.calls.filter((c) => c.method === 'GET' && c.path === `act_${ACCOUNT}/insights`);
    expect(idQuery).to.have.length(1);
    expect(idQuery[0]!.params).to.deep.include({ level: 'campaign', fields: ['campaign_id'], limit: CHILD_IDS_PAGE_SIZE, time_range: { since: '2026-11-16', until: TODAY } });
    expect(idQuery[0]!.params).to.not.have.any.keys('breakdowns', 'time_increment', 'action_breakdowns');
    // Every row once, from the campaign jobs, at the report's level.
    const keys = h.records.map((r) => `${String(r['ad_id'])}|${String(r['date_start'])}`);
    expect(new Set(keys).size).to.equal(keys.length);
    expect(keys).to.have.length(2 * 4 * 5);
    expect(h.graph.runs.every((r) => r.level === 'ad')).to.equal(true);
  });

  it('goes down campaign → ad set → ad and then halves the days, with no job for an object that did not deliver', async () => {
    // Only jobs on ads of one day succeed: the chain runs to its end.
    const h = harness(['c5'], (run) => (/-a\d$/.test(run.node) && run.since === run.until ? complete : { kind: 'fail' }));
    const res = await h.read('ad', 2, { insights_job_stall_seconds: 60 });
    // Failed runs: account 2, c5 2, 2 ad sets × 2, then 4 ads × 2 = 16 > margin, so the read stops.
    expect(res.failures).to.have.length(1);
    expect(res.failures[0]!.message).to.match(/report runs failed and \d+ completed, so smaller jobs do not help/);
    const nodes = new Set(h.graph.runs.map((r) => r.node));
    expect([...nodes].filter((n) => /^c\d$/.test(n))).to.deep.equal(['c5']);
    expect([...nodes].some((n) => n.startsWith('c5-s') && !n.includes('-a'))).to.equal(true);
    expect(h.graph.runs.length).to.be.at.most(2 * (FAILED_RUN_MARGIN + 1) + 8);
  });

  it('reads nothing more when the failed job’s window had no delivering child at all', async () => {
    const h = harness([], failOnAccount);
    const res = await h.read('campaign', 3, {}, [], true);
    expect(res.failures).to.deep.equal([]);
    expect(h.graph.runs).to.have.length(2);
    expect(h.records).to.have.length(0);
    expect(res.bookmark?.['date_start']).to.equal(TODAY);
  });

  it('reports a single object-day that still fails, names it, and completes the other objects', async () => {
    const h = harness(['c1', 'c2'], (run) => (run.node === `act_${ACCOUNT}` || run.node === 'c1' ? { kind: 'fail' } : complete));
    const res = await h.read('campaign', 1);
    expect(res.failures).to.have.length(1);
    expect(res.failures[0]!.message).to.equal(`insights insights_campaign for account ${ACCOUNT}: campaign c1 on ${TODAY} could not be read even as a single object-day: ${res.failures[0]!.message.split('single object-day: ')[1]}`);
    expect(res.failures[0]!.context).to.deep.include({ campaign_id: 'c1', since: TODAY, until: TODAY });
    expect(h.records.map((r) => r['campaign_id'])).to.deep.equal(['c2']);
    expect(res.bookmark).to.equal(undefined);
  });

  it('stops a report whose every run fails after FAILED_RUN_MARGIN + 1 failed runs, with one clear error', async () => {
    const h = harness(CAMPAIGNS, () => ({ kind: 'fail', code: -2, subcode: 2490547 }));
    const res = await h.read('ad', 31);
    expect(res.failures).to.have.length(1);
    expect(res.failures[0]!.kind).to.equal('transient');
    expect(res.failures[0]!.message).to.match(new RegExp(`^insights insights_ad for account 1: ${FAILED_RUN_MARGIN + 1} report runs failed and 0 completed, so smaller jobs do not help; stopped splitting \\(last: .*2490547`));
    expect(res.failures[0]!.hint).to.match(/re-run later/);
    // Bounded: account 2 runs + the 10 delivering campaigns' first runs at most (4 in flight), never their ad sets' and ads'.
    expect(h.graph.runs.length).to.be.at.most(FAILED_RUN_MARGIN + 1 + 4);
    expect(h.graph.calls.length).to.be.below(60);
  });

  it('waits for a queued run ("Job Not Started") longer than the stall time without splitting it', async () => {
    const h = harness(['c0'], (run) => (run.previous === 0 ? { kind: 'queued', polls: 40 } : complete));
    const res = await h.read('campaign', 3, { insights_job_stall_seconds: 10, insights_job_timeout_seconds: 3600 });
    expect(res.failures).to.deep.equal([]);
    expect(h.graph.runs).to.have.length(1);
    expect(h.elapsedMs()).to.be.greaterThan(10_000 * 3);
    expect(h.records).to.have.length(3);
  });

  it('ends the report when a run is still queued at insights_job_timeout_seconds: no restart, no split', async () => {
    const h = harness(['c0'], () => ({ kind: 'queued', polls: Infinity }));
    const res = await h.read('campaign', 3, { insights_job_stall_seconds: 10, insights_job_timeout_seconds: 120 });
    expect(res.failures).to.have.length(1);
    expect(res.failures[0]!.message).to.match(/was still queued \("Job Not Started"\) after 12\d s/);
    expect(res.failures[0]!.kind).to.equal('transient');
    expect(h.graph.runs).to.have.length(1);
    expect(h.graph.calls.some((c) => c.method === 'GET' && c.path === `act_${ACCOUNT}/insights`)).to.equal(false);
    expect(h.elapsedMs()).to.be.within(120_000, 160_000);
  });

  it('abandons a run stuck at one percentage for the stall time, restarts it once, then splits it', async () => {
    const h = harness(['c0', 'c1'], (run) => (run.node === `act_${ACCOUNT}` ? { kind: 'stall', percent: 40 } : complete));
    const res = await h.read('campaign', 2, { insights_job_stall_seconds: 30 });
    expect(res.failures).to.deep.equal([]);
    expect(h.graph.runsOn(`act_${ACCOUNT}`)).to.have.length(2);
    expect(
      h.graph.runs
        .filter((r) => r.node !== `act_${ACCOUNT}`)
        .map((r) => r.node)
        .sort(),
    ).to.deep.equal(['c0', 'c1']);
    expect(h.logs.some((l) => /made no progress for 3\d s/.test(String(l['msg'])))).to.equal(true);
  });

  it('re-runs a run Meta failed for the app rate limit (4/1504022) unsplit, and ends the read after max_retries waits', async () => {
    const h = harness(['c0'], () => ({ kind: 'fail', code: 4, subcode: 1504022 }));
    const err = await h.read('campaign', 3, { max_retries: 2 }).then(
      () => undefined,
      (e: unknown) => e as Error & { kind?: string },
    );
    expect(err?.kind).to.equal('throttled');
    expect(err?.message).to.match(/^insights insights_campaign for account 1: Meta still fails its report runs for the rate limit after 2 waits/);
    expect(h.graph.holds).to.deep.equal([
      { scope: 'app', attempt: 1 },
      { scope: 'app', attempt: 2 },
    ]);
    expect(h.graph.runs).to.have.length(3);
    expect(h.graph.runs.every((r) => r.node === `act_${ACCOUNT}`)).to.equal(true);
  });

  it('fails the report at once when Meta rejects its definition (2/1504041): no restart, no split', async () => {
    const h = harness(['c0'], () => ({ kind: 'fail', code: 2, subcode: 1504041 }));
    const res = await h.read('campaign', 40, { insights_max_days_per_job: 10 });
    expect(res.failures).to.have.length(1);
    expect(res.failures[0]!.kind).to.equal('config');
    expect(h.graph.runs.length).to.be.at.most(4); // the chunks already in flight, nothing after
    expect(h.graph.calls.some((c) => c.path === `act_${ACCOUNT}/insights` && c.method === 'GET')).to.equal(false);
  });
});

/**
 * Answers every row twice: once under a country and once without the breakdown value at all, as Meta
 * sometimes sends breakdown rows (airbytehq/airbyte#31757: "Facebook can return None for those fields").
 */
class MissingBreakdownGraph extends FakeInsightsGraph {
  override rows(node: string, level: string, since: string, until: string): Array<Record<string, string>> {
    return super.rows(node, level, since, until).flatMap((row) => [
      { ...row, country: 'US' },
      { ...row, spend: '0.50' },
    ]);
  }
}

describe('insights rows Meta answers without a breakdown value', () => {
  // airbytehq/airbyte#31757: breakdown columns are key columns; a null there fails the target's key
  // check (exit 6) or, in a MERGE on NULL = NULL, re-inserts the row on every lookback re-read.
  it("keys a row that lacks its breakdown value under '' (never null), beside the same ad-day's other rows (airbyte#31757)", async () => {
    const fate = (): Fate => complete;
    const h = harness(['c0'], fate, new MissingBreakdownGraph(new Set(['c0']), fate));
    const result = await h.read('ad', 2, {}, ['country']);
    expect(result.failures).to.deep.equal([]);
    const countries = h.records.map((r) => r['country']);
    expect(countries.filter((c) => c === 'US').length).to.equal(8); // 4 ads × 2 days
    expect(countries.filter((c) => c === '').length).to.equal(8);
    const keys = h.records.map((r) => `${String(r['ad_id'])}|${String(r['date_start'])}|${String(r['country'])}`);
    expect(new Set(keys).size).to.equal(16);
  });
});

describe('insights job object', () => {
  const env = (graph: FakeInsightsGraph, reportLevel: InsightsLevel) => ({
    graph,
    accountId: ACCOUNT,
    tokens: account.tokens,
    reportName: `insights_${reportLevel}`,
    reportLevel,
    apiVersion: 'v25.0',
    pageSize: 500,
    timing: { pollMs: 1, maxPollMs: 1, stallMs: 1000, timeoutMs: 10_000, now: () => 0, sleep: async () => undefined },
    runParams: (w: { since: string; until: string }) => ({ level: reportLevel, time_range: w, time_increment: 1, breakdowns: ['age'] }),
    statusFiltering: () => [],
    signal: new AbortController().signal,
  });

  it('splits into nothing finer than the report level: a campaign-level job on a campaign halves its days', async () => {
    const g = new FakeInsightsGraph(new Set(['c0']), () => complete);
    const job = new InsightsJob(env(g, 'campaign'), 'c0', 'campaign', { since: '2026-11-01', until: '2026-11-05' });
    expect(job.splitsInto).to.equal('days');
    const halves = (await job.split())!;
    expect(halves.map((j) => [j.node, j.window.since, j.window.until])).to.deep.equal([
      ['c0', '2026-11-01', '2026-11-03'],
      ['c0', '2026-11-04', '2026-11-05'],
    ]);
    const day = new InsightsJob(env(g, 'campaign'), 'c0', 'campaign', { since: '2026-11-01', until: '2026-11-01' });
    expect(day.splitsInto).to.equal(undefined);
    expect(await day.split()).to.equal(undefined);
  });

  it('counts its attempts across restarts and hands the rows it emitted to its children', async () => {
    const g = new FakeInsightsGraph(new Set(['c0', 'c1']), () => complete);
    const job = new InsightsJob(env(g, 'ad'), `act_${ACCOUNT}`, 'account', { since: '2026-11-01', until: '2026-11-02' });
    await job.start();
    await job.restart();
    expect(job.attempts).to.equal(2);
    job.emitted.add('x');
    const children = (await job.split())!;
    expect(children.map((c) => [c.node, c.nodeLevel])).to.deep.equal([
      ['c0', 'campaign'],
      ['c1', 'campaign'],
    ]);
    expect([...children[0]!.skip]).to.deep.equal(['x']);
  });

  it('surfaces a run still queued at the timeout as JobQueuedError, never as a stall', async () => {
    const g = new FakeInsightsGraph(new Set(['c0']), () => ({ kind: 'queued', polls: Infinity }));
    let now = 0;
    const e = { ...env(g, 'campaign'), timing: { pollMs: 500, maxPollMs: 500, stallMs: 1000, timeoutMs: 5000, now: () => now, sleep: async (ms: number) => void (now += ms) } };
    const job = new InsightsJob(e, `act_${ACCOUNT}`, 'account', { since: '2026-11-01', until: '2026-11-01' });
    await job.start();
    const err = await job.wait().then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(err).to.be.instanceOf(JobQueuedError);
    expect(now).to.be.within(5000, 5600);
  });
});

describe('insights job scheduler', () => {
  it('keeps at most the limit in flight and runs the jobs a step hands back', async () => {
    let inFlight = 0;
    let most = 0;
    const done: number[] = [];
    const s = new JobScheduler<number>(pLimit(2));
    await s.run([1, 2, 3], async (n) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      done.push(n);
      return n < 3 ? [n * 10] : [];
    });
    expect(most).to.equal(2);
    expect(done.sort((a, b) => a - b)).to.deep.equal([1, 2, 3, 10, 20]);
  });

  it('stops starting jobs after a step throws, aborts the others’ waits and rethrows once all ended', async () => {
    const started: number[] = [];
    const s = new JobScheduler<number>(pLimit(1));
    const err = await s
      .run([1, 2, 3], async (n) => {
        started.push(n);
        if (n === 1) throw new Error('throttled for good');
        return [];
      })
      .then(
        () => undefined,
        (e: unknown) => e as Error,
      );
    expect(err?.message).to.equal('throttled for good');
    expect(started).to.deep.equal([1]);
    expect(s.stopped).to.equal(true);
    expect(s.signal.aborted).to.equal(true);
  });
});
