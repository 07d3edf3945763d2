// Issue 18 real-answer scenarios end to end: the tap (child process) against the sandbox serving one
// of Meta's documented answers (fault graph_error, catalogue and sources in
// connector/sandbox/documented-errors.ts and tests/fixtures/graph/REAL-ANSWERS.md), a gateway's HTML
// page, a truncated body or a repeating `next`. Each test asserts the exit code, what landed and what
// the logs and sync_log tell the user. Dates and the tap's clock are pinned to the sandbox's.
import { expect } from 'chai';
import { startSandbox, type Sandbox } from '../../../connector/sandbox/index.js';
import type { FaultSpec } from '../../../connector/sandbox/faults.js';
import { MAX_EMPTY_PAGES_IN_A_ROW } from '../../../connector/graph/paging.js';
import { catalogSelecting, logMessages, closeTapRig, recordingProxy, runTap, tapConfig, tempDir, type Recorder, type TapRun } from './helpers.js';

const TODAY = '2026-11-20';
const RANGE = { start_date: '2026-11-14', end_date: '2026-11-17' };

const ids = (r: TapRun): string[] =>
  r
    .records('campaigns')
    .map((x) => String(x['id']))
    .sort();
const msgs = logMessages;

describe("tap on Meta's real answers (issue 18 real-answer scenarios, child process, sandbox)", function () {
  this.timeout(120_000);
  let sb: Sandbox;
  let rec: Recorder;
  let tmp: ReturnType<typeof tempDir>;
  let acct: string;
  let want: string[];

  const run = (extra: Record<string, unknown> = {}): Promise<TapRun> => runTap({ now: sb.now(), config: tapConfig(sb, rec.baseUrl, { ...RANGE, ...extra }), catalog: catalogSelecting(['campaigns', 'sync_log']), args: ['--account', acct], dir: tmp.dir });
  const campaignsFault = (spec: Omit<FaultSpec, 'path'>): void => void sb.faults.add({ ...spec, path: `^/act_${acct}/campaigns$` });
  const edgeCalls = (): number => rec.calls.filter((c) => c.path === `/act_${acct}/campaigns`).length;
  const syncLog = (r: TapRun): Record<string, unknown> => r.records('sync_log').find((l) => l['account_id'] === acct)!;

  before(async () => {
    sb = await startSandbox({ world: 'small', today: TODAY, jobDurationMs: 20 });
    rec = await recordingProxy(sb.baseUrl);
    tmp = tempDir();
    acct = sb.world.accounts.find((a) => !a.isPersonal && a.campaignIds.length > 2)!.accountId;
    const clean = await run();
    expect(clean.code, clean.stderr.slice(-1500)).to.equal(0);
    want = ids(clean);
    expect(want.length).to.be.greaterThan(2);
  });
  beforeEach(() => {
    rec.calls.length = 0;
  });
  afterEach(() => sb.faults.clear());
  after(() => closeTapRig({ rec, sb, tmp }));

  it('341 "Application limit reached" once: waits as for the app budget, retries, every campaign lands (exit 0)', async () => {
    campaignsFault({ kind: 'graph_error', name: 'error_341', times: 1 });
    const r = await run();
    expect(r.code, r.stderr.slice(-1500)).to.equal(0);
    expect(ids(r)).to.deep.equal(want);
    expect(msgs(r).some((m) => m.startsWith("the app's rate limit is reached: every Graph call pauses"))).to.equal(true);
  });

  it("a gateway's HTML 502 twice: retried, every campaign lands (exit 0)", async () => {
    campaignsFault({ kind: 'proxy_html', status: 502, times: 2 });
    const r = await run();
    expect(r.code, r.stderr.slice(-1500)).to.equal(0);
    expect(ids(r)).to.deep.equal(want);
    expect(edgeCalls()).to.equal(3);
  });

  it('a truncated 200 body once: retried, never half-read, every campaign lands once (exit 0)', async () => {
    campaignsFault({ kind: 'truncated_json', times: 1 });
    const r = await run();
    expect(r.code, r.stderr.slice(-1500)).to.equal(0);
    expect(ids(r)).to.deep.equal(want);
  });

  it('a last page whose `next` repeats its own cursor: the edge ends after one repeat, every campaign lands once (exit 0)', async () => {
    campaignsFault({ kind: 'paging_repeat' });
    const r = await run();
    expect(r.code, r.stderr.slice(-1500)).to.equal(0);
    expect(ids(r)).to.deep.equal(want);
    expect(edgeCalls(), 'no loop').to.be.at.most(2);
    expect(msgs(r).some((m) => /repeats a page already read; the edge ends here/.test(m))).to.equal(true);
  });

  it('pages past the last row with `data: []` and a new cursor for ever: the edge ends after MAX_EMPTY_PAGES_IN_A_ROW empty pages, every campaign lands once (exit 0, not the call budget)', async () => {
    campaignsFault({ kind: 'paging_past_end' });
    const r = await run({ page_size: 2, max_api_calls_per_account: 60 });
    expect(r.code, r.stderr.slice(-1500)).to.equal(0);
    expect(ids(r)).to.deep.equal(want);
    expect(edgeCalls()).to.equal(Math.ceil(want.length / 2) + MAX_EMPTY_PAGES_IN_A_ROW);
    expect(msgs(r).some((m) => m.startsWith(`Graph answered ${MAX_EMPTY_PAGES_IN_A_ROW} empty pages in a row on act_${acct}/campaigns`))).to.equal(true);
  });

  it('102 (API session): the token is dead, exit 3 naming code 102 and a new-token hint', async () => {
    campaignsFault({ kind: 'graph_error', name: 'error_102' });
    const r = await run();
    expect(r.code, r.stderr.slice(-1500)).to.equal(3);
    expect(String(syncLog(r)['error_message'])).to.match(/rejected .*\(last: 102\)/);
    expect(String(syncLog(r)['hint'])).to.match(/new token/i);
    expect(r.records('campaigns')).to.have.length(0);
  });

  it('270 (development access level): exit 4, the hint says to request Standard Access', async () => {
    campaignsFault({ kind: 'graph_error', name: 'error_270' });
    const r = await run();
    expect(r.code, r.stderr.slice(-1500)).to.equal(4);
    expect(syncLog(r)['error_class']).to.equal('permission');
    expect(String(syncLog(r)['hint'])).to.include('Standard Access');
    expect(edgeCalls(), 'not retried').to.equal(1);
  });

  it('368 (temporarily blocked for policy): no in-run retries, exit 7 pointing to Account Quality', async () => {
    campaignsFault({ kind: 'graph_error', name: 'error_368' });
    const r = await run();
    expect(r.code, r.stderr.slice(-1500)).to.equal(7);
    expect(String(syncLog(r)['hint'])).to.include('Account Quality');
    expect(edgeCalls(), 'not retried').to.equal(1);
  });

  it('2635 (deprecated API version): exit 2, the message names config.api_version', async () => {
    sb.faults.add({ kind: 'graph_error', name: 'error_2635' });
    const r = await run();
    expect(r.code, r.stderr.slice(-1500)).to.equal(2);
    expect(r.stderr).to.include('api_version');
  });

  it('an insights row covering three days in a daily report: not stored, the account ends partial (exit 5) and its bookmark holds', async () => {
    sb.faults.add({ kind: 'multi_day_row', method: 'GET', path: '^/\\d+/insights$', times: 1 });
    const r = await runTap({ now: sb.now(), config: tapConfig(sb, rec.baseUrl, RANGE), catalog: catalogSelecting(['campaigns', 'insights_ad', 'sync_log']), args: ['--account', acct], dir: tmp.dir });
    expect(r.code, r.stderr.slice(-1500)).to.equal(5);
    const rows = r.records('insights_ad');
    expect(rows.length).to.be.greaterThan(0);
    for (const x of rows) expect(x['date_stop'], String(x['ad_id'])).to.equal(x['date_start']);
    expect(String(syncLog(r)['error_message'])).to.match(/a row covering \d{4}-\d\d-\d\d\.\.\d{4}-\d\d-\d\d although the report is daily/);
    expect(syncLog(r)['error_class']).to.equal('data');
    const bookmarks = (r.lastState() as { bookmarks?: Record<string, Record<string, unknown>> } | undefined)?.bookmarks ?? {};
    expect(bookmarks['insights_ad']?.[acct], 'no insights bookmark moved').to.equal(undefined);
    expect(ids(r)).to.deep.equal(want);
  });
});
