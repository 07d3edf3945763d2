// Node and edge routing for the Graph surface (facts §2.1, §11): /me, businesses, ad accounts,
// campaigns/ad sets/ads/creatives, pages, pixels, catalogs, insights and report runs. Reach is
// enforced here: objects a token cannot see answer 100/33 like missing ones (facts §7.4).
import { canReadAccount, hasScope, isBusinessMember, type Auth } from '../auth.js';
import type { Call } from '../context.js';
import { E } from '../errors.js';
import { checkFields, parseFields, project, type NodeType } from '../fields.js';
import { businessScopedUserEdges, checkEnumParams, nodeType, requireEdge, type SdkEdge } from '../meta.js';
import { lifetimeSpend } from '../insights.js';
import { paginate } from '../paging.js';
import type { AdAccount, Business, Catalog, Page, Pixel, World, WorldNode, WorldUser } from '../world.js';
import { createReportRun, reportRunNode, reportRunResults, syncInsights, type Scope } from './insights.js';
import { checkWithdrawn, listCreatives, listTree, renderTree, resolvesContent, summaryOf } from './objects.js';
import {
  AD,
  AD_ACCOUNT,
  AD_CREATIVE,
  AD_SET,
  ASSIGNED_USER,
  BUSINESS,
  BUSINESS_USER,
  CAMPAIGN,
  CATALOG,
  CLIENT_AD_ACCOUNT,
  PAGE,
  PIXEL,
  REPORT_RUN,
  SYSTEM_USER,
  USER,
  accountValues,
  businessValues,
  catalogValues,
  creativeValues,
  pageValues,
  pixelValues,
  userValues,
} from './render.js';

type Body = Record<string, unknown>;

export function route(call: Call): Body {
  const segs = call.req.path.split('/').filter((s) => s !== '');
  if (segs.length === 0) throw E.invalidParam('Unsupported request: the root path only accepts POST with a batch parameter');
  if (segs.length > 2) throw E.unknownPath(segs.slice(2).join('/'));
  const [head, edge] = segs as [string, string | undefined];
  const auth = call.requireAuth();
  const world = call.core.world;
  const method = call.req.method;
  if (method !== 'GET' && !(method === 'POST' && edge === 'insights')) {
    if (method === 'POST') throw E.unsupportedPost(head);
    throw E.unsupportedGet(head);
  }

  if (head === 'me') return userRoute(call, auth.user, edge, true);
  const acctMatch = /^act_(\d+)$/.exec(head);
  if (acctMatch) {
    const acct = world.accountByBareId.get(acctMatch[1]!);
    if (!acct || !canReadAccount(auth, acct.accountId)) throw E.unsupportedGet(head);
    return accountRoute(call, acct, edge);
  }
  if (!/^\d+$/.test(head)) throw E.unsupportedGet(head);
  const run = call.core.runs.get(head);
  if (run) {
    if (!canReadAccount(auth, run.accountId)) throw E.unsupportedGet(head);
    call.touchAccount(run.accountId, 'ads_insights');
    if (edge === undefined) return reportRunNode(call, run);
    if (method !== 'GET') throw E.unsupportedPost(head);
    edgeSpec(call, REPORT_RUN, edge);
    return reportRunResults(call, run);
  }
  const node = world.byId.get(head);
  if (!node) throw E.unsupportedGet(head);
  switch (node.kind) {
    case 'user':
      if (node.id !== auth.user.id && !(node.businessId !== null && isBusinessMember(auth, node.businessId))) throw E.unsupportedGet(head);
      return userRoute(call, node.ref, edge, node.id === auth.user.id);
    case 'business':
      return businessRoute(call, node.ref, edge);
    case 'account':
      throw E.unsupportedGet(head); // ad accounts are addressed as act_<id> (facts §1.2)
    case 'campaign':
    case 'adset':
    case 'ad':
    case 'creative':
      return treeRoute(call, node, edge);
    case 'page':
    case 'pixel':
    case 'catalog':
      if (!canReadAsset(world, auth, node)) throw E.unsupportedGet(head);
      if (edge !== undefined) return emptyEdge(call, edgeSpec(call, assetType(node), edge));
      return assetNode(call, node);
  }
}

function nodeOnly(call: Call, nt: NodeType, values: Body): Body {
  return project(nt, values, parseFields(call.req.params.get('fields')), call.req.version);
}

