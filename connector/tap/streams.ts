// THE list of entity and asset streams, as data: schema file, Graph edges, keys, replication. Request
// `fields=` come from the (catalog-selected) schema minus the `computed` columns the tap fills itself.
// Adding a stream = one schema file + one entry here (+ a sandbox route); the contract suite loops over it.
import type { TokenType } from '../graph/tokens.js';

/** How an asset is reached; `relation` is what its access entry records (design §3). */
export interface AssetEdge {
  /** `{business}` = a reachable business id, `{account}` = act_<id>; `me/…` = the token's user or system user. */
  path: string;
  relation: 'owned' | 'client' | 'assigned';
  /**
   * `me/…` edges: the debug_token types whose /me node has this edge. A token of another type is not
   * asked (it is not an incomplete discovery: the edge does not exist for it). Meta's SDK puts the
   * assigned_* edges on SystemUser and BusinessUser, and its User reference says they concern "this
   * business scoped user": a person's token answers (#100) nonexisting field (… on node type (User)).
   */
  tokenTypes: readonly TokenType[];
}

/** /me edges of a person and of a system user alike (both resolve /me to a User node). */
const ANY_USER: readonly TokenType[] = ['USER', 'SYSTEM_USER'];
/** Edges of a business-scoped user only. */
const SYSTEM_USER: readonly TokenType[] = ['SYSTEM_USER'];
/** Business and ad account edges are reached through ids, whatever the token type. */
const ANY: readonly TokenType[] = ['USER', 'SYSTEM_USER', 'PAGE', 'APP'];

interface StreamBase {
  name: string;
  /** schemas/streams/<schemaFile>.json */
  schemaFile: string;
  keyProperties: string[];
  /** Columns the tap computes (never sent in `fields=`); `_sdc_*` and `<money>_minor` are implied. */
  computed: string[];
  /** Money fields Graph returns in minor units: each gets a major-unit value + `<field>_minor` raw. */
  minorUnitFields: string[];
  /** The Graph reference page, for whoever debugs this stream. */
  docs: string;
}

/**
 * Columns an asset stream may compute from what discovery found (its `computed` list picks them), so
 * the behaviour is named by the declaration, not by a check on the stream's name in the sync code.
 */
export type AssetComputedColumn = 'access' | 'token_labels' | 'ad_account_ids';

export interface AssetStream extends StreamBase {
  kind: 'asset';
  replicationMethod: 'FULL_TABLE';
  /** Wrapped in ACTIVATE_VERSION when discovery succeeded for every token and business. */
  activateVersion: true;
  edges: AssetEdge[];
  computed: AssetComputedColumn[];
  /**
   * Graph's `id` is this prefix + the key column (ad accounts: `act_<account_id>`): discovery keys the
   * asset by the bare id, and the record gets both columns.
   */
  graphIdPrefix?: string;
  /** Fields discovery reads whatever the catalog selects (what the tap itself needs from the asset). */
  neededFields: string[];
  /** Discovered even when the catalog deselects the stream: the run needs it (accounts to sync, businesses to reach edges). */
  alwaysDiscovered?: true;
  /** Graph field holding the owning business (`{id}`), recorded as the access entry's business when the edge is not a business's. */
  ownerField?: string;
}

/** The bookmark key under which a stream read via another remembers that stream's cursor (`ads_updated_time`). */
export const viaBookmarkKey = (via: string): string => `${via}_updated_time`;

/** The value every bookmark of this stream carries (what the next read filters on); undefined if it keeps none. */
export const bookmarkKeyOf = (s: EntityStream): string | undefined => s.replicationKey ?? (s.incrementalVia !== undefined ? viaBookmarkKey(s.incrementalVia) : undefined);

export interface EntityStream extends StreamBase {
  kind: 'entity';
  replicationMethod: 'INCREMENTAL';
  /** Absent for ad_creatives: Graph gives creatives no updated_time, see `incrementalVia`. */
  replicationKey?: 'updated_time';
  /**
   * ad_creatives: after a first full read of the edge, only the creatives of ads changed since the
   * last run are re-read by id (GET /{creative_id}); creatives are nearly immutable and can be thousands.
   */
  incrementalVia?: string;
  /** Edge under the ad account node: GET act_<id>/<edge>. */
  edge: string;
  /** How messages name one of its objects: `ad set 123`. */
  objectName: string;
  /** Graph filtering prefix (`campaign.updated_time`), facts §3.5. */
  filterPrefix: string;
  /** effective_status values sent when include_deleted is on, so ARCHIVED/DELETED are listed (facts §3.1/§3.5). */
  allStatuses: string[];
  /** Whether Graph accepts `<prefix>.updated_time` filtering on this edge (server-side incremental). */
  serverSideIncremental: boolean;
  /**
   * A reference field (`{id}`) always requested and whose ids are collected, for the stream whose
   * `incrementalVia` names this one (ads' `creative` → the creatives to re-read by id).
   */
  linkField?: string;
  /**
   * Streams whose objects' effective_status follows this one's status (a paused campaign's ad sets and
   * ads): when it changes, they are re-read by `<filterPrefix>.id` (status-cascade.ts).
   */
  statusChildren?: string[];
}

