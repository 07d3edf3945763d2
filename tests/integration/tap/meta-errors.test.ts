// Issue 18 part 3 end to end: the tap (child process, as Meltano runs it) against the loopback
// sandbox serving each error exactly as Meta sends it (payloads and their sources:
// tests/fixtures/graph/SOURCES.md). Dates are pinned (sandbox `today`, config start/end dates, and the
// tap runs on the sandbox clock via runTap `now`), so
// nothing depends on the day the test runs.
import { expect } from 'chai';
import { startSandbox, type Sandbox } from '../../../connector/sandbox/index.js';
import type { FaultSpec } from '../../../connector/sandbox/faults.js';
import { catalogSelecting, logMessages, killRunningTaps, recordingProxy, runTap, tapConfig, tempDir, type Recorder, type TapRun } from './helpers.js';

const TODAY = '2026-11-20';
const RANGE = { start_date: '2026-11-14', end_date: '2026-11-17' };

const keysOf = (r: TapRun, stream: string, key: string[]): string[] =>
  r
    .records(stream)
    .map((x) => key.map((k) => String(x[k])).join('|'))
    .sort();
const msgs = logMessages;

describe('tap answers each Meta error as Meta sends it (issue 18 part 3, child process, sandbox)', function () {
  this.timeout(120_000);
  let sb: Sandbox;
  let rec: Recorder;
  let tmp: ReturnType<typeof tempDir>;
  /** An account one token reaches, and one two tokens reach (EU in the small world). */
  let solo: string;
  let shared: string;
  const baseline = new Map<string, TapRun>();

  before(async () => {
    sb = await startSandbox({ world: 'small', today: TODAY, jobDurationMs: 20 });
    rec = await recordingProxy(sb.baseUrl);
    tmp = tempDir();
    const reach = (id: string): number => sb.world.users.filter((u) => u.accountIds.includes(id)).length;
    const accounts = sb.world.accounts.filter((a) => !a.isPersonal);
    solo = accounts.find((a) => reach(a.accountId) === 1 && a.campaignIds.length > 1)!.accountId;
    shared = accounts.find((a) => reach(a.accountId) === 2)!.accountId;
  });
  afterEach(() => sb.faults.clear());
  after(async () => {
    killRunningTaps();
    await rec?.close();
    await sb?.close();
    tmp?.cleanup();
  });

  const run = (streams: string[], opts: { account?: string; extra?: Record<string, unknown> } = {}): Promise<TapRun> =>
    runTap({
      now: sb.now(),
      config: tapConfig(sb, rec.baseUrl, { ...RANGE, ...opts.extra }),
      catalog: catalogSelecting([...streams, 'sync_log']),
      args: opts.account ? ['--account', opts.account] : [],
      dir: tmp.dir,
    });

  /** The same run without faults, once per shape, to compare complete output against. */
  const clean = async (name: string, make: () => Promise<TapRun>): Promise<TapRun> => {
    if (!baseline.has(name)) {
      sb.faults.clear();
      const r = await make();
      expect(r.code, r.stderr.slice(-1500)).to.equal(0);
      baseline.set(name, r);
    }
    return baseline.get(name)!;
  };

  describe('"Please reduce the amount of data" (HTTP 500, code 1, no subcode)', () => {
    it('halves the page size of the edge, goes on from the same cursor and completes with every record', async () => {
      const want = await clean('ads', () => run(['ads'], { account: solo, extra: { page_size: 10 } }));
      sb.faults.add({ kind: 'reduce_data', maxLimit: 2, path: `^/act_${solo}/ads$` });
      rec.calls.length = 0;
      const r = await run(['ads'], { account: solo, extra: { page_size: 10 } });
      expect(r.code, r.stderr.slice(-1500)).to.equal(0);
      expect(keysOf(r, 'ads', ['id'])).to.deep.equal(keysOf(want, 'ads', ['id']));
      const limits = rec.calls.filter((c) => c.path === `/act_${solo}/ads`).map((c) => c.params.get('limit'));
      expect(limits.slice(0, 3)).to.deep.equal(['10', '5', '2']);
      expect(msgs(r).filter((m) => /Meta asked for less data: reading act_\d+\/ads with page size/.test(m))).to.have.length(2);
    });

    it('shrinks the result pages of a report run the same way', async () => {
      const want = await clean('insights_ad', () => run(['insights_ad'], { account: solo }));
      sb.faults.add({ kind: 'reduce_data', maxLimit: 3, path: '^/\\d+/insights$' });
      const r = await run(['insights_ad'], { account: solo });
      expect(r.code, r.stderr.slice(-1500)).to.equal(0);
      expect(keysOf(r, 'insights_ad', ['ad_id', 'date_start'])).to.deep.equal(keysOf(want, 'insights_ad', ['ad_id', 'date_start']));
      expect(r.logs().some((l) => l['page_size'] === 3)).to.equal(true);
    });

    it('splits a report run Meta refuses to build by level and days, without retrying it unchanged', async () => {
      const want = await clean('insights_ad', () => run(['insights_ad'], { account: solo }));
      sb.resetStats();
      sb.faults.add({ kind: 'reduce_data', method: 'POST', path: `^/act_${solo}/insights$`, times: 1 });
      const r = await run(['insights_ad'], { account: solo });
      expect(r.code, r.stderr.slice(-1500)).to.equal(0);
      expect(keysOf(r, 'insights_ad', ['ad_id', 'date_start'])).to.deep.equal(keysOf(want, 'insights_ad', ['ad_id', 'date_start']));
      expect(msgs(r).some((m) => m.startsWith('Meta asked for less data: splitting insights job'))).to.equal(true);
      expect(sb.stats().byEndpoint['POST /{id}/insights'] ?? 0, 'per-campaign jobs').to.be.greaterThan(0);
    });
  });

  it('retries 1/99 "An unknown error occurred" unchanged (same page size) and completes', async () => {
    const want = await clean('campaigns', () => run(['campaigns'], { account: solo }));
    sb.faults.add({ kind: 'http_500', subcode: 99, times: 1, path: `^/act_${solo}/campaigns$` });
    rec.calls.length = 0;
    const r = await run(['campaigns'], { account: solo });
    expect(r.code, r.stderr.slice(-1500)).to.equal(0);
    expect(keysOf(r, 'campaigns', ['id'])).to.deep.equal(keysOf(want, 'campaigns', ['id']));
    const limits = rec.calls.filter((c) => c.path === `/act_${solo}/campaigns`).map((c) => c.params.get('limit'));
    expect(limits[0]).to.equal(limits[1]);
    expect(msgs(r).some((m) => /Graph call failed; retry 1\//.test(m))).to.equal(true);
  });

  describe('async report runs that end "Job Failed" with error_code/error_subcode', () => {
    for (const subcode of [1504022, 1504039]) {
      it(`waits and re-runs a job throttled with 4/${subcode}, without splitting it`, async () => {
        const want = await clean('insights_ad', () => run(['insights_ad'], { account: solo }));
        sb.resetStats();
        sb.faults.add({ kind: 'job_failed', code: 4, subcode, times: 1, path: `^/act_${solo}/insights$` });
        const r = await run(['insights_ad'], { account: solo });
        expect(r.code, r.stderr.slice(-1500)).to.equal(0);
        expect(keysOf(r, 'insights_ad', ['ad_id', 'date_start'])).to.deep.equal(keysOf(want, 'insights_ad', ['ad_id', 'date_start']));
        expect(msgs(r).some((m) => /was throttled by Meta; re-running it/.test(m))).to.equal(true);
        expect(msgs(r).some((m) => m.startsWith('splitting insights job'))).to.equal(false);
        expect(sb.stats().byEndpoint['POST /{id}/insights'] ?? 0, 'no per-campaign jobs').to.equal(0);
      });
    }

    for (const [subcode, title] of [
      [1504041, 'Invalid Breakdowns'],
      [1504042, 'Invalid Custom Metrics'],
    ] as const) {
      it(`fails the report at once on 2/${subcode} (${title}) with a clear message, no retry or split cascade`, async () => {
        sb.resetStats();
        sb.faults.add({ kind: 'job_failed', code: 2, subcode, path: `^/act_${solo}/insights$` });
        const r = await run(['campaigns', 'insights_account'], { account: solo });
        expect(r.code, 'the campaigns stream completed, the report failed: partial').to.equal(5);
        expect(sb.stats().faultsFired['job_failed'], 'one job, no retry').to.equal(1);
        expect(sb.stats().byEndpoint['POST /{id}/insights'] ?? 0, 'no split').to.equal(0);
        const log = r.records('sync_log').find((l) => l['account_id'] === solo)!;
        expect(log['error_class']).to.equal('config');
        expect(String(log['error_message']))
          .to.include('rejects the report definition')
          .and.include(`2/${subcode}`)
          .and.include(title === 'Invalid Breakdowns' ? 'breakdowns' : 'custom metrics');
        expect(String(log['hint'])).to.include('insights_reports');
        expect(r.records('campaigns').length).to.be.greaterThan(0);
      });
    }

    for (const [code, subcode] of [
      [-2, 2490547],
      [2, 1504043],
    ] as const) {
      it(`retries a job that failed with ${code}/${subcode} ("retry later") and completes`, async () => {
        const want = await clean('insights_ad', () => run(['insights_ad'], { account: solo }));
        sb.faults.add({ kind: 'job_failed', code, subcode, times: 1, path: `^/act_${solo}/insights$` });
        const r = await run(['insights_ad'], { account: solo });
        expect(r.code, r.stderr.slice(-1500)).to.equal(0);
        expect(keysOf(r, 'insights_ad', ['ad_id', 'date_start'])).to.deep.equal(keysOf(want, 'insights_ad', ['ad_id', 'date_start']));
        expect(msgs(r).some((m) => m.includes(`[code ${code}/${subcode}]`) && m.includes('attempt 1'))).to.equal(true);
      });
    }
  });

  describe('throttles pause whom the budget belongs to', () => {
    for (const [code, subcode] of [
      [17, 2446079],
      [613, 1487742],
    ] as const) {
      it(`pauses the ad account on ${code}/${subcode} and keeps its token (another token shares the account's budget)`, async () => {
        const want = await clean('campaigns-shared', () => run(['campaigns'], { account: shared }));
        sb.faults.add({ kind: 'throttle', code, subcode, regainMinutes: 0, times: 1, path: `^/act_${shared}/campaigns$` });
        rec.calls.length = 0;
        const r = await run(['campaigns'], { account: shared });
        expect(r.code, r.stderr.slice(-1500)).to.equal(0);
        expect(keysOf(r, 'campaigns', ['id'])).to.deep.equal(keysOf(want, 'campaigns', ['id']));
        const tokens = rec.calls.filter((c) => c.path === `/act_${shared}/campaigns`).map((c) => c.params.get('access_token'));
        expect(tokens.length).to.be.at.least(2);
        expect(tokens[1], 'no rotation to the other token').to.equal(tokens[0]);
        expect(msgs(r).some((m) => /is throttled; continuing with token/.test(m))).to.equal(false);
        expect(msgs(r).some((m) => /Graph call throttled; retry 1\//.test(m))).to.equal(true);
      });
    }

    it('pauses every worker on code 4 (the app budget) instead of moving to another token', async () => {
      sb.faults.add({ kind: 'throttle', code: 4, subcode: 1504022, regainMinutes: 0, times: 1, path: `^/act_${shared}/campaigns$` });
      rec.calls.length = 0;
      const r = await run(['campaigns'], { account: shared });
      expect(r.code, r.stderr.slice(-1500)).to.equal(0);
      const tokens = rec.calls.filter((c) => c.path === `/act_${shared}/campaigns`).map((c) => c.params.get('access_token'));
      expect(tokens[1]).to.equal(tokens[0]);
      expect(msgs(r).some((m) => m.startsWith("the app's rate limit is reached: every Graph call pauses"))).to.equal(true);
    });
  });

  /**
   * A run of the agency token alone in which Meta refuses one account's edge with `fault`: that account
   * fails with a permission error, the token is not dropped and reads its other accounts (exit 5).
   */
  const oneAccountRefused = async (victim: string, mine: readonly string[], streams: string[], fault: FaultSpec): Promise<{ r: TapRun; failed: Record<string, unknown> }> => {
    const agency = sb.tokens.find((t) => t.label === 'agency')!;
    sb.faults.add(fault);
    const r = await runTap({
      now: sb.now(),
      config: tapConfig(sb, rec.baseUrl, { ...RANGE, access_tokens: [{ label: 'agency', token: agency.token }] }),
      catalog: catalogSelecting([...streams, 'sync_log']),
      dir: tmp.dir,
    });
    expect(r.code, r.stderr.slice(-1500)).to.equal(5);
    expect(
      msgs(r).some((m) => /is not used again in this run/.test(m)),
      'no dead-token warning',
    ).to.equal(false);
    const logs = r.records('sync_log');
    const failed = logs.find((l) => l['account_id'] === victim)!;
    expect(failed['status']).to.equal('failed');
    expect(failed['error_class']).to.equal('permission');
    const others = logs.filter((l) => l['account_id'] !== victim && mine.includes(String(l['account_id'])));
    expect(others.length).to.be.greaterThan(0);
    for (const o of others) expect(o['status'], String(o['account_id'])).to.equal('ok');
    return { r, failed };
  };
  const agencyAccounts = (): string[] => sb.world.users.find((u) => u.id === sb.tokens.find((t) => t.label === 'agency')!.userId)!.accountIds;

  it('does not declare a token dead on 190 without a subcode: that account fails with a permission error, the token reads the others', async () => {
    const mine = agencyAccounts();
    const victim = mine.find((id) => id === solo) ?? mine[0]!;
    const { r, failed } = await oneAccountRefused(victim, mine, ['campaigns'], { kind: 'page_permission', path: `^/act_${victim}/campaigns$` });
    expect(String(failed['hint'])).to.include('pages_read_engagement');
    expect(new Set(r.records('campaigns').map((c) => c['account_id']))).to.not.include(victim);
  });

  it("368 (policy block) on one account's report run: that report fails at once with the hint, no restart or split, no circuit-breaker pause; other accounts complete", async () => {
    // Every report run of the account is refused (its campaigns' and ad sets' too), as a block is.
    sb.faults.add({ kind: 'graph_error', name: 'error_368', method: 'POST', path: '/insights$', accountId: solo });
    rec.calls.length = 0;
    // A breaker that opens after two consecutive service failures: a 368 must not count as one.
    const r = await run(['insights_campaign'], { extra: { circuit_breaker: { failures: 2, pause_seconds: 0.05 } } });
    expect(r.code, r.stderr.slice(-1500)).to.equal(5);
    const posts = rec.calls.filter((c) => c.method === 'POST' && c.path.endsWith('/insights') && (c.path.includes(`act_${solo}`) || /^\/\d+\/insights$/.test(c.path)));
    expect(
      posts.map((c) => c.path),
      'one report run, not restarted or split',
    ).to.deep.equal([`/act_${solo}/insights`]);
    expect(msgs(r).some((m) => m.startsWith('circuit breaker opened'))).to.equal(false);
    const logs = r.records('sync_log');
    const blocked = logs.find((l) => l['account_id'] === solo)!;
    expect(blocked['status']).to.equal('failed');
    expect(blocked['error_class']).to.equal('transient');
    expect(String(blocked['error_message'])).to.include('code 368');
    expect(String(blocked['hint'])).to.include('security check').and.to.include('Account Quality');
    const others = logs.filter((l) => l['account_id'] !== solo);
    expect(others.length).to.be.greaterThan(0);
    for (const o of others) expect(o['status'], String(o['account_id'])).to.equal('ok');
  });

  /**
   * Two runs on a sandbox of its own: a clean one, then (the world clock moved so that ads changed and
   * their creatives are re-read by id) one with the faults `arm` adds; `check` looks at the second.
   */
  const creativesReReadById = async (arm: (own: Sandbox) => void, check: (second: TapRun, own: Sandbox) => void): Promise<void> => {
    const own = await startSandbox({ world: 'small', today: TODAY, jobDurationMs: 20 });
    try {
      const go = (state?: unknown): Promise<TapRun> => runTap({ now: own.now(), config: tapConfig(own, own.baseUrl, RANGE), catalog: catalogSelecting(['ads', 'ad_creatives', 'sync_log']), ...(state ? { state } : {}), dir: tmp.dir });
      const first = await go();
      expect(first.code, first.stderr.slice(-1500)).to.equal(0);
      own.advanceDay(3);
      arm(own);
      const second = await go(first.lastState());
      expect(second.code, second.stderr.slice(-1500)).to.equal(0);
      check(second, own);
    } finally {
      await own.close();
    }
  };

  describe('190/492 "Invalid Session": the token\'s user has no role on one Page (Meta: not a dead token)', () => {
    it('skips the creatives of that Page with a warning naming each and the fix, keeps the token, and lists them in the run summary', async () => {
      let page = '';
      let onPage: string[] = [];
      await creativesReReadById(
        (own) => {
          // The Page with the most creatives: every read of one of its creatives answers 190/492.
          const byPage = new Map<string, string[]>();
          for (const c of own.world.creatives) byPage.set(c.pageId, [...(byPage.get(c.pageId) ?? []), c.id]);
          [page, onPage] = [...byPage.entries()].sort((a, b) => b[1].length - a[1].length)[0]!;
          own.faults.add({ kind: 'graph_error', name: 'error_190_492', path: `^/(${onPage.join('|')})$` });
        },
        (second, own) => {
          expect(own.stats().faultsFired['graph_error'] ?? 0, `a creative of Page ${page} was read by id and refused`).to.be.greaterThan(0);
          const warns = second.logs().filter((l) => /^creative \d+ of account \d+ cannot be read; skipped: .*190\/492/.test(String(l['msg'])));
          // Each refused creative once (a second token reaching the account is tried first, and refused too).
          const refused = new Set(warns.map((w) => /^creative (\d+)/.exec(String(w['msg']))![1])).size;
          expect(refused).to.be.greaterThan(0).and.to.equal(warns.length);
          for (const w of warns) {
            expect(onPage.some((id) => String(w['msg']).startsWith(`creative ${id} `))).to.equal(true);
            expect(String(w['hint']))
              .to.match(/role on the Facebook Page/)
              .and.to.include('Business Settings');
          }
          expect(
            msgs(second).some((m) => /is not used again in this run/.test(m)),
            'no token is dropped',
          ).to.equal(false);
          for (const l of second.records('sync_log')) expect(l['status'], String(l['account_id'])).to.equal('ok');
          const summary = second.logs().find((l) => l['type'] === 'summary')!;
          expect(String(summary['msg'])).to.match(new RegExp(`${refused} objects? skipped \\(creative \\d+ of account \\d+`));
          const listed = summary['skipped_objects'] as Array<Record<string, unknown>>;
          expect(listed.map((o) => o['object']).sort()).to.deep.equal([...new Set(warns.map((w) => /^(creative \d+)/.exec(String(w['msg']))![1]))].sort());
          for (const o of listed) expect(String(o['hint'])).to.match(/role on the Facebook Page/);
          expect(second.logs().filter((l) => / of account \d+ was skipped: /.test(String(l['msg'])))).to.have.length(refused);
        },
      );
    });

    it("on an account's ads edge: that stream of that account is skipped with a warning and listed, its bookmark stays; its other streams and the other accounts complete", async () => {
      const agency = sb.tokens.find((t) => t.label === 'agency')!;
      const mine = agencyAccounts().filter((id) => sb.world.accounts.some((a) => a.accountId === id && a.adIds.length > 0));
      expect(mine.length, 'the agency token reaches several accounts with ads').to.be.greaterThan(1);
      const victim = mine[0]!;
      const go = (state?: unknown): Promise<TapRun> =>
        runTap({
          now: sb.now(),
          config: tapConfig(sb, rec.baseUrl, { ...RANGE, access_tokens: [{ label: 'agency', token: agency.token }] }),
          catalog: catalogSelecting(['campaigns', 'ads', 'ad_creatives', 'sync_log']),
          ...(state ? { state } : {}),
          dir: tmp.dir,
        });
      const first = await go();
      expect(first.code, first.stderr.slice(-1500)).to.equal(0);
      const before = first.lastState() as { bookmarks: Record<string, Record<string, unknown>> };
      // An ad of the victim edited later: a read of its ads edge would move the bookmark.
      sb.advanceSeconds(900);
      sb.rename(sb.world.accounts.find((a) => a.accountId === victim)!.adIds[0]!, 'edited after the first run');
      sb.faults.add({ kind: 'graph_error', name: 'error_190_492', path: `^/act_${victim}/ads$` });
      const r = await go(before);
      expect(r.code, r.stderr.slice(-1500)).to.equal(0);
      expect(sb.stats().faultsFired['graph_error'] ?? 0).to.be.greaterThan(0);
      const warn = r.logs().find((l) => String(l['msg']).startsWith(`ads of account ${victim} skipped for this run: Meta refused act_${victim}/ads`));
      expect(warn, 'one warning names the stream, the account and the edge').to.not.equal(undefined);
      expect(warn!['graph_subcode']).to.equal(492);
      expect(String(warn!['hint'])).to.match(/role on the Facebook Page/);
      const summary = r.logs().find((l) => l['type'] === 'summary')!;
      const listed = summary['skipped_objects'] as Array<Record<string, unknown>>;
      expect(listed.map((o) => `${String(o['account_id'])} ${String(o['object'])}`)).to.deep.equal([`${victim} ads (act_${victim}/ads)`]);
      const after = r.lastState() as { bookmarks: Record<string, Record<string, unknown>> };
      expect(after.bookmarks['ads']![victim], "the victim's ads bookmark is where it was").to.deep.equal(before.bookmarks['ads']![victim]);
      const log = r.records('sync_log').find((l) => l['account_id'] === victim)!;
      expect(log['status']).to.equal('ok');
      const streams = log['streams'] as Array<Record<string, unknown>>;
      expect(streams.find((x) => x['stream'] === 'ads')!['status']).to.equal('skipped');
      expect(streams.find((x) => x['stream'] === 'ad_creatives')!['status'], "the victim's creatives are still read").to.equal('ok');
      expect(r.records('ads').some((a) => a['account_id'] === victim)).to.equal(false);
      for (const o of r.records('sync_log').filter((l) => l['account_id'] !== victim)) expect(o['status'], String(o['account_id'])).to.equal('ok');
    });
  });

  it('skips one creative Meta refuses with 100/2446289 when re-reading creatives by id, and keeps the account', async () => {
    await creativesReReadById(
      (own) => {
        const creativeIds = new Set(own.world.accounts.flatMap((a) => a.creativeIds));
        own.faults.add({ kind: 'object_error', path: `^/(${[...creativeIds].join('|')})$`, times: 1 });
      },
      (second, own) => {
        expect(own.stats().faultsFired['object_error'], 'a creative was read by id and refused').to.equal(1);
        const warn = second.logs().find((l) => /^creative \d+ of account \d+ cannot be read; skipped/.test(String(l['msg'])));
        expect(warn, 'a warning names the creative').to.not.equal(undefined);
        expect(warn!['graph_subcode']).to.equal(2446289);
        for (const l of second.records('sync_log')) expect(l['status'], String(l['account_id'])).to.equal('ok');
      },
    );
  });

  it('skips one object Meta refuses with 100/2446289 (a campaign of a split report) with a warning, and keeps the account', async () => {
    const want = await clean('insights_campaign', () => run(['insights_campaign'], { account: solo }));
    const campaign = String(want.records('insights_campaign')[0]!['campaign_id']);
    // The account-level job fails twice, so the report is split per campaign; one campaign is refused.
    sb.faults.add({ kind: 'job_failed', times: 2, path: `^/act_${solo}/insights$` });
    sb.faults.add({ kind: 'object_error', method: 'POST', path: `^/${campaign}/insights$` });
    const r = await run(['insights_campaign'], { account: solo });
    expect(r.code, r.stderr.slice(-1500)).to.equal(0);
    const rows = r.records('insights_campaign');
    expect(rows.length).to.be.greaterThan(0);
    expect(rows.some((x) => x['campaign_id'] === campaign)).to.equal(false);
    const warn = r.logs().find((l) => /cannot be read and is skipped/.test(String(l['msg'])))!;
    expect(warn, 'a warning names the object').to.not.equal(undefined);
    expect(String(warn['msg'])).to.include(campaign);
    expect(warn['graph_subcode']).to.equal(2446289);
    expect(r.records('sync_log').find((l) => l['account_id'] === solo)!['status']).to.equal('ok');
  });
});