function listOf<T>(call: Call, nt: NodeType, items: T[], render: (t: T) => Body, refused?: (t: T) => boolean): Body {
  const fields = parseFields(call.req.params.get('fields'));
  checkFields(nt, fields, call.req.version);
  const page = paginate(call.req, items, 'object');
  if (refused && page.items.some(refused)) throw E.creativeIncomplete();
  return page.body(
    page.items.map((t) => project(nt, render(t), fields, call.req.version)),
    summaryOf(call, items.length),
  );
}

/**
 * An edge as Meta's SDK declares it: an edge the node type lacks → (#100) nonexisting field; enum
 * parameters outside the SDK's values → (#100) must be one of. Returns the edge for the route.
 */
function edgeSpec(call: Call, nt: NodeType, edge: string): SdkEdge {
  const spec = requireEdge(nt, edge);
  checkEnumParams(spec.params, (n) => call.req.params.get(n));
  return spec;
}

/** An edge Graph has but the seeded world holds nothing for: fields checked against its node type, no rows. */
function emptyEdge(call: Call, spec: SdkEdge): Body {
  if (spec.target === null || spec.target === 'AbstractCrudObject') return paginate(call.req, [], 'object').body([], summaryOf(call, 0));
  return listOf(call, nodeType(spec.target), [], () => ({}));
}

export function amountSpent(call: Call, acct: AdAccount): number {
  const core = call.core;
  const key = `${acct.accountId}#${core.world.clock.nowUnix}`;
  let v = core.spentCache.get(key);
  if (v === undefined) {
    v = lifetimeSpend(core.world, acct, core.world.clock.nowUnix);
    core.spentCache.set(key, v);
  }
  return v;
}

/** Requesting `owner` without business_management → (#200) (facts §2.2, AB retries without it). */
function checkOwnerField(call: Call): void {
  const fields = parseFields(call.req.params.get('fields'));
  if (fields?.some((f) => f.name === 'owner') && !hasScope(call.requireAuth(), 'business_management')) throw E.permission200();
}

/**
 * An ad account's own ids: a read asking for nothing more does not need what Meta finds incomplete
 * (as for creatives, objects.ts resolvesContent) [inferred].
 */
const ACCOUNT_ID_FIELDS = ['id', 'account_id'];

function accountsOf(call: Call, ids: string[], tasks?: string[], nt: NodeType = AD_ACCOUNT): Body {
  const world = call.core.world;
  checkOwnerField(call);
  const accts = ids.map((id) => world.accountByBareId.get(id)!).filter(Boolean);
  const fields = parseFields(call.req.params.get('fields'));
  const needsSpend = fields?.some((f) => f.name === 'amount_spent') ?? false;
  return listOf(
    call,
    nt,
    accts,
    (a) => accountValues(world, a, needsSpend ? amountSpent(call, a) : 0, tasks),
    (a) => a.incomplete === true && resolvesContent(fields, ACCOUNT_ID_FIELDS),
  );
}

function userRoute(call: Call, user: WorldUser, edge: string | undefined, self: boolean): Body {
  const world = call.core.world;
  const auth = call.requireAuth();
  const nt = user.kind === 'system_user' && !self ? SYSTEM_USER : USER;
  if (edge === undefined) return nodeOnly(call, nt, userValues(user));
  // A plain person is a User node without the business-scoped (assigned_*) edges (meta-sdk/rules.ts).
  if (user.kind === 'user' && businessScopedUserEdges().has(edge)) throw E.nonexistingField(edge, nt.type);
  const spec = edgeSpec(call, nt, edge);
  switch (edge) {
    case 'adaccounts':
    case 'assigned_ad_accounts':
      return accountsOf(call, user.accountIds);
    case 'personal_ad_accounts':
      return accountsOf(
        call,
        user.accountIds.filter((id) => world.accountByBareId.get(id)?.isPersonal),
      );
    case 'businesses': {
      // business_management is needed for business assets (facts §9).
      if (!hasScope(auth, 'business_management')) throw E.missingPermissions();
      const bs = user.businessId ? world.businesses.filter((b) => b.id === user.businessId) : [];
      return listOf(call, BUSINESS, bs, (b) => businessValues(world, b));
    }
    case 'business_users': {
      // AB reads `business` from here (facts §2.1).
      const biz = user.businessId ? world.businesses.find((b) => b.id === user.businessId) : undefined;
      const rows = biz ? [{ ...userValues(user), business: { id: biz.id, name: biz.name }, role: 'ADMIN' }] : [];
      return listOf(call, BUSINESS_USER, rows, (r) => r);
    }
    case 'accounts':
    case 'assigned_pages':
      return listOf(
        call,
        PAGE,
        user.pageIds.map((id) => world.byId.get(id) as Page),
        pageValues,
      );
    case 'assigned_product_catalogs':
      return listOf(
        call,
        CATALOG,
        user.catalogIds.map((id) => world.byId.get(id) as Catalog),
        (c) => catalogValues(world, c),
      );
    default:
      return emptyEdge(call, spec);
  }
}