export type TapStream = AssetStream | EntityStream;

const CAMPAIGN_STATUSES = ['ACTIVE', 'PAUSED', 'DELETED', 'ARCHIVED', 'IN_PROCESS', 'WITH_ISSUES'];
const ADSET_STATUSES = [...CAMPAIGN_STATUSES, 'CAMPAIGN_PAUSED'];
const AD_STATUSES = [...ADSET_STATUSES, 'ADSET_PAUSED', 'DISAPPROVED', 'PENDING_REVIEW', 'PREAPPROVED', 'PENDING_BILLING_INFO'];

export const ASSET_STREAMS: readonly AssetStream[] = [
  {
    name: 'businesses',
    kind: 'asset',
    schemaFile: 'businesses',
    keyProperties: ['id'],
    replicationMethod: 'FULL_TABLE',
    activateVersion: true,
    computed: ['token_labels'],
    neededFields: ['id', 'name'],
    alwaysDiscovered: true,
    minorUnitFields: [],
    edges: [{ path: 'me/businesses', relation: 'assigned', tokenTypes: ANY_USER }],
    docs: 'https://developers.facebook.com/docs/graph-api/reference/user/businesses/',
  },
  {
    name: 'ad_accounts',
    kind: 'asset',
    schemaFile: 'ad_accounts',
    keyProperties: ['account_id'],
    replicationMethod: 'FULL_TABLE',
    activateVersion: true,
    computed: ['access'],
    graphIdPrefix: 'act_',
    neededFields: ['account_id', 'id', 'name', 'currency', 'timezone_name', 'business', 'account_status'],
    alwaysDiscovered: true,
    ownerField: 'business',
    minorUnitFields: ['amount_spent', 'balance', 'spend_cap', 'min_daily_budget'],
    edges: [
      { path: '{business}/owned_ad_accounts', relation: 'owned', tokenTypes: ANY },
      { path: '{business}/client_ad_accounts', relation: 'client', tokenTypes: ANY },
      { path: 'me/assigned_ad_accounts', relation: 'assigned', tokenTypes: SYSTEM_USER },
      { path: 'me/adaccounts', relation: 'assigned', tokenTypes: ANY_USER },
    ],
    docs: 'https://developers.facebook.com/docs/marketing-api/reference/ad-account/',
  },
  {
    name: 'pages',
    kind: 'asset',
    schemaFile: 'pages',
    keyProperties: ['id'],
    replicationMethod: 'FULL_TABLE',
    activateVersion: true,
    computed: ['access'],
    neededFields: ['id', 'name'],
    minorUnitFields: [],
    edges: [
      { path: '{business}/owned_pages', relation: 'owned', tokenTypes: ANY },
      { path: '{business}/client_pages', relation: 'client', tokenTypes: ANY },
      { path: 'me/assigned_pages', relation: 'assigned', tokenTypes: SYSTEM_USER },
      // The pages a person has a role on (a system user's are its assigned_pages).
      { path: 'me/accounts', relation: 'assigned', tokenTypes: ['USER'] },
    ],
    docs: 'https://developers.facebook.com/docs/marketing-api/reference/business/owned_pages/',
  },
  {
    name: 'pixels',
    kind: 'asset',
    schemaFile: 'pixels',
    keyProperties: ['id'],
    replicationMethod: 'FULL_TABLE',
    activateVersion: true,
    computed: ['access', 'ad_account_ids'],
    neededFields: ['id', 'name'],
    minorUnitFields: [],
    edges: [
      { path: '{business}/owned_pixels', relation: 'owned', tokenTypes: ANY },
      { path: '{business}/client_pixels', relation: 'client', tokenTypes: ANY },
      { path: '{account}/adspixels', relation: 'assigned', tokenTypes: ANY },
    ],
    docs: 'https://developers.facebook.com/docs/marketing-api/reference/ads-pixel/',
  },
  {
    name: 'product_catalogs',
    kind: 'asset',
    schemaFile: 'product_catalogs',
    keyProperties: ['id'],
    replicationMethod: 'FULL_TABLE',
    activateVersion: true,
    computed: ['access'],
    neededFields: ['id', 'name'],
    minorUnitFields: [],
    edges: [
      { path: '{business}/owned_product_catalogs', relation: 'owned', tokenTypes: ANY },
      { path: '{business}/client_product_catalogs', relation: 'client', tokenTypes: ANY },
      { path: 'me/assigned_product_catalogs', relation: 'assigned', tokenTypes: SYSTEM_USER },
    ],
    docs: 'https://developers.facebook.com/docs/marketing-api/reference/product-catalog/',
  },
];

