// Narrowing business_ids or account_ids across runs of one state: what earlier runs read keeps its rows
// (listings still read, nothing marked deleted that Meta still has), what Meta deleted is still marked,
// and an account left out is said to be no longer synced instead of staying stale (state.scope).
import { expect } from 'chai';
import { addDays } from '../../../connector/core/dates.js';
import { catalogSelecting, runTap, sandboxedTap, tapConfig, TEST_TODAY, type TapRun } from './helpers.js';

const ASSETS = ['businesses', 'ad_accounts', 'pages', 'pixels', 'product_catalogs'];
const activated = (r: TapRun): string[] => r.messages.filter((m) => m.type === 'ACTIVATE_VERSION').map((m) => m.stream!);
const ids = (r: TapRun, stream: string, key = 'id'): string[] => r.records(stream).map((x) => String(x[key]));

describe('tap-facebook-ads when account_ids or business_ids narrow what earlier runs of the state read (child process)', function () {
  this.timeout(120_000);
  // This suite deletes a pixel from its world: a sandbox of its own.
  const rig = sandboxedTap();
  const run = (extra: Record<string, unknown>, state?: unknown): Promise<TapRun> => {
    const { sb, rec, tmp } = rig;
    return runTap({
      now: sb.now(),
      // Two system users, one per Business Manager: together they reach both.
      config: tapConfig(sb, rec.baseUrl, { start_date: addDays(TEST_TODAY, -3), access_tokens: sb.tokens.filter((t) => t.label !== 'freelancer').map((t) => ({ label: t.label, token: t.token })), ...extra }),
      catalog: catalogSelecting([...ASSETS, 'campaigns', 'sync_log']),
      ...(state ? { state } : {}),
      dir: tmp.dir,
    });
  };
  const calledSince = (mark: number, path: RegExp): boolean => rig.rec.calls.slice(mark).some((c) => path.test(c.path));

  describe('business_ids narrowed from both Business Managers to one', () => {
    let both: TapRun;
    let narrowed: TapRun;
    let mark: number;
    let kept: string;
    let left: string;
    /** Accounts only the business left out reaches: synced by the first run. */
    let leftOnly: string[];

    before(async () => {
      [kept, left] = rig.sb.world.businesses.map((b) => b.id) as [string, string];
      const leftBiz = rig.sb.world.businesses[1]!;
      const keptBiz = rig.sb.world.businesses[0]!;
      leftOnly = leftBiz.ownedAccountIds.filter((a) => !keptBiz.clientAccountIds.includes(a) && !keptBiz.ownedAccountIds.includes(a));
      both = await run({ business_ids: [kept, left] });
      expect(both.code, both.stderr.slice(-1500)).to.equal(0);
      mark = rig.rec.calls.length;
      narrowed = await run({ business_ids: [kept] }, both.lastState());
      expect(narrowed.code, narrowed.stderr.slice(-1500)).to.equal(0);
    });

    it('still lists (and activates) the business left out and its pages, pixels and catalogs, reading its listings but syncing none of its accounts', () => {
      expect(leftOnly.length, 'some account only the business left out reaches').to.be.greaterThan(0);
      expect(ids(narrowed, 'businesses')).to.include(left);
      expect(activated(narrowed)).to.include.members(ASSETS);
      const leftBiz = rig.sb.world.businesses[1]!;
      expect(ids(narrowed, 'pages')).to.include.members(leftBiz.ownedPageIds);
      expect(ids(narrowed, 'pixels')).to.include.members(leftBiz.ownedPixelIds);
      expect(ids(narrowed, 'product_catalogs')).to.include.members(leftBiz.ownedCatalogIds);
      expect(ids(narrowed, 'ad_accounts', 'account_id')).to.include.members(leftOnly);
      expect(calledSince(mark, new RegExp(`^/${left}/owned_pages$`))).to.equal(true);
      for (const a of leftOnly) expect(calledSince(mark, new RegExp(`^/act_${a}/campaigns$`)), a).to.equal(false);
      expect(narrowed.logs().some((l) => String(l['msg']).startsWith(`business ${left} left out by business_ids was read by earlier runs of this state`))).to.equal(true);
    });

    it('writes each account left out a skipped sync_log row saying it is no longer synced, and records what it read in state.scope', () => {
      const rows = new Map(narrowed.records('sync_log').map((l) => [String(l['account_id']), l]));
      for (const a of leftOnly) {
        expect(rows.get(a), a).to.include({ status: 'skipped', error_class: null });
        expect(String(rows.get(a)!['error_message'])).to.match(/no longer synced: config\.business_ids leaves it out/);
      }
      const scope = narrowed.lastState()!['scope'] as { accounts: string[]; businesses: string[] };
      expect(scope.businesses).to.deep.equal([kept, left].sort());
      expect(scope.accounts).to.include.members(leftOnly);
    });

    it('lets a business left out go once Meta refuses its listings: no partial run, it leaves state.scope, and the next run reads none of its edges', async () => {
      rig.sb.faults.add({ kind: 'graph_error', name: 'error_200', path: `^/${left}/owned_pages$` });
      const refused = await run({ business_ids: [kept] }, narrowed.lastState());
      expect(refused.code, refused.stderr.slice(-1500)).to.equal(0);
      expect(activated(refused)).to.include.members(ASSETS);
      expect((refused.lastState()!['scope'] as { businesses: string[] }).businesses).to.deep.equal([kept]);
      rig.sb.faults.clear();
      const at = rig.rec.calls.length;
      const after = await run({ business_ids: [kept] }, refused.lastState());
      expect(after.code, after.stderr.slice(-1500)).to.equal(0);
      expect(calledSince(at, new RegExp(`^/${left}/`))).to.equal(false);
      // Still listed by me/businesses: a row of businesses, not marked deleted.
      expect(ids(after, 'businesses')).to.include(left);
    });

    it('reads no listing of a business left out that no earlier run of the state read', async () => {
      const first = await run({ business_ids: [kept] });
      expect(first.code, first.stderr.slice(-1500)).to.equal(0);
      const at = rig.rec.calls.length;
      const second = await run({ business_ids: [kept] }, first.lastState());
      expect(second.code, second.stderr.slice(-1500)).to.equal(0);
      expect(calledSince(at, new RegExp(`^/${left}/`))).to.equal(false);
      expect(ids(second, 'businesses'), 'listed by me/businesses, which is read anyway').to.include(left);
      expect(activated(second)).to.include.members(ASSETS);
      expect(second.records('sync_log').filter((l) => l['status'] === 'skipped')).to.deep.equal([]);
    });
  });

  it('marks a pixel Meta deleted for a state that always runs with account_ids (pixels are activated), reading no other account', async () => {
    const acct = rig.sb.world.accounts.find((a) => rig.sb.world.pixels.some((p) => p.ownerAccountId === a.accountId))!;
    const own = rig.sb.world.pixels.find((p) => p.ownerAccountId === acct.accountId)!;
    const first = await run({ account_ids: [acct.accountId] });
    expect(first.code, first.stderr.slice(-1500)).to.equal(0);
    expect(ids(first, 'pixels')).to.include(own.id);
    expect(ids(first, 'ad_accounts', 'account_id').length, 'the tokens reach accounts left out').to.be.greaterThan(1);
    // The advertiser deletes the account's own pixel.
    acct.pixelIds = acct.pixelIds.filter((p) => p !== own.id);
    rig.sb.world.pixels = rig.sb.world.pixels.filter((p) => p.id !== own.id);
    const at = rig.rec.calls.length;
    const second = await run({ account_ids: [acct.accountId] }, first.lastState());
    expect(second.code, second.stderr.slice(-1500)).to.equal(0);
    expect(ids(second, 'pixels')).to.not.include(own.id);
    expect(activated(second)).to.include('pixels');
    const pixelReads = rig.rec.calls.slice(at).flatMap((c) => /^\/act_(\d+)\/adspixels$/.exec(c.path)?.[1] ?? []);
    expect(pixelReads).to.deep.equal([acct.accountId]);
  });

  it('says a failing account dropped from account_ids is no longer synced (skipped), where it stayed failed before, and lets it go once Meta refuses it too', async () => {
    const good = rig.sb.world.accounts[0]!;
    const bad = rig.sb.world.accounts[1]!;
    rig.sb.faults.add({ kind: 'account_forbidden', accountId: bad.accountId });
    const failing = await run({ account_ids: [good.accountId, bad.accountId] });
    expect(failing.code, failing.stderr.slice(-1500)).to.equal(5);
    expect(failing.records('sync_log').find((l) => l['account_id'] === bad.accountId)).to.include({ status: 'failed' });
    const dropped = await run({ account_ids: [good.accountId] }, failing.lastState());
    expect(dropped.code, dropped.stderr.slice(-1500)).to.equal(0);
    const row = dropped.records('sync_log').find((l) => l['account_id'] === bad.accountId);
    expect(row).to.include({ status: 'skipped', error_class: null });
    expect(String(row!['error_message'])).to.match(/no longer synced: config\.account_ids leaves it out/);
    expect(String(row!['hint'])).to.include(`remove "${bad.accountId}" from the state's "scope"."accounts"`);
    // Meta refuses its pixels too: beyond reach, it leaves the scope (no row from the next run on) without making this run partial.
    expect(activated(dropped)).to.include('pixels');
    expect((dropped.lastState()!['scope'] as { accounts: string[] }).accounts).to.deep.equal([good.accountId]);
  });

  it('says an account id no token lists (a typo), once dropped from account_ids, is left out by the config, not lost by the tokens', async () => {
    const good = rig.sb.world.accounts[0]!;
    const typo = '1234567890123';
    const failing = await run({ account_ids: [good.accountId, typo] });
    expect(failing.code, failing.stderr.slice(-1500)).to.equal(5);
    const dropped = await run({ account_ids: [good.accountId] }, failing.lastState());
    expect(dropped.code, dropped.stderr.slice(-1500)).to.equal(0);
    const row = dropped.records('sync_log').find((l) => l['account_id'] === typo);
    expect(row).to.include({ status: 'skipped', error_class: null });
    expect(String(row!['error_message'])).to.equal(`ad account ${typo} is no longer synced: config.account_ids leaves it out, and no token lists it (earlier runs of this state tried it)`);
    expect((dropped.lastState()!['scope'] as { accounts: string[] }).accounts).to.deep.equal([good.accountId]);
  });
});