function businessRoute(call: Call, biz: Business, edge: string | undefined): Body {
  const world = call.core.world;
  const auth = call.requireAuth();
  if (!isBusinessMember(auth, biz.id)) throw E.unsupportedGet(biz.id);
  if (edge === undefined) return nodeOnly(call, BUSINESS, businessValues(world, biz));
  const spec = edgeSpec(call, BUSINESS, edge);
  if (!hasScope(auth, 'business_management')) throw E.permission200();
  const pages = (ids: string[]) =>
    listOf(
      call,
      PAGE,
      ids.map((id) => world.byId.get(id) as Page),
      pageValues,
    );
  const pixels = (ids: string[]) =>
    listOf(
      call,
      PIXEL,
      ids.map((id) => world.byId.get(id) as Pixel),
      (p) => pixelValues(world, p),
    );
  const catalogs = (ids: string[]) =>
    listOf(
      call,
      CATALOG,
      ids.map((id) => world.byId.get(id) as Catalog),
      (c) => catalogValues(world, c),
    );
  switch (edge) {
    case 'owned_ad_accounts':
      return accountsOf(call, biz.ownedAccountIds);
    case 'client_ad_accounts':
      // Client nodes also carry permitted_tasks (facts §2.1, meta-sdk/rules.ts EDGE_FIELDS).
      return accountsOf(call, biz.clientAccountIds, ['ADVERTISE', 'ANALYZE'], CLIENT_AD_ACCOUNT);
    case 'owned_pages':
      return pages(biz.ownedPageIds);
    case 'client_pages':
      return pages(biz.clientPageIds);
    case 'adspixels':
    case 'owned_pixels':
      return pixels(biz.ownedPixelIds);
    case 'client_pixels':
      return pixels(biz.clientPixelIds);
    case 'owned_product_catalogs':
      return catalogs(biz.ownedCatalogIds);
    case 'client_product_catalogs':
      return catalogs(biz.clientCatalogIds);
    case 'system_users':
      return listOf(
        call,
        SYSTEM_USER,
        biz.systemUserIds.map((id) => world.users.find((u) => u.id === id)!),
        userValues,
      );
    default:
      return emptyEdge(call, spec);
  }
}

function accountRoute(call: Call, acct: AdAccount, edge: string | undefined): Body {
  const world = call.core.world;
  call.touchAccount(acct.accountId, edge === 'insights' ? 'ads_insights' : 'ads_management');
  const scope: Scope = { account: acct, level: 'account', id: acct.id };
  if (edge === undefined) {
    checkOwnerField(call);
    const fields = parseFields(call.req.params.get('fields'));
    if (acct.incomplete && resolvesContent(fields, ACCOUNT_ID_FIELDS)) throw E.creativeIncomplete();
    const needsSpend = fields?.some((f) => f.name === 'amount_spent') ?? false;
    return project(AD_ACCOUNT, accountValues(world, acct, needsSpend ? amountSpent(call, acct) : 0), fields, call.req.version);
  }
  if (edge === 'insights' && call.req.method === 'POST') return createReportRun(call, scope);
  const spec = edgeSpec(call, AD_ACCOUNT, edge);
  switch (edge) {
    case 'campaigns':
      return listTree(call, 'campaign', acct.campaignIds);
    case 'adsets':
      return listTree(call, 'adset', acct.adsetIds);
    case 'ads':
      return listTree(call, 'ad', acct.adIds);
    case 'adcreatives':
      return listCreatives(call, acct.creativeIds);
    case 'adspixels':
      return listOf(
        call,
        PIXEL,
        acct.pixelIds.map((id) => world.byId.get(id) as Pixel),
        (p) => pixelValues(world, p),
      );
    case 'insights':
      return syncInsights(call, scope);
    case 'assigned_users':
      return assignedUsers(call, acct);
    default:
      return emptyEdge(call, spec);
  }
}

/**
 * GET /act_X/assigned_users?business=<id>: the business's users and system users with access to the
 * account (Airbyte's ad_account stream reads it). Graph reference AdAccount › assigned_users: `business`
 * is required.
 */
