// Discovery for every kind of token (issue 18 part 4), through the sandbox as Meta answers: a plain
// user token uses the edges a User node has (no assigned_*), a system user its assigned_* and business
// edges; accounts a business lists but the token has no role on, and closed ones, are skipped with a
// reason in sync_log; one dead token does not end a run whose other tokens still work.
import { expect } from 'chai';
import { addDays } from '../../../connector/core/dates.js';
import { catalogSelecting, runTap, sandboxedTap, tapConfig, TEST_TODAY, type TapRun } from './helpers.js';

const STREAMS = ['businesses', 'ad_accounts', 'pages', 'product_catalogs', 'campaigns', 'sync_log'];

describe('tap-facebook-ads discovery for every kind of token (child process)', function () {
  this.timeout(120_000);
  const h = sandboxedTap();
  const token = (label: string) => h.sb.tokens.find((t) => t.label === label)!;
  const userOf = (label: string) => h.sb.world.users.find((u) => u.id === token(label).userId)!;
  const run = (labels: string[], state?: unknown): Promise<TapRun> =>
    runTap({
      now: h.sb.now(),
      config: tapConfig(h.sb, h.rec.baseUrl, { start_date: addDays(TEST_TODAY, -5), access_tokens: labels.map((l) => ({ label: l, token: token(l).token })) }),
      catalog: catalogSelecting(STREAMS),
      ...(state ? { state } : {}),
      dir: h.tmp.dir,
    });
  /** Graph paths the run asked with the given token. */
  const pathsOf = (from: number, label: string): string[] =>
    h.rec.calls
      .slice(from)
      .filter((c) => c.params.get('access_token') === token(label).token)
      .map((c) => c.path);
  const activated = (r: TapRun): string[] => r.messages.filter((m) => m.type === 'ACTIVATE_VERSION').map((m) => m.stream!);
  const syncLog = (r: TapRun) => new Map(r.records('sync_log').map((l) => [String(l['account_id']), l]));

  it('syncs a plain user token alone: its accounts through /me/adaccounts and pages through /me/accounts, no assigned_* edge asked, ad_accounts activated, exit 0', async () => {
    const mark = h.rec.calls.length;
    const r = await run(['freelancer']);
    expect(r.code, r.stderr.slice(-2000)).to.equal(0);
    const paths = pathsOf(mark, 'freelancer');
    expect(paths).to.include('/me/adaccounts');
    expect(paths).to.include('/me/accounts');
    expect(
      paths.filter((p) => /^\/me\/assigned_/.test(p)),
      'a User node has no assigned_* edges',
    ).to.deep.equal([]);
    expect(activated(r)).to.include.members(['ad_accounts', 'pages', 'product_catalogs', 'businesses']);
    const reach = userOf('freelancer').accountIds;
    expect(
      r
        .records('ad_accounts')
        .map((a) => a['account_id'])
        .sort(),
    ).to.deep.equal([...reach].sort());
    const logs = syncLog(r);
    for (const a of reach) expect(logs.get(a)?.['status'], a).to.equal('ok');
    expect(r.records('pages').map((p) => p['id'])).to.include.members(userOf('freelancer').pageIds);
    // Which edges applied to the token, and why the others did not, is one log line per token.
    const edges = r.logs().find((l) => l['token_label'] === 'freelancer' && Array.isArray(l['edges']));
    expect(edges, 'a log line lists the edges read for the token').to.not.equal(undefined);
    expect(edges!['token_type']).to.equal('USER');
    expect(edges!['edges']).to.include('me/adaccounts');
    expect(edges!['not_applicable']).to.include('me/assigned_ad_accounts');
  });

  it('reads assigned_* and business edges for system-user tokens only, and records which edges applied per token', async () => {
    const mark = h.rec.calls.length;
    const r = await run(['agency', 'freelancer']);
    expect(r.code, r.stderr.slice(-2000)).to.equal(0);
    const agency = pathsOf(mark, 'agency');
    expect(agency).to.include.members(['/me/assigned_ad_accounts', '/me/assigned_pages', '/me/businesses', `/${userOf('agency').businessId}/owned_ad_accounts`]);
    expect(pathsOf(mark, 'freelancer').filter((p) => /assigned_|\/me\/businesses/.test(p))).to.deep.equal([]);
    const lines = r.logs().filter((l) => Array.isArray(l['edges']));
    expect(lines.find((l) => l['token_label'] === 'agency')?.['token_type']).to.equal('SYSTEM_USER');
    expect(lines.find((l) => l['token_label'] === 'agency')?.['edges']).to.include('me/assigned_ad_accounts');
    expect(activated(r)).to.include('ad_accounts');
  });

  describe('accounts a business lists that cannot be synced', () => {
    let r: TapRun;
    let noRole: string;
    let closed: string;
    let mark: number;
    let restore: () => void;

    before(async () => {
      // The agency's Business Manager owns two accounts; its system user loses its role on one (the
      // business edge still lists it, reading it answers 100/33), and the other one is closed.
      const agency = userOf('agency');
      const biz = h.sb.world.businesses.find((b) => b.id === agency.businessId)!;
      [noRole, closed] = biz.ownedAccountIds as [string, string];
      const freelancerHad = userOf('freelancer').accountIds.includes(noRole);
      const before = [...agency.accountIds];
      agency.accountIds.splice(agency.accountIds.indexOf(noRole), 1);
      if (freelancerHad) userOf('freelancer').accountIds.splice(userOf('freelancer').accountIds.indexOf(noRole), 1);
      const acct = h.sb.world.accountByBareId.get(closed)!;
      const status = acct.accountStatus;
      acct.accountStatus = 101;
      restore = () => {
        agency.accountIds.splice(0, agency.accountIds.length, ...before);
        if (freelancerHad) userOf('freelancer').accountIds.push(noRole);
        acct.accountStatus = status;
      };
      mark = h.rec.calls.length;
      r = await run(['agency']);
    });
    after(() => restore());

    it('skips them with a reason in sync_log and a log line, syncs the rest and exits 0', () => {
      expect(r.code, r.stderr.slice(-2000)).to.equal(0);
      const logs = syncLog(r);
      expect(logs.get(noRole), 'no role').to.include({ status: 'skipped', error_class: 'permission' });
      expect(String(logs.get(noRole)!['error_message'])).to.match(/no role|not assigned/i);
      expect(String(logs.get(noRole)!['hint'])).to.match(/Business Settings/);
      expect(logs.get(closed), 'closed').to.include({ status: 'skipped' });
      expect(String(logs.get(closed)!['error_message'])).to.include('CLOSED');
      for (const a of userOf('agency').accountIds) if (a !== closed) expect(logs.get(a)?.['status'], a).to.equal('ok');
      for (const a of [noRole, closed]) {
        expect(
          r.logs().some((l) => l['account_id'] === a && /skipp/i.test(String(l['msg']))),
          `log line for ${a}`,
        ).to.equal(true);
        expect(
          r.records('campaigns').some((c) => c['account_id'] === a),
          a,
        ).to.equal(false);
      }
    });

    it('asks about the account its token may have no role on inside a Batch API call, not with a GET of its own', () => {
      const calls = h.rec.calls.slice(mark);
      const items = calls.filter((c) => c.method === 'POST' && c.path === '/').flatMap((c) => JSON.parse(c.params.get('batch') ?? '[]') as Array<{ relative_url: string }>);
      expect(items.map((i) => i.relative_url)).to.deep.equal([`act_${noRole}?fields=%5B%22account_id%22%5D`]);
      expect(calls.filter((c) => c.method === 'GET' && c.path === `/act_${noRole}`)).to.deep.equal([]);
    });

    it('never reads the skipped accounts’ objects, and still lists them in ad_accounts (activated) with their status', () => {
      const paths = pathsOf(mark, 'agency');
      for (const a of [noRole, closed])
        expect(
          paths.filter((p) => p.startsWith(`/act_${a}/`)),
          a,
        ).to.deep.equal([]);
      const rows = new Map(r.records('ad_accounts').map((a) => [String(a['account_id']), a]));
      expect(rows.get(closed)?.['account_status']).to.equal(101);
      expect(rows.has(noRole)).to.equal(true);
      expect(activated(r)).to.include('ad_accounts');
    });

    it('keeps them out of state.scope, so leaving them out with account_ids silences them (no "no longer synced" row every run)', () => {
      const scope = r.lastState()!['scope'] as { accounts: string[] };
      expect(scope.accounts).to.include.members(userOf('agency').accountIds.filter((a) => a !== closed));
      expect(scope.accounts).to.not.include.members([noRole]);
      expect(scope.accounts).to.not.include(closed);
    });
  });

  it('goes on with the other tokens when one is dead: they discover and sync, the dead one is reported in the log and sync_log, exit 5', async () => {
    // A first run with every token gives the state that knows each account.
    const first = await run(['agency', 'brand', 'freelancer']);
    expect(first.code, first.stderr.slice(-2000)).to.equal(0);
    h.sb.faults.add({ kind: 'token_expired', token: 'brand', subcode: 460 });
    const reachOf = (label: string): string[] => {
      const u = userOf(label);
      const b = h.sb.world.businesses.find((x) => x.id === u.businessId);
      return [...new Set([...u.accountIds, ...(b?.ownedAccountIds ?? []), ...(b?.clientAccountIds ?? [])])];
    };
    const others = new Set([...reachOf('agency'), ...reachOf('freelancer')]);
    const brandOnly = reachOf('brand').filter((a) => !others.has(a));
    expect(brandOnly.length, 'some account only the brand token reaches').to.be.greaterThan(0);
    const r = await run(['agency', 'brand', 'freelancer'], first.lastState());
    expect(r.code, r.stderr.slice(-2000)).to.equal(5);
    const logs = syncLog(r);
    for (const a of others) expect(logs.get(a)?.['status'], a).to.equal('ok');
    for (const a of brandOnly) {
      expect(logs.get(a), a).to.include({ status: 'failed', error_class: 'auth' });
      expect(String(logs.get(a)!['error_message'])).to.include('"brand"');
    }
    const dead = r.logs().find((l) => l['token_label'] === 'brand' && l['level'] === 'error');
    expect(dead, 'an error line names the dead token').to.not.equal(undefined);
    expect(String(r.logs().find((l) => l['type'] === 'summary')?.['msg'])).to.include('token "brand" not usable');
    // Its accounts are unknown this run: the asset streams are not activated (no row is deleted).
    expect(activated(r)).to.not.include('ad_accounts');
    expect(r.stderr).to.not.include(token('brand').token);
  });

  it('still exits 3 with nothing on stdout when every token is dead', async () => {
    h.sb.faults.add({ kind: 'token_expired', token: 'freelancer' });
    const r = await run(['freelancer']);
    expect(r.code, r.stderr.slice(-2000)).to.equal(3);
    expect(r.messages).to.deep.equal([]);
  });
});
