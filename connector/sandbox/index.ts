// Public API of the Graph API sandbox (contract: briefs/sandbox-api.md): a faithful Meta
// Marketing API on loopback, generated deterministically from a seed.
import type { AddressInfo } from 'node:net';
import type { Core } from './context.js';
import { Faults } from './faults.js';
import { hasField, nodeType } from './meta.js';
import { computeInsights, type Level } from './insights.js';
import { RateLimiter, type RateLimitOptions } from './ratelimit.js';
import { ReportRuns } from './report-runs.js';
import { createSandboxServer } from './server.js';
import { emptyStats, type SandboxStats } from './stats.js';
import { DEFAULT_TODAY, advanceWorld, advanceSeconds, deleteCreativePost, generateWorld, makeIncomplete, withdrawField, noonUnix, rename, setStatus, type Status, type World, type WorldName } from './world.js';

export type { World, WorldName, Status, SandboxToken, AdAccount, Campaign, AdSet, Ad, Creative, Business, Page, Pixel, Catalog, WorldUser } from './world.js';
export type { FaultSpec, FaultKind } from './faults.js';
export type { SandboxStats } from './stats.js';
export type { RateLimitOptions } from './ratelimit.js';
export { Faults } from './faults.js';

export const SANDBOX_API_VERSION = 'v25.0';

export interface SandboxOptions {
  seed?: number;
  world?: WorldName;
  host?: string;
  port?: number;
  /** Pins the world clock to noon UTC of this day (YYYY-MM-DD). */
  today?: string;
  /** Pins the world clock to this instant (the demo passes the run's clock). Default: noon UTC of DEFAULT_TODAY. */
  now?: Date;
  latencyMs?: number;
  jobDurationMs?: number;
  appSecret?: string;
  rateLimits?: boolean | RateLimitOptions;
  /**
   * The `Date` header moves on with real elapsed time from the world clock, as a tap pinned to the
   * world clock does (core/clock.ts clockStartingAt), instead of standing still with the world. For a
   * real tap run started with the world clock (the demo's sync pins its tap to sandbox.now()): a frozen
   * Date would drift away from the tap's clock during a long run and trip its clock-skew warning. Off by
   * default: tests read the world clock in the header to the second, and `fb-ads-elt sandbox` tells
   * its users to pin the tap to its `now`, which a frozen Date matches at any later start.
   */
  liveDate?: boolean;
}

export interface ExpectedInsightsQuery {
  accountId: string;
  level: Level;
  since: string;
  until: string;
  /** include rows of DELETED objects (what a tap sending an effective_status filter with DELETED gets); default true */
  includeDeleted?: boolean;
}

export interface Sandbox {
  baseUrl: string;
  apiVersion: string;
  tokens: World['tokens'];
  world: World;
  faults: Faults;
  stats(): SandboxStats;
  resetStats(): void;
  /** The world clock, which the tap must share (FB_ADS_ELT_NOW, core/clock.ts) to see the world's days as its own. */
  now(): Date;
  advanceDay(days?: number): void;
  /** The advertiser sets a campaign's/ad set's/ad's status (its updated_time moves, its children's does not). */
  setStatus(id: string, status: Status): void;
  /** The advertiser (or an automated rule) renames a campaign/ad set/ad: its updated_time moves to the world clock. */
  rename(id: string, name: string): void;
  /** Moves the world clock (what updated_time and the Date header read) by seconds within its day. */
  advanceSeconds(seconds: number): void;
  /** The advertiser deletes the post or reel a creative shows: reads of its content fail with 100/2446289. */
  deleteCreativePost(id: string): void;
  /** Meta answers 100/2446289 "Ad Creative Is Incomplete" for an ad set or ad account (node and edge pages holding it) from now on; `false`: fixed, readable again. */
  makeIncomplete(id: string, incomplete?: boolean): void;
  /** Meta stops serving `field` of an SDK node type (`AdSet`, `Campaign`, `Ad`, `AdCreative`, `AdsInsights`) from now on. */
  withdrawField(sdkClass: string, field: string): void;
  /** Moves the rate-limit clock (budgets regain) without waiting. */
  advanceTime(seconds: number): void;
  expectedInsights(q: ExpectedInsightsQuery): Array<Record<string, string>>;
  close(): Promise<void>;
}

