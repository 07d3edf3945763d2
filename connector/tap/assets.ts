// Discovery of every reachable asset across tokens and Business Managers (in parallel, bounded):
// per token the /me edges its type has (a person: /me/adaccounts, /me/accounts; a system user also its
// assigned_* edges), /me/businesses → owned/client edges. An object reached several ways becomes ONE
// entry whose access list keeps every path (never the token). Accounts that cannot be synced (closed,
// or listed by a business edge only while the token has no role on them) are kept apart with a reason.
import type { LimitFunction } from 'p-limit';
import { ConnectorError, asConnectorError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { TapConfig } from './config.js';
import type { GraphPort, TokenRef } from './graph-port.js';
import { batchesOf } from '../graph/batch.js';
import { BUSINESS_SCOPE, type TokenType } from '../graph/tokens.js';
import { ObjectSkipError } from '../graph/errors.js';
import { accountStatusName, UNSYNCED_ACCOUNT_STATUSES } from './account-status.js';
import { ASSET_STREAMS, requestFields, type AssetEdge, type AssetStream } from './streams.js';
import { assignPeoplePath } from '../graph/business-settings.js';
import type { Scope } from './scope.js';

export interface AccessEntry {
  business_id: string | null;
  relation: AssetEdge['relation'];
  token_label: string;
}

export interface FoundAsset {
  raw: Record<string, unknown>;
  access: AccessEntry[];
  /** Tokens (config order) that reached it: the client gets them as candidates. */
  tokenLabels: Set<string>;
  /** pixels only: ad accounts under which the pixel was listed. */
  adAccountIds: Set<string>;
}

export interface AccountInfo {
  accountId: string;
  name: string | null;
  currency: string | null;
  timezone: string;
  tokens: TokenRef[];
}

export interface DiscoveryResult {
  /** Every Business Manager the tokens list (business_ids narrows which have their edges read, not this). */
  businesses: Map<string, FoundAsset>;
  /** The businesses whose listing edges (owned/client accounts, pages, pixels, catalogs) were read: business_ids, or all. */
  businessesRead: Set<string>;
  /** The ad accounts this run syncs (account_ids and business_ids applied). */
  adAccounts: Map<string, FoundAsset>;
  /**
   * Ad accounts the tokens list that account_ids or business_ids leave out: not synced, no call made
   * for them, but still rows of ad_accounts, which describes everything the tokens reach, so activating
   * it never marks an account deleted only because it is no longer synced.
   */
  outOfScope: Map<string, FoundAsset>;
  pages: Map<string, FoundAsset>;
  pixels: Map<string, FoundAsset>;
  productCatalogs: Map<string, FoundAsset>;
  /**
   * Earlier runs' accounts and businesses (DiscoveryContext.carried) that account_ids or business_ids now
   * leave out, whose listings were read anyway: the businesses' edges, the accounts' adspixels.
   */
  carried: { accounts: string[]; businesses: string[] };
  /** Carried accounts and businesses Meta refused (permission, or no such object): beyond reach, out of the scope from now on. */
  lost: { accounts: Set<string>; businesses: Set<string> };
  /** Streams whose discovery failed for some token/business: they must not be activated. */
  incomplete: Map<string, string[]>;
  /** Configured account_ids that no token could reach, with the reason. */
  unreachable: Array<{ accountId: string; error: ConnectorError }>;
  /** Tokens whose discovery failed completely (e.g. dead token). */
  failedTokens: Array<{ label: string; error: ConnectorError }>;
  /** Accounts listed (and emitted in ad_accounts) but not synced, each with why. */
  skipped: Map<string, SkippedAccount>;
  /** Per token: its debug_token type, the /me and business edges read, the /me edges its type lacks. */
  edgesByToken: Map<string, { type: TokenType | null; edges: string[]; notApplicable: string[] }>;
}

export interface SkippedAccount {
  /** Sentence for sync_log.error_message and the log. */
  reason: string;
  /** Error kind when Meta refused the account (no role: permission); null when the tap chose to skip it (closed). */
  errorClass: ConnectorError['kind'] | null;
  hint: string;
}

export interface DiscoveryContext {
  graph: GraphPort;
  config: TapConfig;
  tokens: TokenRef[];
  log: Logger;
  limit: LimitFunction;
  /** Selected columns per asset stream (absent = the stream is not selected). */
  selected: Map<string, string[]>;
  /** Scopes per token label from debug_token; a token without business_management reaches no business. */
  scopes?: Map<string, string[]>;
  /** debug_token type per token label: which /me edges exist for it. Unknown = every /me edge is read. */
  types?: Map<string, TokenType>;
  /** Tokens debug_token found dead or unusable: their assets are unknown this run (discovery incomplete). */
  deadTokens?: Array<{ label: string; error: ConnectorError }>;
  /** Where config.account_ids came from when not the config file (e.g. `--account`), named in hints. */
  accountIdsFrom?: string;
  /**
   * What earlier runs read (state.scope): the listings of its businesses and the pixels of its accounts
   * are read even when business_ids / account_ids leave them out, so activating the asset streams marks
   * deleted only what Meta no longer lists, never rows of a business or account no longer synced.
   */
  carried?: Scope;
}

/**
 * Ad account fields Graph refuses with (#200) to tokens without business_management (facts §2.2
 * gotchas: Airbyte retries without `owner`). They are left out for such tokens, or after a (#200).
 */
export const BUSINESS_MANAGEMENT_FIELDS: readonly string[] = ['owner'];

const stream = (name: string): AssetStream => {
  const s = ASSET_STREAMS.find((a) => a.name === name);
  if (!s) throw new Error(`no asset stream ${name}`);
  return s;
};

/** The root of Business Manager discovery: its edge is read first, every `{business}` edge follows from it. */
const BUSINESSES = stream('businesses');

/** The declaration's needed fields plus the selected ones Graph returns. */
function fieldsFor(ctx: DiscoveryContext, name: string): string[] {
  const s = stream(name);
  const selected = ctx.selected.get(name) ?? [];
  return [...new Set([...s.neededFields, ...requestFields(s, selected)])];
}

/** Ad account fields that are its ids: a listing asking for nothing more is what Meta still answers for an account it refuses (below). */
const ACCOUNT_ID_FIELDS = ['id', 'account_id'];

/**
 * An ad account Meta refuses as a whole with 100/2446289 ("Ad Creative Is Incomplete": airbytehq/airbyte
 * #65944 saw it fail the ad_accounts stream, not only creatives): it is skipped for this run, with its
 * bookmarks where they were; ad_accounts is not activated, so its row in the warehouse stays.
 */
function refuseAccount(r: DiscoveryResult, accountId: string, e: ConnectorError): void {
  r.adAccounts.delete(accountId);
  r.skipped.set(accountId, {
    reason: `ad account ${accountId} is skipped for this run: Meta refuses to read it (${e.message}); none of its streams are read and its bookmarks stay where they were`,
    errorClass: e.kind,
    hint: 'Meta answers this for an ad account when something it shows (often the Facebook or Instagram post or reel behind an ad creative) was deleted or is no longer visible to the token. Open the account in Ads Manager and fix or delete the ads it flags; the next run reads the account again. Other accounts are not affected.',
  });
  r.incomplete.set('ad_accounts', [...(r.incomplete.get('ad_accounts') ?? []), `act_${accountId}: ${e.kind} (refused by Meta)`]);
}

const addAccess = (asset: FoundAsset, entry: AccessEntry): void => {
  if (!asset.access.some((a) => a.business_id === entry.business_id && a.relation === entry.relation && a.token_label === entry.token_label)) asset.access.push(entry);
  asset.tokenLabels.add(entry.token_label);
};

function merge(map: Map<string, FoundAsset>, id: string, raw: Record<string, unknown>, entry: AccessEntry | undefined, tokenLabel: string): FoundAsset {
  let asset = map.get(id);
  if (!asset) {
    asset = { raw: { ...raw }, access: [], tokenLabels: new Set(), adAccountIds: new Set() };
    map.set(id, asset);
  } else {
    for (const [k, v] of Object.entries(raw)) if (asset.raw[k] === undefined || asset.raw[k] === null) asset.raw[k] = v;
  }
  if (entry) addAccess(asset, entry);
  else asset.tokenLabels.add(tokenLabel);
  return asset;
}

/** The id an asset is keyed by: its key column, or Graph's id without the declared prefix (act_<id> → <id>). */
const assetIdOf = (s: AssetStream, raw: Record<string, unknown>): string | undefined => {
  const id = typeof raw['id'] === 'string' ? raw['id'] : undefined;
  const a = s.graphIdPrefix === undefined ? id : (raw[s.keyProperties[0]!] ?? (id?.startsWith(s.graphIdPrefix) ? id.slice(s.graphIdPrefix.length) : id));
  return typeof a === 'string' && a ? a : undefined;
};

export async function discoverAssets(ctx: DiscoveryContext): Promise<DiscoveryResult> {
  const result: DiscoveryResult = {
    businesses: new Map(),
    businessesRead: new Set(),
    adAccounts: new Map(),
    outOfScope: new Map(),
    pages: new Map(),
    pixels: new Map(),
    productCatalogs: new Map(),
    carried: { accounts: [], businesses: [] },
    lost: { accounts: new Set(), businesses: new Set() },
    incomplete: new Map(),
    unreachable: [],
    failedTokens: [],
    skipped: new Map(),
    edgesByToken: new Map(),
  };
  const { graph, config, log, limit } = ctx;
  const wanted = (name: string): boolean => stream(name).alwaysDiscovered === true || ctx.selected.has(name);
  const failed = (streams: readonly string[], where: string, err: unknown): void => {
    const e = asConnectorError(err);
    log.warn(`discovery of ${streams.join(', ')} is incomplete: ${where} failed: ${e.message}`, { error_kind: e.kind, hint: e.hint, ...e.context });
    for (const s of streams) result.incomplete.set(s, [...(result.incomplete.get(s) ?? []), `${where}: ${e.kind}`]);
  };
  /** One edge's rows, or (`node`) the one node at `path`. */
  const readOnce = (path: string, token: TokenRef, fields: string[], node = false): Promise<Array<Record<string, unknown>>> =>
    limit(async () => {
      if (node) return [await graph.request<Record<string, unknown>>(path, { params: { fields }, tokens: [token] })];
      const rows: Array<Record<string, unknown>> = [];
      for await (const row of graph.paginate<Record<string, unknown>>(path, { params: { fields }, tokens: [token] })) rows.push(row);
      return rows;
    });
  const readEdge = async (path: string, token: TokenRef, fields: string[], node = false): Promise<Array<Record<string, unknown>>> => {
    const scopes = ctx.scopes?.get(token.label);
    const gated = fields.filter((f) => BUSINESS_MANAGEMENT_FIELDS.includes(f));
    if (gated.length && scopes && !scopes.includes(BUSINESS_SCOPE))
      return readOnce(
        path,
        token,
        fields.filter((f) => !gated.includes(f)),
        node,
      );
    try {
      return await readOnce(path, token, fields, node);
    } catch (err) {
      if (!gated.length || asConnectorError(err).kind !== 'permission') throw err;
      log.info(`token "${token.label}" may not read ${gated.join(', ')} on ${path}; reading without`, { token_label: token.label });
      return readOnce(
        path,
        token,
        fields.filter((f) => !gated.includes(f)),
        node,
      );
    }
  };
  const businessFilter = config.business_ids ? new Set(config.business_ids) : undefined;
  const carriedBusiness = (id: string): boolean => businessFilter !== undefined && !businessFilter.has(id) && ctx.carried?.businesses.has(id) === true;
  /** Per carried business, the tokens Meta refused one of its edges to (beyondReach). */
  const refused = new Map<string, Set<string>>();
  const allAssetStreams = ASSET_STREAMS.map((s) => s.name);
  for (const dead of ctx.deadTokens ?? []) {
    failed(allAssetStreams, `token "${dead.label}" (debug_token)`, dead.error);
    result.failedTokens.push(dead);
  }

  await Promise.all(
    ctx.tokens.map(async (token) => {
      let me: { id?: string };
      try {
        me = await limit(() => graph.request<{ id?: string }>('me', { params: { fields: ['id', 'name'] }, tokens: [token] }));
      } catch (err) {
        failed(allAssetStreams, `token "${token.label}" /me`, err);
        result.failedTokens.push({ label: token.label, error: asConnectorError(err) });
        return;
      }
      void me;
      const type = ctx.types?.get(token.label);
      // An edge the token's /me node does not have is not asked: its absence is not an incomplete discovery.
      const applies = (edge: AssetEdge): boolean => type === undefined || edge.tokenTypes.includes(type);
      const meEdges = ASSET_STREAMS.flatMap((s) => s.edges.filter((e) => e.path.startsWith('me/') && wanted(s.name)));
      const businessEdge = BUSINESSES.edges[0]!;
      const noScope = ctx.scopes?.get(token.label)?.includes(BUSINESS_SCOPE) === false;
      const readsBusinesses = applies(businessEdge) && !noScope;
      let businesses: Array<Record<string, unknown>> = [];
      if (applies(businessEdge) && noScope) {
        log.info(`token "${token.label}" has no ${BUSINESS_SCOPE} scope: it reaches only accounts, pages and catalogs assigned to its user`, { token_label: token.label });
      } else if (readsBusinesses) {
        try {
          businesses = await readEdge(businessEdge.path, token, fieldsFor(ctx, BUSINESSES.name));
        } catch (err) {
          failed(allAssetStreams, `token "${token.label}" /${businessEdge.path}`, err);
        }
      }
      // Every business the token lists is a row of businesses (the listing is read anyway: no call more),
      // so activating it marks deleted only a business no token lists; only some have their edges read.
      businesses = businesses.filter((b) => typeof b['id'] === 'string');
      for (const b of businesses) merge(result.businesses, b['id'] as string, b, undefined, token.label);
      businesses = businesses.filter((b) => !businessFilter || businessFilter.has(b['id'] as string) || carriedBusiness(b['id'] as string));
      for (const b of businesses) result.businessesRead.add(b['id'] as string);

      const jobs: Array<Promise<void>> = [];
      /**
       * An account listing whose page Meta refuses for one account (ObjectSkipError): the ids alone are
       * listed, then each account is read on its own node; the refused one is skipped for the run.
       */
      const readAccountsOneByOne = async (path: string): Promise<Array<Record<string, unknown>>> => {
        log.warn(`${path} refused a page for one ad account; listing ids and reading each account on its own`, { token_label: token.label });
        const rows: Array<Record<string, unknown>> = [];
        for (const listed of await readOnce(path, token, ACCOUNT_ID_FIELDS)) {
          const accountId = assetIdOf(stream('ad_accounts'), listed);
          if (!accountId || result.skipped.has(accountId)) continue;
          try {
            rows.push(...(await readEdge(`act_${accountId}`, token, fieldsFor(ctx, 'ad_accounts'), true)));
          } catch (err) {
            if (!(err instanceof ObjectSkipError)) throw err;
            refuseAccount(result, accountId, err);
          }
        }
        return rows;
      };
      const edgeJob = (name: string, edge: AssetEdge, path: string, businessId: string | null): void => {
        if (!wanted(name)) return;
        const s = stream(name);
        jobs.push(
          (async () => {
            try {
              const rows = await readEdge(path, token, fieldsFor(ctx, name)).catch((err: unknown) => {
                if (name !== 'ad_accounts' || !(err instanceof ObjectSkipError)) throw err;
                return readAccountsOneByOne(path);
              });
              const target = mapFor(result, name);
              for (const row of rows) {
                const id = assetIdOf(s, row);
                if (!id || (name === 'ad_accounts' && result.skipped.has(id))) continue;
                const owner = s.ownerField ? ((row[s.ownerField] as { id?: string } | undefined)?.id ?? null) : null;
                merge(target, id, row, { business_id: businessId ?? owner, relation: edge.relation, token_label: token.label }, token.label);
              }
            } catch (err) {
              if (businessId !== null && carriedBusiness(businessId) && beyondReach(err)) {
                log.info(`business ${businessId}, no longer synced, refuses ${path} to token "${token.label}" (${asConnectorError(err).message})`, { business_id: businessId, token_label: token.label });
                refused.set(businessId, new Set([...(refused.get(businessId) ?? []), token.label]));
              } else failed([name], `token "${token.label}" ${path}`, err);
            }
          })(),
        );
      };
      for (const s of ASSET_STREAMS) {
        for (const edge of s.edges) {
          if (edge.path.includes('{business}')) {
            for (const b of businesses) edgeJob(s.name, edge, edge.path.replace('{business}', b['id'] as string), b['id'] as string);
          } else if (!edge.path.includes('{account}') && s !== BUSINESSES && applies(edge)) {
            edgeJob(s.name, edge, edge.path, null);
          }
        }
      }
      const read = [...meEdges.filter((e) => applies(e) && (e !== businessEdge || readsBusinesses)).map((e) => e.path), ...(businesses.length ? ASSET_STREAMS.flatMap((s) => (wanted(s.name) ? s.edges.filter((e) => e.path.startsWith('{business}/')).map((e) => e.path) : [])) : [])];
      const notApplicable = meEdges.filter((e) => !applies(e)).map((e) => e.path);
      result.edgesByToken.set(token.label, { type: type ?? null, edges: read, notApplicable });
      log.info(`token "${token.label}" (${type ?? 'type unknown'}) reads ${read.join(', ') || 'no listing edge (only account_ids are looked up with it)'}${notApplicable.length ? `; not edges of a ${type} token: ${notApplicable.join(', ')}` : ''}`, {
        token_label: token.label,
        token_type: type ?? null,
        edges: read,
        not_applicable: notApplicable,
      });
      await Promise.all(jobs);
    }),
  );

  // Business edges list the business's assets whichever token asks: one token still reading them is enough.
  for (const [id, labels] of refused) {
    if (![...result.businesses.get(id)!.tokenLabels].every((l) => labels.has(l))) continue;
    log.info(`business ${id}, no longer synced, refuses its listings to every token that lists it: they are no longer read, and it leaves the state's scope`, { business_id: id });
    result.lost.businesses.add(id);
    result.businessesRead.delete(id);
  }
  result.carried.businesses = [...result.businessesRead].filter(carriedBusiness).sort();
  restrictAccounts(result, config);
  await findConfiguredAccounts(ctx, result);
  await findUnsyncableAccounts(ctx, result);
  if (ctx.selected.has('pixels')) await discoverAccountPixels(ctx, result, failed);
  return result;
}

/**
 * Accounts listed but not to be synced: closed or disabled ones (account_status, account-status.ts), and
 * ones only a business edge (owned/client) listed — no /me edge, so the token may have no role on them.
 * Those are read once (GET act_<id>, 50 to a Batch API call among accounts the same tokens reach); a
 * permission answer (200/10, 100/33) skips them with a reason instead of failing every run. Any other
 * failure leaves them to the sync, which reports it.
 */
async function findUnsyncableAccounts(ctx: DiscoveryContext, r: DiscoveryResult): Promise<void> {
  const probes = new Map<string, Array<[string, FoundAsset]>>(); // by the tokens that reach them
  for (const [accountId, a] of r.adAccounts) {
    const status = a.raw['account_status'];
    if (typeof status === 'number' && UNSYNCED_ACCOUNT_STATUSES.has(status)) {
      r.skipped.set(accountId, {
        reason: `ad account ${accountId} is ${accountStatusName(status)} (account_status ${status}): it delivers nothing, so none of its objects or insights are read`,
        errorClass: null,
        hint: 'Nothing to do: its rows from earlier runs stay in the warehouse. If it is reopened, the next run syncs it again.',
      });
      continue;
    }
    if (a.access.some((x) => x.relation === 'assigned')) continue;
    const key = [...a.tokenLabels].sort().join('\n');
    probes.set(key, [...(probes.get(key) ?? []), [accountId, a]]);
  }
  const noRole = (accountId: string, a: FoundAsset, e: ConnectorError): void => {
    const via = [...new Set(a.access.map((x) => `${x.relation} by business ${x.business_id}`))].join(', ');
    r.skipped.set(accountId, {
      reason: `ad account ${accountId} is listed by a Business Manager (${via}) but the token${a.tokenLabels.size === 1 ? '' : 's'} listing it (${[...a.tokenLabels].map((l) => `"${l}"`).join(', ')}) ha${a.tokenLabels.size === 1 ? 's' : 've'} no role on it: ${e.message}`,
      errorClass: 'permission',
      hint: `To sync it, assign it to the token’s system user (${assignPeoplePath('Ad accounts')}, "View performance"); to silence this, leave it out with account_ids or business_ids.`,
    });
  };
  await Promise.all(
    [...probes.values()].flatMap(batchesOf).map((chunk) =>
      ctx.limit(async () => {
        const requests = chunk.map(([accountId]) => ({ path: `act_${accountId}`, params: { fields: ['account_id'] }, accountId }));
        // A batch that fails as a whole says nothing about these accounts: the sync reads and reports them.
        const answers = await ctx.graph.requestBatch(requests, { tokens: tokensFor(ctx.tokens, chunk[0]![1].tokenLabels) }).catch(() => []);
        answers.forEach((answer, i) => {
          if (!answer.ok && answer.error.kind === 'permission') noRole(chunk[i]![0], chunk[i]![1], answer.error);
        });
      }),
    ),
  );
}

function mapFor(r: DiscoveryResult, name: string): Map<string, FoundAsset> {
  switch (name) {
    case 'businesses':
      return r.businesses;
    case 'ad_accounts':
      return r.adAccounts;
    case 'pages':
      return r.pages;
    case 'pixels':
      return r.pixels;
    case 'product_catalogs':
      return r.productCatalogs;
    default:
      throw new Error(`no asset map for ${name}`);
  }
}

/**
 * account_ids / business_ids narrow what is synced (discovery still reads the edges it needs): the
 * accounts they leave out are kept apart (outOfScope), listed but never read.
 */
function restrictAccounts(r: DiscoveryResult, config: TapConfig): void {
  const ids = config.account_ids ? new Set(config.account_ids) : undefined;
  const businesses = config.business_ids ? new Set(config.business_ids) : undefined;
  for (const [id, a] of r.adAccounts) {
    const ownerId = (a.raw['business'] as { id?: string } | undefined)?.id;
    const inBusiness = !businesses || a.access.some((x) => x.business_id !== null && businesses.has(x.business_id)) || (ownerId !== undefined && businesses.has(ownerId));
    if ((ids && !ids.has(id)) || !inBusiness) {
      r.outOfScope.set(id, a);
      r.adAccounts.delete(id);
    }
  }
  // Refused accounts outside account_ids are not this run's concern either.
  for (const id of r.skipped.keys()) if (ids && !ids.has(id)) r.skipped.delete(id);
}

/** A configured account no edge listed is looked up directly with every token before it is declared unreachable. */
async function findConfiguredAccounts(ctx: DiscoveryContext, r: DiscoveryResult): Promise<void> {
  for (const accountId of ctx.config.account_ids ?? []) {
    if (r.adAccounts.has(accountId) || r.skipped.has(accountId)) continue;
    let lastError: ConnectorError | undefined;
    for (const token of ctx.tokens) {
      try {
        const scopes = ctx.scopes?.get(token.label);
        const fields = fieldsFor(ctx, 'ad_accounts').filter((f) => !(scopes && !scopes.includes(BUSINESS_SCOPE) && BUSINESS_MANAGEMENT_FIELDS.includes(f)));
        const raw = await ctx.limit(() => ctx.graph.request<Record<string, unknown>>(`act_${accountId}`, { params: { fields }, tokens: [token], accountId }));
        const owner = (raw['business'] as { id?: string } | undefined)?.id ?? null;
        merge(r.adAccounts, accountId, raw, { business_id: owner, relation: 'assigned', token_label: token.label }, token.label);
        r.outOfScope.delete(accountId); // named in account_ids, outside business_ids: synced after all
      } catch (err) {
        lastError = asConnectorError(err);
        if (err instanceof ObjectSkipError) {
          refuseAccount(r, accountId, err);
          break;
        }
      }
    }
    if (!r.adAccounts.has(accountId) && !r.skipped.has(accountId)) {
      const kind = lastError && lastError.kind !== 'unexpected' ? lastError.kind : 'permission';
      r.unreachable.push({
        accountId,
        error: new ConnectorError(kind, `ad account ${accountId} is not reachable by any configured token${lastError ? ` (${lastError.message})` : ''}`, {
          hint:
            kind === 'permission' || kind === 'config'
              ? `Assign the account to the token’s system user (${assignPeoplePath('Ad accounts')}) ${ctx.accountIdsFrom ? `or check the id given as ${ctx.accountIdsFrom}` : 'or remove it from config.account_ids'}.`
              : (lastError?.hint ?? 'Re-run later.'),
          context: { ...(lastError?.context ?? {}), account_id: accountId },
        }),
      });
    }
  }
}

/**
 * Pixels listed under each ad account (act_<id>/adspixels): the synced ones, and the ones earlier runs
 * synced that account_ids / business_ids now leave out (one call each), so every pixel the warehouse may
 * hold from an account is listed again and activating pixels marks deleted only what Meta no longer lists.
 */
async function discoverAccountPixels(ctx: DiscoveryContext, r: DiscoveryResult, failed: (s: readonly string[], where: string, err: unknown) => void): Promise<void> {
  const fields = fieldsFor(ctx, 'pixels');
  r.carried.accounts = [...(ctx.carried?.accounts ?? [])].filter((id) => !r.adAccounts.has(id)).sort();
  // A carried account no edge listed this run is asked with every token: Meta's answer says whether one still reaches it.
  const listed = (id: string): FoundAsset | undefined => r.adAccounts.get(id) ?? r.outOfScope.get(id);
  await Promise.all(
    [...r.adAccounts.keys(), ...r.carried.accounts].map(async (accountId) => {
      const account = listed(accountId);
      const tokens = account ? tokensFor(ctx.tokens, account.tokenLabels) : [...ctx.tokens];
      try {
        const rows = await ctx.limit(async () => {
          const out: Array<Record<string, unknown>> = [];
          for await (const row of ctx.graph.paginate<Record<string, unknown>>(`act_${accountId}/adspixels`, { params: { fields }, tokens, accountId })) out.push(row);
          return out;
        });
        for (const row of rows) {
          if (typeof row['id'] !== 'string') continue;
          const pixel = merge(r.pixels, row['id'], row, undefined, tokens[0]?.label ?? '');
          pixel.adAccountIds.add(accountId);
          for (const entry of account?.access ?? []) addAccess(pixel, entry);
        }
      } catch (err) {
        if (r.adAccounts.has(accountId) || !beyondReach(err)) return failed(['pixels'], `act_${accountId}/adspixels`, err);
        ctx.log.info(`ad account ${accountId}, no longer synced, is refused to the tokens that reach it (${asConnectorError(err).message}): its pixels are no longer read, and it leaves the state's scope`, { account_id: accountId });
        r.lost.accounts.add(accountId);
      }
    }),
  );
  r.carried.accounts = r.carried.accounts.filter((id) => !r.lost.accounts.has(id));
}

/**
 * A listing read only because earlier runs read it (DiscoveryContext.carried) that Meta refuses is beyond
 * reach: what only it listed is gone for this state, as an account no token lists is. It is not a partial
 * discovery: that would fail every run of a user who left the business or account out to silence it.
 */
const beyondReach = (err: unknown): boolean => ['permission', 'config'].includes(asConnectorError(err).kind);

/** Config-ordered tokens among the given labels. */
export function tokensFor(all: readonly TokenRef[], labels: ReadonlySet<string>): TokenRef[] {
  return all.filter((t) => labels.has(t.label));
}

export function accountInfo(all: readonly TokenRef[], accountId: string, a: FoundAsset): AccountInfo {
  const tz = a.raw['timezone_name'];
  return {
    accountId,
    name: typeof a.raw['name'] === 'string' ? a.raw['name'] : null,
    currency: typeof a.raw['currency'] === 'string' ? a.raw['currency'] : null,
    timezone: typeof tz === 'string' && tz ? tz : 'UTC',
    tokens: tokensFor(all, a.tokenLabels),
  };
}