function assignedUsers(call: Call, acct: AdAccount): Body {
  const world = call.core.world;
  const bizId = call.req.params.get('business');
  if (bizId === undefined || bizId === '') throw E.invalidParam('The parameter business is required');
  const biz = world.businesses.find((b) => b.id === bizId);
  const users = biz ? world.users.filter((u) => u.businessId === biz.id && u.accountIds.includes(acct.accountId)) : [];
  return listOf(call, ASSIGNED_USER, users, (u) => ({
    ...userValues(u),
    user_type: u.kind === 'system_user' ? 'SYSTEM_USER' : 'BUSINESS_USER',
    business: { id: biz!.id, name: biz!.name },
    tasks: ['MANAGE', 'ADVERTISE', 'ANALYZE', 'DRAFT'],
    permitted_tasks: ['MANAGE', 'ADVERTISE', 'ANALYZE', 'DRAFT'],
  }));
}

function treeRoute(call: Call, node: WorldNode & { accountId: string }, edge: string | undefined): Body {
  const world = call.core.world;
  const auth = call.requireAuth();
  if (!canReadAccount(auth, node.accountId)) throw E.unsupportedGet(node.id);
  const acct = world.accountByBareId.get(node.accountId)!;
  call.touchAccount(acct.accountId, edge === 'insights' ? 'ads_insights' : 'ads_management');
  const fields = parseFields(call.req.params.get('fields'));
  // DELETED objects stay readable by id (facts §3.5, §10.4).
  if (node.kind !== 'campaign' && node.kind !== 'adset' && node.kind !== 'ad' && node.kind !== 'creative') throw E.unsupportedGet(node.id);
  const nt = node.kind === 'creative' ? AD_CREATIVE : node.kind === 'campaign' ? CAMPAIGN : node.kind === 'adset' ? AD_SET : AD;
  if (edge === undefined && node.kind === 'creative' && node.postDeleted && resolvesContent(fields)) throw E.creativeIncomplete();
  if (edge === undefined && node.kind === 'adset' && node.incomplete && resolvesContent(fields)) throw E.creativeIncomplete();
  if (edge === undefined) checkWithdrawn(world, nt, fields);
  if (edge === undefined) return project(nt, node.kind === 'creative' ? creativeValues(node) : renderTree(world, node), fields, call.req.version);
  if (edge === 'insights' && call.req.method === 'POST' && node.kind !== 'creative') return createReportRun(call, { account: acct, level: node.kind, id: node.id });
  const spec = edgeSpec(call, nt, edge);
  if (node.kind === 'creative') return emptyEdge(call, spec);
  if (edge === 'insights') return syncInsights(call, { account: acct, level: node.kind, id: node.id });
  if (node.kind === 'campaign' && edge === 'adsets') return listTree(call, 'adset', node.adsetIds);
  if (node.kind === 'campaign' && edge === 'ads')
    return listTree(
      call,
      'ad',
      acct.adIds.filter((id) => (world.byId.get(id) as { campaignId: string }).campaignId === node.id),
    );
  if (node.kind === 'adset' && edge === 'ads') return listTree(call, 'ad', node.adIds);
  if (node.kind === 'ad' && edge === 'adcreatives') return listCreatives(call, [node.creativeId]);
  return emptyEdge(call, spec);
}

function canReadAsset(world: World, auth: Auth, node: Page | Pixel | Catalog): boolean {
  const u = auth.user;
  const biz = u.businessId ? world.businesses.find((b) => b.id === u.businessId) : undefined;
  if (node.kind === 'page') return u.pageIds.includes(node.id) || (biz !== undefined && (biz.ownedPageIds.includes(node.id) || biz.clientPageIds.includes(node.id)));
  if (node.kind === 'catalog') return u.catalogIds.includes(node.id) || (biz !== undefined && (biz.ownedCatalogIds.includes(node.id) || biz.clientCatalogIds.includes(node.id)));
  if (biz && (biz.ownedPixelIds.includes(node.id) || biz.clientPixelIds.includes(node.id))) return true;
  return u.accountIds.some((a) => world.accountByBareId.get(a)?.pixelIds.includes(node.id));
}

function assetType(node: Page | Pixel | Catalog): NodeType {
  return node.kind === 'page' ? PAGE : node.kind === 'pixel' ? PIXEL : CATALOG;
}

function assetNode(call: Call, node: Page | Pixel | Catalog): Body {
  const world = call.core.world;
  if (node.kind === 'page') return nodeOnly(call, PAGE, pageValues(node));
  if (node.kind === 'pixel') return nodeOnly(call, PIXEL, pixelValues(world, node));
  return nodeOnly(call, CATALOG, catalogValues(world, node));
}
