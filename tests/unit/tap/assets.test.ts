// Discovery merging with a small scripted Graph: one record per object whatever the number of paths,
// access entries kept per path, restrictions applied, failures marking streams incomplete.
import { expect } from 'chai';
import pLimit from 'p-limit';
import { Logger } from '../../../connector/core/log.js';
import { PermissionError, TransientError } from '../../../connector/core/errors.js';
import { discoverAssets } from '../../../connector/tap/assets.js';
import { validateTapConfig } from '../../../connector/tap/config.js';
import type { BatchAnswer, BatchRequest, CallStats, GraphCall, GraphPort } from '../../../connector/tap/graph-port.js';
import { eachRequest } from './fake-graph-port.js';

type Edges = Record<string, Array<Record<string, unknown>> | Error>;

class FakeGraph implements GraphPort {
  readonly calls: string[] = [];
  constructor(private readonly byToken: Record<string, Edges>) {}
  private answer(path: string, opts: GraphCall): Array<Record<string, unknown>> {
    const label = opts.tokens[0]!.label;
    this.calls.push(`${label} ${path}`);
    const a = this.byToken[label]?.[path];
    if (a instanceof Error) throw a;
    if (!a) throw new PermissionError(`no ${path} for ${label}`);
    return a;
  }
  async request<T>(path: string, opts: GraphCall): Promise<T> {
    if (path === 'me') return { id: `user_${opts.tokens[0]!.label}` } as T;
    return this.answer(path, opts)[0] as T;
  }
  requestBatch<T>(requests: readonly BatchRequest[], opts: GraphCall): Promise<Array<BatchAnswer<T>>> {
    return eachRequest<T>(this, requests, opts);
  }
  async *paginate<T>(path: string, opts: GraphCall): AsyncGenerator<T> {
    for (const r of this.answer(path, opts)) yield r as T;
  }
  holdAfterThrottle(): number {
    return 0;
  }
  statsFor(): CallStats {
    return { api_calls: 0, throttles: 0, retries: 0, errors: 0 };
  }
  deadTokens(): string[] {
    return [];
  }
}

const acct = (id: string, business?: string) => ({ id: `act_${id}`, account_id: id, name: `A${id}`, currency: 'USD', timezone_name: 'UTC', ...(business ? { business: { id: business, name: 'B' } } : {}) });
const silent = new Logger({ component: 'test', sink: { write: () => true } });
const tokens = [
  { label: 'agency', token: 'sbx_agency_0123456789' },
  { label: 'brand', token: 'sbx_brand_0123456789' },
];
const world = (): Record<string, Edges> => ({
  agency: {
    'me/businesses': [{ id: '900', name: 'Agency' }],
    '900/owned_ad_accounts': [acct('1', '900')],
    '900/client_ad_accounts': [acct('2', '800')],
    'me/assigned_ad_accounts': [acct('1', '900')],
    'me/adaccounts': [acct('1', '900'), acct('2', '800')],
  },
  brand: {
    'me/businesses': [{ id: '800', name: 'Brand' }],
    '800/owned_ad_accounts': [acct('2', '800'), acct('3', '800')],
    '800/client_ad_accounts': [],
    'me/assigned_ad_accounts': [],
    'me/adaccounts': [acct('3', '800')],
  },
});

async function run(edges: Record<string, Edges>, extra: Record<string, unknown> = {}, accountIdsFrom?: string) {
  const config = validateTapConfig({ access_tokens: tokens, ...extra }).config;
  const graph = new FakeGraph(edges);
  const result = await discoverAssets({ graph, config, tokens, log: silent, limit: pLimit(2), selected: new Map([['ad_accounts', ['account_id', 'id', 'name']]]), ...(accountIdsFrom ? { accountIdsFrom } : {}) });
  return { result, graph };
}

