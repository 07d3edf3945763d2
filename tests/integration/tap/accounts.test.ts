// Per-account behaviour across runs: a failing account is isolated (exit 5, sync_log, bookmarks kept),
// account_ids restricts the sync, an account added later starts at start_date, and a change of
// attribution windows re-reads insights instead of mixing rows in the warehouse.
import { expect } from 'chai';
import { startSandbox, type Sandbox } from '../../../connector/sandbox/index.js';
import { addDays, dayInZone } from '../../../connector/core/dates.js';
import { discover } from '../../../connector/tap/discover.js';
import { killRunningTaps, recordingProxy, runTap, tapConfig, tempDir, TEST_TODAY, type Recorder, type TapRun } from './helpers.js';

const STREAMS = ['ad_accounts', 'pages', 'campaigns', 'insights_account', 'sync_log'];
/** Selects a few streams and deselects one campaign column (objective), to check fields= follows the catalog. */
function catalog(): unknown {
  const c = discover();
  for (const e of c.streams) {
    e.metadata[0]!.metadata['selected'] = STREAMS.includes(e.stream);
    if (e.stream === 'campaigns') e.metadata.find((m) => m.breadcrumb[1] === 'objective')!.metadata['selected'] = false;
  }
  return c;
}
type State = { bookmarks: Record<string, Record<string, Record<string, unknown>>> };