const ALL_STATUSES = ['ACTIVE', 'PAUSED', 'DELETED', 'ARCHIVED', 'IN_PROCESS', 'WITH_ISSUES', 'CAMPAIGN_PAUSED', 'ADSET_PAUSED', 'DISAPPROVED', 'PENDING_REVIEW', 'PREAPPROVED', 'PENDING_BILLING_INFO'];
/** Scalar fields expectedInsights fills in (string-valued in the API). */
export const EXPECTED_FIELDS = ['account_id', 'account_name', 'account_currency', 'campaign_id', 'campaign_name', 'adset_id', 'adset_name', 'ad_id', 'ad_name', 'impressions', 'clicks', 'spend', 'reach', 'frequency', 'ctr', 'cpc', 'cpm', 'inline_link_clicks'];

export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const seed = opts.seed ?? 1;
  if (opts.today !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(opts.today)) throw new Error(`startSandbox: today must be YYYY-MM-DD, got "${opts.today}"`);
  if (!Number.isInteger(seed)) throw new Error(`startSandbox: seed must be an integer, got ${seed}`);
  if (opts.today !== undefined && opts.now !== undefined) throw new Error('startSandbox: give today or now, not both');
  if (opts.now !== undefined && Number.isNaN(opts.now.getTime())) throw new Error('startSandbox: now is not a valid date');
  const nowUnix = opts.now !== undefined ? Math.floor(opts.now.getTime() / 1000) : noonUnix(opts.today ?? DEFAULT_TODAY);
  const world = generateWorld(opts.world ?? 'small', seed, nowUnix);
  const faults = new Faults();
  const limiter = new RateLimiter(opts.rateLimits ?? true);
  const jobDurationMs = opts.jobDurationMs ?? 30;
  const start = performance.now();
  const core: Core = {
    world,
    opts: { seed, latencyMs: opts.latencyMs ?? 0, jobDurationMs, appSecret: opts.appSecret, apiVersion: SANDBOX_API_VERSION, liveDate: opts.liveDate ?? false },
    faults,
    limiter,
    runs: new ReportRuns(seed, jobDurationMs),
    stats: emptyStats(),
    insightsCache: new Map(),
    spentCache: new Map(),
    traceSeq: 0,
    nowMs: () => performance.now() - start,
  };
  const stats = (): SandboxStats => ({ ...structuredClone(core.stats), faultsFired: { ...faults.firedByKind } });
  const resetStats = () => {
    core.stats = emptyStats();
    for (const k of Object.keys(faults.firedByKind)) delete faults.firedByKind[k];
  };
  const advanceDay = (days = 1) => {
    advanceWorld(world, days);
    core.insightsCache.clear();
  };
  const advanceTime = (seconds: number) => limiter.advance(seconds * 1000);
  const { server, sockets, hung } = createSandboxServer(core, {
    stats,
    resetStats,
    advanceDay,
    advanceSeconds: advanceTime,
    tokens: () => world.tokens.map((t) => ({ label: t.label, token: t.token })),
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  return {
    baseUrl,
    apiVersion: SANDBOX_API_VERSION,
    tokens: world.tokens,
    world,
    faults,
    stats,
    resetStats,
    now: () => new Date(world.clock.nowUnix * 1000),
    advanceDay,
    advanceTime,
    setStatus(id, status) {
      setStatus(world, id, status);
      core.insightsCache.clear();
    },
    deleteCreativePost(id) {
      deleteCreativePost(world, id);
    },
    makeIncomplete(id, incomplete = true) {
      makeIncomplete(world, id, incomplete);
    },
    withdrawField(sdkClass, field) {
      if (!hasField(nodeType(sdkClass), field, SANDBOX_API_VERSION)) throw new Error(`withdrawField: ${sdkClass} has no field ${field} in Meta's SDK`);
      withdrawField(world, sdkClass, field);
    },
    rename(id, name) {
      rename(world, id, name);
    },
    advanceSeconds(seconds) {
      advanceSeconds(world, seconds);
    },
    expectedInsights(q) {
      const bare = q.accountId.replace(/^act_/, '');
      const account = world.accountByBareId.get(bare);
      if (!account) throw new Error(`no account ${q.accountId} in this world`);
      const all = new Set(ALL_STATUSES);
      const rows = computeInsights(
        world,
        {
          account,
          scope: { level: 'account', id: account.id },
          level: q.level,
          since: q.since,
          until: q.until,
          timeIncrement: 1,
          breakdowns: [],
          windows: null,
          fields: EXPECTED_FIELDS,
          statusFilter: q.includeDeleted === false ? {} : { [q.level === 'account' ? 'ad' : q.level]: all },
        },
        { nowUnix: world.clock.nowUnix },
      );
      return rows.map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => typeof v === 'string')) as Record<string, string>);
    },
    async close() {
      for (const r of hung) r.destroy();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