describe('tap asset discovery (scripted Graph)', () => {
  it('merges an account reached through several tokens and businesses into one entry with every path', async () => {
    const { result } = await run(world());
    expect([...result.adAccounts.keys()].sort()).to.deep.equal(['1', '2', '3']);
    const access = (id: string) =>
      result.adAccounts
        .get(id)!
        .access.map((a) => `${a.business_id}|${a.relation}|${a.token_label}`)
        .sort();
    expect(access('2')).to.deep.equal(['800|assigned|agency', '800|owned|brand', '900|client|agency']);
    expect(access('1')).to.deep.equal(['900|assigned|agency', '900|owned|agency']);
    expect([...result.adAccounts.get('2')!.tokenLabels].sort()).to.deep.equal(['agency', 'brand']);
    expect(result.incomplete.size).to.equal(0);
  });

  it('restricts the sync to account_ids and business_ids, keeping the accounts they leave out apart (listed, not synced)', async () => {
    const byIds = (await run(world(), { account_ids: ['act_3'] })).result;
    expect([...byIds.adAccounts.keys()]).to.deep.equal(['3']);
    expect([...byIds.outOfScope.keys()].sort()).to.deep.equal(['1', '2']);
    const byBusiness = (await run(world(), { business_ids: ['900'] })).result;
    expect([...byBusiness.adAccounts.keys()].sort()).to.deep.equal(['1', '2']);
    expect([...byBusiness.outOfScope.keys()]).to.deep.equal(['3']);
    expect((await run(world())).result.outOfScope.size).to.equal(0);
  });

  it('reads the edges of a business business_ids leaves out only when earlier runs read it, and lets it go only once every token listing it is refused', async () => {
    const discoverWith = async (edges: Record<string, Edges>, carried?: string[]) => {
      const config = validateTapConfig({ access_tokens: tokens, business_ids: ['900'] }).config;
      const graph = new FakeGraph(edges);
      const scope = carried ? { carried: { accounts: new Set<string>(), businesses: new Set(carried) } } : {};
      return { result: await discoverAssets({ graph, config, tokens, log: silent, limit: pLimit(2), selected: new Map([['ad_accounts', ['account_id', 'id', 'name']]]), ...scope }), graph };
    };
    // The agency's token lists business 800 too, but has no role on its edges (the fake answers permission).
    const edges = (): Record<string, Edges> => {
      const w = world();
      w['agency']!['me/businesses'] = [
        { id: '900', name: 'Agency' },
        { id: '800', name: 'Brand' },
      ];
      return w;
    };
    const never = await discoverWith(edges());
    expect(never.graph.calls.filter((c) => c.includes(' 800/'))).to.deep.equal([]);
    expect([...never.result.businesses.keys()].sort(), 'listed by me/businesses: a row, no call more').to.deep.equal(['800', '900']);

    const carried = await discoverWith(edges(), ['800']);
    expect(carried.graph.calls).to.include('brand 800/owned_ad_accounts');
    expect(carried.result.carried.businesses).to.deep.equal(['800']);
    expect([...carried.result.businessesRead].sort()).to.deep.equal(['800', '900']);
    expect([...carried.result.adAccounts.keys()].sort(), 'synced: business_ids alone').to.deep.equal(['1', '2']);
    expect(carried.result.incomplete.size, "the brand token read 800's edges: the agency's refusal leaves nothing unknown").to.equal(0);
    expect(carried.result.lost.businesses.size).to.equal(0);

    const refusedToAll = edges();
    delete refusedToAll['brand']!['800/owned_ad_accounts'];
    const gone = await discoverWith(refusedToAll, ['800']);
    expect([...gone.result.lost.businesses]).to.deep.equal(['800']);
    expect([...gone.result.businessesRead]).to.deep.equal(['900']);
    expect(gone.result.incomplete.size, 'beyond reach, not a partial discovery').to.equal(0);
  });

  it('marks a stream incomplete when one edge fails, and keeps what the other paths found', async () => {
    const edges = world();
    edges['brand']!['800/owned_ad_accounts'] = new TransientError('boom');
    const { result } = await run(edges);
    expect([...result.incomplete.keys()]).to.deep.equal(['ad_accounts']);
    expect([...result.adAccounts.keys()].sort()).to.deep.equal(['1', '2', '3']);
  });

  it('looks a configured account up directly before declaring it unreachable, with a hint', async () => {
    const edges = world();
    edges['brand']!['act_42'] = [acct('42')];
    const { result, graph } = await run(edges, { account_ids: ['42', '77'] });
    expect([...result.adAccounts.keys()]).to.deep.equal(['42']);
    expect(result.adAccounts.get('42')!.access).to.deep.equal([{ business_id: null, relation: 'assigned', token_label: 'brand' }]);
    expect(result.unreachable.map((u) => u.accountId)).to.deep.equal(['77']);
    expect(result.unreachable[0]!.error.hint).to.include('or remove it from config.account_ids');
    expect(graph.calls).to.include('agency act_77');
  });

  it('names --account, not config.account_ids, in the hint for an unreachable account the run was narrowed to', async () => {
    const { result } = await run(world(), { account_ids: ['999999'] }, '--account');
    expect(result.unreachable.map((u) => u.accountId)).to.deep.equal(['999999']);
    expect(result.unreachable[0]!.error.hint).to.include('or check the id given as --account').and.not.include('config.account_ids');
  });

  it('skips Business Manager edges for a token whose scopes lack business_management', async () => {
    const config = validateTapConfig({ access_tokens: tokens }).config;
    const graph = new FakeGraph(world());
    const result = await discoverAssets({ graph, config, tokens, log: silent, limit: pLimit(2), selected: new Map(), scopes: new Map([['brand', ['ads_read']]]) });
    expect(graph.calls.filter((c) => c.startsWith('brand ') && /businesses|owned|client/.test(c))).to.deep.equal([]);
    expect(result.incomplete.size).to.equal(0);
    expect(result.adAccounts.get('3')!.access.map((a) => a.relation)).to.deep.equal(['assigned']);
  });

  it('asks each token only the /me edges its debug_token type has: a person no assigned_*, a page token no listing edge; neither is incomplete', async () => {
    const config = validateTapConfig({ access_tokens: tokens }).config;
    const edges = world();
    delete edges['agency']!['me/assigned_ad_accounts'];
    Object.assign(edges['agency']!, { 'me/accounts': [{ id: 'p1', name: 'Page' }], '900/owned_pages': [], '900/client_pages': [] });
    edges['brand'] = {};
    const graph = new FakeGraph(edges);
    const types = new Map([
      ['agency', 'USER'],
      ['brand', 'PAGE'],
    ] as const);
    const result = await discoverAssets({ graph, config, tokens, log: silent, limit: pLimit(2), selected: new Map([['pages', ['id']]]), types: new Map(types) });
    expect(graph.calls.filter((c) => /assigned_/.test(c))).to.deep.equal([]);
    expect(graph.calls.filter((c) => c.startsWith('brand ') && c !== 'brand me')).to.deep.equal([]);
    expect(graph.calls).to.include('agency me/accounts');
    expect(result.incomplete.size, [...result.incomplete.values()].join('; ')).to.equal(0);
    expect(result.edgesByToken.get('agency')).to.deep.include({ type: 'USER', notApplicable: ['me/assigned_ad_accounts', 'me/assigned_pages'] });
    expect(result.edgesByToken.get('brand')!.edges).to.deep.equal([]);
  });

  it('keeps closed accounts and accounts a business lists without a role out of the sync, each with a reason', async () => {
    const edges = world();
    edges['brand']!['800/owned_ad_accounts'] = [acct('2', '800'), acct('3', '800'), { ...acct('4', '800'), account_status: 101 }, acct('5', '800')];
    edges['brand']!['act_5'] = new PermissionError('(#100) Object with ID act_5 does not exist, cannot be loaded due to missing permissions');
    const { result, graph } = await run(edges);
    expect([...result.adAccounts.keys()].sort()).to.deep.equal(['1', '2', '3', '4', '5']);
    expect([...result.skipped.keys()].sort()).to.deep.equal(['4', '5']);
    expect(result.skipped.get('4')).to.include({ errorClass: null });
    expect(result.skipped.get('4')!.reason).to.include('CLOSED');
    expect(result.skipped.get('5')).to.include({ errorClass: 'permission' });
    expect(result.skipped.get('5')!.reason).to.include('no role');
    // Only the account no /me edge listed is probed; the closed one needs no call.
    expect(graph.calls.filter((c) => / act_/.test(c))).to.deep.equal(['brand act_5']);
  });
});