describe('tap-facebook-ads per-account isolation and state across runs (child process)', function () {
  this.timeout(120_000);
  let sb: Sandbox;
  let rec: Recorder;
  let tmp: ReturnType<typeof tempDir>;
  const start = addDays(TEST_TODAY, -12);
  const run = (extra: Record<string, unknown>, state?: unknown): Promise<TapRun> => runTap({ now: sb.now(), config: tapConfig(sb, rec.baseUrl, { start_date: start, insights_lookback_days: 2, ...extra }), catalog: catalog(), ...(state ? { state } : {}), dir: tmp.dir });
  const postsFor = (from: number, accountId: string, to?: number) =>
    rec.calls
      .slice(from, to)
      .filter((c) => c.method === 'POST' && c.path === `/act_${accountId}/insights`)
      .map((c) => JSON.parse(c.params.get('time_range')!) as { since: string; until: string });

  before(async () => {
    sb = await startSandbox({ world: 'small', today: TEST_TODAY });
    rec = await recordingProxy(sb.baseUrl);
    tmp = tempDir();
  });
  afterEach(() => sb.faults.clear());
  after(async () => {
    killRunningTaps();
    await rec?.close();
    await sb?.close();
    tmp?.cleanup();
  });

  it('isolates an account the token may no longer read: the others complete, exit 5, sync_log says why, its bookmarks do not move', async () => {
    const [bad, ...good] = sb.world.accounts;
    sb.faults.add({ kind: 'account_forbidden', accountId: bad!.accountId });
    // And one business edge of the pages stream keeps failing: pages must not be activated.
    sb.faults.add({ kind: 'http_500', path: '^/\\d+/owned_pages$' });
    const mark = rec.calls.length;
    const r = await run({});
    const activated = r.messages.filter((m) => m.type === 'ACTIVATE_VERSION').map((m) => m.stream);
    expect(activated).to.include('ad_accounts');
    expect(activated).to.not.include('pages');
    // fields= follows the catalog: the deselected column is neither requested nor emitted.
    const campaignCalls = rec.calls.slice(mark).filter((c) => /^\/act_\d+\/campaigns$/.test(c.path));
    expect(campaignCalls.length).to.be.greaterThan(0);
    for (const c of campaignCalls) expect(c.params.get('fields')).to.not.match(/\bobjective\b/);
    expect(r.records('campaigns').every((x) => !('objective' in x))).to.equal(true);
    expect(r.messages.find((m) => m.type === 'SCHEMA' && m.stream === 'campaigns')!.schema!['properties']).to.not.have.property('objective');
    expect(r.code, r.stderr.slice(-1500)).to.equal(5);
    const logs = new Map(r.records('sync_log').map((l) => [l['account_id'], l]));
    expect(logs.get(bad!.accountId)).to.include({ status: 'failed', error_class: 'permission' });
    expect(String(logs.get(bad!.accountId)!['hint'])).to.match(/account_ids|role|permission/i);
    for (const g of good) expect(logs.get(g.accountId)?.['status'], g.accountId).to.equal('ok');
    const state = r.lastState() as State;
    for (const stream of ['campaigns', 'insights_account']) {
      expect(state.bookmarks[stream]?.[bad!.accountId], stream).to.equal(undefined);
      for (const g of good) expect(state.bookmarks[stream]?.[g.accountId], `${stream} ${g.accountId}`).to.not.equal(undefined);
    }
    const summary = r.logs().find((l) => l['type'] === 'summary')!;
    expect(String(summary['msg'])).to.include(`1 failed (${bad!.accountId})`);
  });

  it('keeps syncing through another token when one dies mid-run, and isolates the accounts only that token could read', async () => {
    const reach = new Map<string, Set<string>>();
    for (const t of sb.tokens) {
      const u = sb.world.users.find((x) => x.id === t.userId)!;
      const b = u.businessId && t.scopes.includes('business_management') ? sb.world.businesses.find((x) => x.id === u.businessId) : undefined;
      for (const a of [...(b?.ownedAccountIds ?? []), ...(b?.clientAccountIds ?? []), ...u.accountIds]) reach.set(a, new Set([...(reach.get(a) ?? []), t.label]));
    }
    // The token that is the only way to some accounts dies on its first campaigns read.
    const victim = sb.tokens.find((t) => [...reach.values()].some((labels) => labels.size === 1 && labels.has(t.label)))!;
    const only = [...reach.entries()].filter(([, l]) => l.size === 1 && l.has(victim.label)).map(([a]) => a);
    expect(only.length, 'some account is reachable by the victim alone').to.be.greaterThan(0);
    expect(
      [...reach.values()].some((l) => l.size > 1 && l.has(victim.label)),
      'the victim shares some account with another token',
    ).to.equal(true);
    sb.faults.add({ kind: 'token_expired', token: victim.label, path: '^/act_\\d+/campaigns$', times: 1 });
    const r = await run({});
    expect(r.code, r.stderr.slice(-1500)).to.equal(5);
    const logs = new Map(r.records('sync_log').map((l) => [String(l['account_id']), l]));
    for (const a of only) expect(logs.get(a), a).to.include({ status: 'failed', error_class: 'auth' });
    for (const [a, labels] of reach) if (labels.size > 1) expect(logs.get(a)?.['status'], `${a} is also readable by ${[...labels].join(', ')}`).to.equal('ok');
    expect(r.stderr).to.not.include(victim.token);
  });

  describe('across runs', () => {
    let first: TapRun;
    let second: TapRun;
    let third: TapRun;
    let mark1: number;
    let mark2: number;
    let mark3: number;
    let only: string;
    let later: string;

    before(async () => {
      [only, later] = sb.world.accounts.map((a) => a.accountId) as [string, string];
      mark1 = rec.calls.length;
      first = await run({ account_ids: [only] });
      expect(first.code, first.stderr.slice(-1500)).to.equal(0);
      mark2 = rec.calls.length;
      second = await run({ account_ids: [only, `act_${later}`] }, first.lastState());
      mark3 = rec.calls.length;
      third = await run({ account_ids: [only, later], action_attribution_windows: ['1d_click'] }, second.lastState());
    });

    it('syncs only the accounts in account_ids, and still lists (and activates) every account the token reaches in ad_accounts, without a call for the others', () => {
      const reached = sb.world.users.find((u) => u.id === sb.tokens[0]!.userId)!.accountIds;
      expect(reached.length, 'the token reaches more than the one account synced').to.be.greaterThan(1);
      expect(first.records('ad_accounts').map((a) => a['account_id'])).to.include.members([only, ...reached]);
      expect(first.messages.filter((m) => m.type === 'ACTIVATE_VERSION').map((m) => m.stream)).to.include('ad_accounts');
      expect(first.records('sync_log').map((a) => a['account_id'])).to.deep.equal([only]);
      const touched = new Set(
        rec.calls
          .slice(mark1, mark2)
          .map((c) => /^\/act_(\d+)(?:\/|$)/.exec(c.path)?.[1])
          .filter(Boolean),
      );
      expect([...touched]).to.deep.equal([only]);
    });

    it('starts an account found later at start_date while the known one re-reads only its lookback', () => {
      expect(second.code, second.stderr.slice(-1500)).to.equal(0);
      const tzOf = (id: string) => sb.world.accountByBareId.get(id)!.timezone;
      const newSince = postsFor(mark2, later, mark3)
        .map((t) => t.since)
        .sort()[0];
      expect(newSince).to.equal(start);
      const oldSince = postsFor(mark2, only, mark3)
        .map((t) => t.since)
        .sort()[0];
      expect(oldSince).to.equal(addDays(dayInZone(sb.now(), tzOf(only)), -2));
      const logs = new Map(second.records('sync_log').map((l) => [l['account_id'], l]));
      expect(logs.get(later)?.['is_new_account']).to.equal(true);
      expect(logs.get(only)?.['is_new_account']).to.equal(false);
      // The lookback days come back whether Meta restated them or not: re-read, never claimed as updated.
      const before = String((first.lastState() as State).bookmarks['insights_account']![only]!['date_start']);
      const rows = second.records('insights_account').filter((x) => x['account_id'] === only);
      const reread = rows.filter((x) => String(x['date_start']) <= before).length;
      expect(reread, 'the lookback re-read days the first run loaded').to.be.greaterThan(0);
      const counts = (logs.get(only)!['streams'] as Array<Record<string, unknown>>).find((x) => x['stream'] === 'insights_account')!;
      expect(counts).to.include({ found: rows.length, added: rows.length - reread, updated: 0, reread });
      // The same count as a Singer counter beside record_count (which still counts every record written).
      const metric = (name: string): Array<Record<string, unknown>> => second.logs().filter((l) => l['type'] === 'metric' && l['metric'] === name && (l['tags'] as Record<string, unknown>)['stream'] === 'insights_account');
      expect(metric('reread_record_count').map((l) => [(l['tags'] as Record<string, unknown>)['account_id'], l['value']])).to.deep.equal([[only, reread]]);
      expect(metric('record_count').find((l) => (l['tags'] as Record<string, unknown>)['account_id'] === only)?.['value']).to.equal(rows.length);
    });

    it('re-reads from start_date when the attribution windows changed, records the new windows in rows and state, and says why', () => {
      expect(third.code, third.stderr.slice(-1500)).to.equal(0);
      for (const id of [only, later])
        expect(
          postsFor(mark3, id)
            .map((t) => t.since)
            .sort()[0],
          id,
        ).to.equal(start);
      const rows = third.records('insights_account');
      expect(rows.length).to.be.greaterThan(0);
      for (const r of rows) expect(r['attribution_windows']).to.deep.equal(['1d_click']);
      const posts = rec.calls.slice(mark3).filter((c) => c.method === 'POST' && c.path.endsWith('/insights'));
      for (const p of posts) expect(JSON.parse(p.params.get('action_attribution_windows')!)).to.deep.equal(['1d_click']);
      const state = third.lastState() as State;
      for (const id of [only, later]) expect(state.bookmarks['insights_account']?.[id]?.['attribution_windows']).to.deep.equal(['1d_click']);
      expect(third.logs().some((l) => l['level'] === 'warn' && /attribution_windows changed/.test(String(l['msg'])))).to.equal(true);
    });
  });
  it('a one-off --account run upserts the full-table streams without activating them, so no other account is marked deleted', async () => {
    const id = sb.world.accounts[1]!.accountId;
    const narrowed = await runTap({ now: sb.now(), config: tapConfig(sb, rec.baseUrl, { start_date: start, insights_lookback_days: 2 }), catalog: catalog(), args: ['--account', id, '--days', '1'], dir: tmp.dir });
    expect(narrowed.code, narrowed.stderr.slice(-2000)).to.equal(0);
    expect(narrowed.records('ad_accounts').map((a) => a['account_id'])).to.include(id);
    expect(narrowed.records('sync_log').map((a) => a['account_id'])).to.deep.equal([id]);
    expect(narrowed.messages.filter((m) => m.type === 'ACTIVATE_VERSION')).to.deep.equal([]);
    expect(narrowed.logs().some((l) => String(l['msg']).startsWith('ad_accounts not activated: --account narrows this run'))).to.equal(true);
    // (Without --account the run activates what it read: tests/integration/tap/sync.test.ts.)
  });
});