export const ENTITY_STREAMS: readonly EntityStream[] = [
  {
    name: 'campaigns',
    kind: 'entity',
    schemaFile: 'campaigns',
    keyProperties: ['id'],
    replicationMethod: 'INCREMENTAL',
    replicationKey: 'updated_time',
    edge: 'campaigns',
    objectName: 'campaign',
    filterPrefix: 'campaign',
    statusChildren: ['ad_sets', 'ads'],
    allStatuses: CAMPAIGN_STATUSES,
    serverSideIncremental: true,
    computed: ['currency'],
    minorUnitFields: ['daily_budget', 'lifetime_budget', 'budget_remaining', 'spend_cap'],
    docs: 'https://developers.facebook.com/docs/marketing-api/reference/ad-campaign-group/',
  },
  {
    name: 'ad_sets',
    kind: 'entity',
    schemaFile: 'ad_sets',
    keyProperties: ['id'],
    replicationMethod: 'INCREMENTAL',
    replicationKey: 'updated_time',
    edge: 'adsets',
    objectName: 'ad set',
    filterPrefix: 'adset',
    statusChildren: ['ads'],
    allStatuses: ADSET_STATUSES,
    serverSideIncremental: true,
    computed: ['currency'],
    minorUnitFields: ['daily_budget', 'lifetime_budget', 'budget_remaining', 'bid_amount'],
    docs: 'https://developers.facebook.com/docs/marketing-api/reference/ad-campaign/',
  },
  {
    name: 'ads',
    kind: 'entity',
    schemaFile: 'ads',
    keyProperties: ['id'],
    replicationMethod: 'INCREMENTAL',
    replicationKey: 'updated_time',
    edge: 'ads',
    objectName: 'ad',
    filterPrefix: 'ad',
    allStatuses: AD_STATUSES,
    serverSideIncremental: true,
    linkField: 'creative',
    computed: ['currency'],
    minorUnitFields: ['bid_amount'],
    docs: 'https://developers.facebook.com/docs/marketing-api/reference/adgroup/',
  },
  {
    name: 'ad_creatives',
    kind: 'entity',
    schemaFile: 'ad_creatives',
    keyProperties: ['id'],
    replicationMethod: 'INCREMENTAL',
    incrementalVia: 'ads',
    edge: 'adcreatives',
    objectName: 'creative',
    filterPrefix: 'adcreative',
    allStatuses: ['ACTIVE', 'IN_PROCESS', 'WITH_ISSUES', 'DELETED'],
    serverSideIncremental: false,
    computed: [],
    minorUnitFields: [],
    docs: 'https://developers.facebook.com/docs/marketing-api/reference/ad-creative/',
  },
];

export const TAP_STREAMS: readonly TapStream[] = [...ASSET_STREAMS, ...ENTITY_STREAMS];

/** A stream the tap writes about its own run (no Graph object behind it): appended, keyed by run. */
export interface RunLogStream {
  name: string;
  schemaFile: string;
  keyProperties: string[];
  replicationMethod: 'FULL_TABLE';
  /** Columns sent whatever the catalog deselects (inclusion automatic): readers downstream depend on them. */
  alwaysSent?: readonly string[];
}

export const SYNC_LOG_STREAM: RunLogStream = {
  name: 'sync_log',
  schemaFile: 'sync_log',
  keyProperties: ['run_id', 'account_id'],
  replicationMethod: 'FULL_TABLE',
};

/**
 * The days each account's insights report was read in full, one row per run, account and report:
 * what the warehouse knows was read, so a day without spend rows inside it is a day without spend
 * (dbt's spend coverage, dbt/macros/spend_coverage.sql), not a day never synced.
 */
export const INSIGHTS_COVERAGE_STREAM: RunLogStream = {
  name: 'insights_coverage',
  schemaFile: 'insights_coverage',
  keyProperties: ['run_id', 'account_id', 'stream'],
  replicationMethod: 'FULL_TABLE',
  // dbt's spend coverage (int_ad_coverage__facebook_ads) is built from the days read and the account's day.
  alwaysSent: ['date_start', 'date_stop', 'account_today'],
};

/** The run's own streams, in the order discovery lists them (after the insights reports). */
export const RUN_LOG_STREAMS: readonly RunLogStream[] = [INSIGHTS_COVERAGE_STREAM, SYNC_LOG_STREAM];

/** Columns never requested from Graph: the declaration's computed ones, `_sdc_*`, and minor-unit copies. */
export function computedColumns(s: StreamBase): Set<string> {
  return new Set([...s.computed, ...s.minorUnitFields.map((f) => `${f}_minor`)]);
}

/** Graph `fields=` for a stream: the selected schema properties it does not compute itself. */
export function requestFields(s: StreamBase, selected: readonly string[]): string[] {
  const computed = computedColumns(s);
  return selected.filter((f) => !f.startsWith('_sdc_') && !computed.has(f));
}
