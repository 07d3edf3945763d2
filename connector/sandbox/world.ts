// The seeded, deterministic fake world behind the sandbox: businesses, users and tokens with
// different reach, ad accounts in several currencies/time zones, pages, pixels, catalogs and the
// campaign → ad set → ad tree. Objects are materialised (cheap); insights never are (insights.ts).
import { DateTime } from 'luxon';
import { Rng, unit } from './prng.js';

export type WorldName = 'small' | 'demo' | 'large';
export type Status = 'ACTIVE' | 'PAUSED' | 'ARCHIVED' | 'DELETED'; // facts §3.1

export interface SandboxToken {
  label: string;
  token: string;
  userId: string;
  kind: 'system_user' | 'user';
  scopes: string[];
  expiresAt: number | 0;
}

export interface Currency {
  code: string;
  /** facts §3.3: 1 for JPY/KRW-like currencies (no minor unit), 100 otherwise. */
  offset: 1 | 100;
  /** minor units of this currency per US cent: scales fake prices realistically. */
  perUsdCent: number;
}

export const CURRENCIES: Record<string, Currency> = {
  USD: { code: 'USD', offset: 100, perUsdCent: 1 },
  EUR: { code: 'EUR', offset: 100, perUsdCent: 0.92 },
  GBP: { code: 'GBP', offset: 100, perUsdCent: 0.79 },
  BRL: { code: 'BRL', offset: 100, perUsdCent: 5.1 },
  AUD: { code: 'AUD', offset: 100, perUsdCent: 1.52 },
  JPY: { code: 'JPY', offset: 1, perUsdCent: 1.5 },
  KRW: { code: 'KRW', offset: 1, perUsdCent: 13.8 },
};

/** Meta's numeric timezone ids are internal (facts §2.2 [unconfirmed]); timezone_name is authoritative. */
const TIMEZONE_IDS: Record<string, number> = {
  'America/Los_Angeles': 1,
  'America/New_York': 7,
  'Europe/London': 43,
  'Europe/Berlin': 47,
  'Europe/Paris': 48,
  'Asia/Tokyo': 79,
  'Asia/Seoul': 83,
  'America/Sao_Paulo': 94,
  'Australia/Sydney': 119,
};

export interface WorldUser {
  id: string;
  name: string;
  kind: 'system_user' | 'user';
  businessId: string | null;
  /** Assets assigned to this user: what `me/adaccounts`, `assigned_*` list and what the token may read. */
  accountIds: string[];
  pageIds: string[];
  catalogIds: string[];
}

export interface Business {
  id: string;
  name: string;
  vertical: string;
  createdTime: number;
  ownedAccountIds: string[];
  clientAccountIds: string[];
  ownedPageIds: string[];
  clientPageIds: string[];
  ownedPixelIds: string[];
  clientPixelIds: string[];
  ownedCatalogIds: string[];
  clientCatalogIds: string[];
  systemUserIds: string[];
}

export interface AdAccount {
  id: string; // act_<digits>
  accountId: string; // digits
  name: string;
  currency: Currency;
  timezone: string;
  timezoneId: number;
  ownerBusinessId: string | null;
  clientBusinessIds: string[];
  accountStatus: number; // facts §2.2 table
  isPersonal: boolean;
  createdTime: number;
  pixelIds: string[];
  countries: string[];
  campaignIds: string[];
  adsetIds: string[];
  adIds: string[];
  creativeIds: string[];
  /** Meta answers 100/2446289 "Ad Creative Is Incomplete" for reads of it (makeIncomplete). */
  incomplete?: boolean;
}

interface TreeNode {
  id: string;
  accountId: string;
  name: string;
  status: Status;
  createdTime: number;
  updatedTime: number;
  /** account-local first day of delivery */
  startDay: string;
  /** account-local day delivery stopped (status left ACTIVE), if it did */
  stoppedDay: string | null;
}

export interface Campaign extends TreeNode {
  kind: 'campaign';
  objective: string;
  bidStrategy: string;
  dailyBudget: number | null;
  lifetimeBudget: number | null;
  adsetIds: string[];
}

export interface AdSet extends TreeNode {
  kind: 'adset';
  campaignId: string;
  dailyBudget: number | null;
  lifetimeBudget: number | null;
  bidStrategy: string;
  bidAmount: number | null;
  billingEvent: string;
  optimizationGoal: string;
  countries: string[];
  pixelId: string | null;
  pageId: string | null;
  adIds: string[];
  /** Meta answers 100/2446289 "Ad Creative Is Incomplete" for reads of it (makeIncomplete). */
  incomplete?: boolean;
}

export interface AdPerf {
  impressionsPerDay: number;
  ctr: number;
  cpmUsdCents: number;
  convRate: number;
  aovUsdCents: number;
  frequency: number;
  video: boolean;
}

export interface Ad extends TreeNode {
  kind: 'ad';
  campaignId: string;
  adsetId: string;
  creativeId: string;
  bidAmount: number | null;
  perf: AdPerf;
}

export interface Creative {
  kind: 'creative';
  id: string;
  accountId: string;
  name: string;
  status: 'ACTIVE' | 'DELETED';
  objectType: 'SHARE' | 'VIDEO' | 'PHOTO';
  pageId: string;
  postId: string;
  title: string;
  body: string;
  link: string;
  videoId: string | null;
  imageHash: string;
  callToAction: string;
  /**
   * The advertiser deleted the Page post / reel this creative shows: Meta then refuses every read that
   * resolves the creative's content (airbytehq/airbyte#65944, #66027; see routes/objects.ts).
   */
  postDeleted?: boolean;
}

export interface Page {
  kind: 'page';
  id: string;
  name: string;
  category: string;
  ownerBusinessId: string | null;
  fanCount: number;
}

export interface Pixel {
  kind: 'pixel';
  id: string;
  name: string;
  ownerBusinessId: string | null;
  ownerAccountId: string | null;
  createdTime: number;
  lastFiredTime: number;
}

export interface Catalog {
  kind: 'catalog';
  id: string;
  name: string;
  ownerBusinessId: string;
  productCount: number;
  vertical: string;
}

export interface WorldClock {
  /** UTC day of the world clock. */
  today: string;
  /** The world's "now" (unix seconds): fixed at start, moved only by advanceWorld; payloads never read a wall clock. */
  nowUnix: number;
  /** Number of advanceDay steps taken (for stats and tests). */
  epoch: number;
}

export interface World {
  name: WorldName;
  seed: number;
  appId: string;
  appName: string;
  clock: WorldClock;
  tokens: SandboxToken[];
  /** Tokens that are no longer valid (expired); not in `tokens`, used for 190/463 tests. */
  expiredTokens: SandboxToken[];
  /** Long-lived tokens minted by GET /oauth/access_token (facts §9). */
  exchangedTokens: SandboxToken[];
  users: WorldUser[];
  businesses: Business[];
  accounts: AdAccount[];
  campaigns: Campaign[];
  adsets: AdSet[];
  ads: Ad[];
  creatives: Creative[];
  pages: Page[];
  pixels: Pixel[];
  catalogs: Catalog[];
  /** Fields Meta stopped serving since the world began, per SDK class (withdrawField). */
  withdrawnFields: Map<string, Set<string>>;
  byId: Map<string, WorldNode>;
  accountByBareId: Map<string, AdAccount>;
}

export type WorldNode = { kind: 'user'; id: string; businessId: string | null; ref: WorldUser } | { kind: 'business'; id: string; ref: Business } | { kind: 'account'; id: string; ref: AdAccount } | Campaign | AdSet | Ad | Creative | Page | Pixel | Catalog;

// ---------------------------------------------------------------------------------------------
// World specs: which businesses, users and accounts exist. Reach differs by token on purpose.

interface AccountSpec {
  name: string;
  currency: string;
  tz: string;
  owner: number | null; // business index
  clients: number[]; // business indexes with client access
  users: number[]; // user indexes assigned to the account
  countries: string[];
  status?: number;
}
interface UserSpec {
  label: string;
  name: string;
  kind: 'system_user' | 'user';
  business: number | null;
  scopes: string[];
  expiresInDays: number | 0;
}
interface WorldSpec {
  businesses: Array<{ name: string; vertical: string }>;
  users: UserSpec[];
  accounts: AccountSpec[];
  campaignsPerAccount: number;
  adsetsPerCampaign: number;
  adsPerAdset: number;
  historyDays: number;
}

const FULL = ['ads_read', 'ads_management', 'business_management', 'public_profile'];

function smallSpec(): WorldSpec {
  return {
    businesses: [
      { name: 'Northwind Agency', vertical: 'ADVERTISING' },
      { name: 'Brightside Brands', vertical: 'RETAIL' },
    ],
    users: [
      { label: 'agency', name: 'Northwind ELT system user', kind: 'system_user', business: 0, scopes: FULL, expiresInDays: 0 },
      { label: 'brand', name: 'Brightside reporting', kind: 'system_user', business: 1, scopes: ['ads_read', 'business_management', 'public_profile'], expiresInDays: 60 },
      { label: 'freelancer', name: 'Robin Freelancer', kind: 'user', business: null, scopes: ['ads_read', 'public_profile'], expiresInDays: 50 },
    ],
    accounts: [
      { name: 'Northwind US', currency: 'USD', tz: 'America/Los_Angeles', owner: 0, clients: [], users: [0], countries: ['US', 'CA', 'MX'] },
      { name: 'Brightside EU', currency: 'EUR', tz: 'Europe/Berlin', owner: 1, clients: [0], users: [0, 1], countries: ['DE', 'FR', 'AT'] },
      { name: 'Brightside Japan', currency: 'JPY', tz: 'Asia/Tokyo', owner: 1, clients: [], users: [1], countries: ['JP'] },
      { name: 'Northwind Korea', currency: 'KRW', tz: 'Asia/Seoul', owner: 0, clients: [], users: [0, 2], countries: ['KR'] },
      { name: 'Robin Studio', currency: 'BRL', tz: 'America/Sao_Paulo', owner: null, clients: [], users: [2], countries: ['BR', 'PT'] },
    ],
    campaignsPerAccount: 3,
    adsetsPerCampaign: 2,
    adsPerAdset: 2,
    historyDays: 120,
  };
}

function demoSpec(): WorldSpec {
  const s = smallSpec();
  s.accounts.push(
    { name: 'Northwind UK', currency: 'GBP', tz: 'Europe/London', owner: 0, clients: [], users: [0], countries: ['GB', 'IE'] },
    { name: 'Brightside Australia', currency: 'AUD', tz: 'Australia/Sydney', owner: 1, clients: [0], users: [0, 1], countries: ['AU', 'NZ'] },
  );
  return { ...s, campaignsPerAccount: 4, adsetsPerCampaign: 3, adsPerAdset: 3, historyDays: 150 };
}

function largeSpec(): WorldSpec {
  const brands = 5;
  const businesses = [{ name: 'Northwind Agency', vertical: 'ADVERTISING' }];
  for (let b = 1; b <= brands; b++) businesses.push({ name: `Brand Group ${b}`, vertical: 'RETAIL' });
  const users: UserSpec[] = [
    { label: 'agency', name: 'Northwind ELT system user', kind: 'system_user', business: 0, scopes: FULL, expiresInDays: 0 },
    { label: 'brand', name: 'Brand Group 1 reporting', kind: 'system_user', business: 1, scopes: ['ads_read', 'business_management', 'public_profile'], expiresInDays: 60 },
    { label: 'freelancer', name: 'Robin Freelancer', kind: 'user', business: null, scopes: ['ads_read', 'public_profile'], expiresInDays: 50 },
    { label: 'brand2', name: 'Brand Group 2 reporting', kind: 'system_user', business: 2, scopes: FULL, expiresInDays: 0 },
  ];
  const looks: Array<[string, string, string[]]> = [
    ['USD', 'America/New_York', ['US', 'CA']],
    ['EUR', 'Europe/Paris', ['FR', 'BE']],
    ['JPY', 'Asia/Tokyo', ['JP']],
    ['KRW', 'Asia/Seoul', ['KR']],
    ['GBP', 'Europe/London', ['GB']],
    ['BRL', 'America/Sao_Paulo', ['BR']],
    ['USD', 'America/Los_Angeles', ['US']],
    ['EUR', 'Europe/Berlin', ['DE', 'AT', 'CH']],
  ];
  const accounts: AccountSpec[] = [];
  for (let i = 0; i < 60; i++) {
    const look = looks[i % looks.length]!;
    const owner = 1 + (i % brands);
    const acctUsers: number[] = [];
    const clients: number[] = [];
    if (i % 3 !== 0) {
      clients.push(0);
      acctUsers.push(0);
    }
    if (owner === 1) acctUsers.push(1);
    if (owner === 2) acctUsers.push(3);
    if (i % 10 === 0) acctUsers.push(2);
    accounts.push({ name: `Brand ${owner} market ${i + 1}`, currency: look[0], tz: look[1], owner, clients, users: acctUsers, countries: look[2] });
  }
  return { businesses, users, accounts, campaignsPerAccount: 8, adsetsPerCampaign: 6, adsPerAdset: 7, historyDays: 60 };
}

// ---------------------------------------------------------------------------------------------

const OBJECTIVES = ['OUTCOME_SALES', 'OUTCOME_TRAFFIC', 'OUTCOME_AWARENESS', 'OUTCOME_LEADS', 'OUTCOME_ENGAGEMENT'];
const BID_STRATEGIES = ['LOWEST_COST_WITHOUT_CAP', 'LOWEST_COST_WITH_BID_CAP', 'COST_CAP'];
const GOALS: Record<string, [string, string]> = {
  OUTCOME_SALES: ['OFFSITE_CONVERSIONS', 'IMPRESSIONS'],
  OUTCOME_TRAFFIC: ['LINK_CLICKS', 'LINK_CLICKS'],
  OUTCOME_AWARENESS: ['REACH', 'IMPRESSIONS'],
  OUTCOME_LEADS: ['LEAD_GENERATION', 'IMPRESSIONS'],
  OUTCOME_ENGAGEMENT: ['THRUPLAY', 'THRUPLAY'],
};
const WORDS = ['Spring', 'Summer', 'Autumn', 'Winter', 'Evergreen', 'Launch', 'Retargeting', 'Prospecting', 'Brand', 'Promo', 'Clearance', 'Loyalty'];
const CTAS = ['SHOP_NOW', 'LEARN_MORE', 'SIGN_UP', 'BUY_NOW', 'WATCH_MORE'];

/** The world day of a sandbox started without `today` or `now` (tests and the bench: reproducible worlds). */
export const DEFAULT_TODAY = '2026-11-20';

export function noonUnix(day: string): number {
  return Math.floor(DateTime.fromISO(`${day}T12:00:00`, { zone: 'utc' }).toSeconds());
}

const OFFSETS = new Map<string, number>();

/** UTC offset (minutes) of `tz` at the hour containing `unixSeconds`; cached (luxon is ~30 µs a call). */
export function zoneOffset(unixSeconds: number, tz: string): number {
  const day = Math.floor(unixSeconds / 86400);
  const dayKey = `${tz}|d${day}`;
  let off = OFFSETS.get(dayKey);
  if (off === undefined) {
    const a = DateTime.fromSeconds(day * 86400, { zone: tz }).offset;
    const b = DateTime.fromSeconds(day * 86400 + 86399, { zone: tz }).offset;
    off = a === b ? a : NaN; // NaN: a DST change inside this UTC day, resolve per hour
    if (OFFSETS.size > 200000) OFFSETS.clear();
    OFFSETS.set(dayKey, off);
  }
  if (!Number.isNaN(off)) return off;
  const hourKey = `${tz}|h${Math.floor(unixSeconds / 3600)}`;
  let h = OFFSETS.get(hourKey);
  if (h === undefined) {
    h = DateTime.fromSeconds(Math.floor(unixSeconds / 3600) * 3600, { zone: tz }).offset;
    OFFSETS.set(hourKey, h);
  }
  return h;
}

/** Account-local calendar day of an instant (facts §4.2, §10.5). */
export function localDay(unixSeconds: number, tz: string): string {
  return new Date((unixSeconds + zoneOffset(unixSeconds, tz) * 60) * 1000).toISOString().slice(0, 10);
}

/** Round minor units to a "nice" budget in the account's currency. */
function money(usdCents: number, cur: Currency): number {
  const minor = usdCents * cur.perUsdCent;
  const step = cur.offset === 1 ? 100 : 100;
  return Math.max(step, Math.round(minor / step) * step);
}

/** UTC day (YYYY-MM-DD) of an instant in unix seconds. */
export function utcDay(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().slice(0, 10);
}

/** A world as it stands at `nowUnix` (unix seconds): deterministic in (name, seed, nowUnix). */
export function generateWorld(name: WorldName, seed: number, nowUnix: number): World {
  const today = utcDay(nowUnix);
  const spec = name === 'small' ? smallSpec() : name === 'demo' ? demoSpec() : largeSpec();
  const rng = new Rng(seed * 7919 + (name === 'small' ? 1 : name === 'demo' ? 2 : 3));
  const used = new Set<string>();
  const newId = (len: number, prefix = ''): string => {
    for (;;) {
      const id = prefix + rng.digits(len - prefix.length);
      if (!used.has(id)) {
        used.add(id);
        return id;
      }
    }
  };
  const world: World = {
    name,
    seed,
    appId: newId(15),
    appName: 'fb-ads-elt sandbox app',
    clock: { today, nowUnix, epoch: 0 },
    tokens: [],
    expiredTokens: [],
    exchangedTokens: [],
    users: [],
    businesses: [],
    accounts: [],
    campaigns: [],
    adsets: [],
    ads: [],
    creatives: [],
    pages: [],
    pixels: [],
    catalogs: [],
    withdrawnFields: new Map(),
    byId: new Map(),
    accountByBareId: new Map(),
  };
  const daySec = 86400;
  const historyStart = nowUnix - spec.historyDays * daySec;

  for (const b of spec.businesses) {
    const biz: Business = {
      id: newId(15),
      name: b.name,
      vertical: b.vertical,
      createdTime: historyStart - rng.int(200, 900) * daySec - rng.int(0, daySec),
      ownedAccountIds: [],
      clientAccountIds: [],
      ownedPageIds: [],
      clientPageIds: [],
      ownedPixelIds: [],
      clientPixelIds: [],
      ownedCatalogIds: [],
      clientCatalogIds: [],
      systemUserIds: [],
    };
    world.businesses.push(biz);
    // Each business owns a page, a pixel and a catalog (facts §2.1/§2.3 edges).
    const page: Page = { kind: 'page', id: newId(15, '1'), name: `${b.name} Page`, category: b.vertical === 'RETAIL' ? 'Shopping & Retail' : 'Advertising/Marketing', ownerBusinessId: biz.id, fanCount: rng.int(500, 250000) };
    world.pages.push(page);
    biz.ownedPageIds.push(page.id);
    const pixel: Pixel = { kind: 'pixel', id: newId(15), name: `${b.name} Pixel`, ownerBusinessId: biz.id, ownerAccountId: null, createdTime: biz.createdTime + rng.int(1, 90) * daySec, lastFiredTime: nowUnix - rng.int(60, 7200) };
    world.pixels.push(pixel);
    biz.ownedPixelIds.push(pixel.id);
    const cat: Catalog = { kind: 'catalog', id: newId(16), name: `${b.name} Catalog`, ownerBusinessId: biz.id, productCount: rng.int(20, 5000), vertical: 'commerce' };
    world.catalogs.push(cat);
    biz.ownedCatalogIds.push(cat.id);
  }

  for (const u of spec.users) {
    const user: WorldUser = { id: newId(17, '1000'), name: u.name, kind: u.kind, businessId: u.business === null ? null : world.businesses[u.business]!.id, accountIds: [], pageIds: [], catalogIds: [] };
    world.users.push(user);
    if (user.businessId !== null) {
      const biz = world.businesses.find((b) => b.id === user.businessId)!;
      if (user.kind === 'system_user') biz.systemUserIds.push(user.id);
      // A system user sees its business's own pages; catalogs are assigned explicitly (facts §2.1).
      user.pageIds.push(...biz.ownedPageIds);
      user.catalogIds.push(...biz.ownedCatalogIds);
    }
    world.tokens.push({
      label: u.label,
      token: `sbx_${u.label}_${rng.hex(32)}`,
      userId: user.id,
      kind: u.kind,
      scopes: [...u.scopes],
      expiresAt: u.expiresInDays === 0 ? 0 : nowUnix + u.expiresInDays * daySec,
    });
  }
  // A user page for the freelancer-like plain users.
  for (const user of world.users) {
    if (user.kind !== 'user') continue;
    const page: Page = { kind: 'page', id: newId(15, '1'), name: `${user.name} Studio`, category: 'Photographer', ownerBusinessId: null, fanCount: rng.int(50, 5000) };
    world.pages.push(page);
    user.pageIds.push(page.id);
  }
  // One expired token (not in `tokens`): debug_token / 190 subcode 463 tests (facts §7.4, §9).
  const first = world.users[0]!;
  world.expiredTokens.push({ label: 'expired', token: `sbx_expired_${rng.hex(32)}`, userId: first.id, kind: first.kind, scopes: ['ads_read'], expiresAt: nowUnix - 3 * daySec });

  const B = (i: number) => world.businesses[i]!;
  spec.accounts.forEach((a, ai) => {
    const cur = CURRENCIES[a.currency]!;
    const bare = newId(16, ai % 2 === 0 ? '10' : '2');
    const acct: AdAccount = {
      id: `act_${bare}`,
      accountId: bare,
      name: a.name,
      currency: cur,
      timezone: a.tz,
      timezoneId: TIMEZONE_IDS[a.tz] ?? 0,
      ownerBusinessId: a.owner === null ? null : B(a.owner).id,
      clientBusinessIds: a.clients.map((c) => B(c).id),
      accountStatus: a.status ?? 1,
      isPersonal: a.owner === null,
      createdTime: historyStart - rng.int(5, 400) * daySec - rng.int(0, daySec),
      pixelIds: [],
      countries: a.countries,
      campaignIds: [],
      adsetIds: [],
      adIds: [],
      creativeIds: [],
    };
    world.accounts.push(acct);
    world.accountByBareId.set(bare, acct);
    if (a.owner !== null) {
      const owner = B(a.owner);
      owner.ownedAccountIds.push(acct.accountId);
      acct.pixelIds.push(owner.ownedPixelIds[0]!); // business pixel shared with the account
      for (const c of a.clients) {
        const client = B(c);
        client.clientAccountIds.push(acct.accountId);
        for (const pid of owner.ownedPageIds) if (!client.clientPageIds.includes(pid)) client.clientPageIds.push(pid);
        for (const xid of owner.ownedPixelIds) if (!client.clientPixelIds.includes(xid)) client.clientPixelIds.push(xid);
        for (const cid of owner.ownedCatalogIds) if (!client.clientCatalogIds.includes(cid)) client.clientCatalogIds.push(cid);
      }
    }
    // Every few accounts (and every personal one) also has its own account-level pixel.
    if (a.owner === null || ai % 3 === 1) {
      const px: Pixel = { kind: 'pixel', id: newId(15), name: `${a.name} Pixel`, ownerBusinessId: null, ownerAccountId: acct.accountId, createdTime: acct.createdTime + daySec, lastFiredTime: nowUnix - rng.int(60, 86400) };
      world.pixels.push(px);
      acct.pixelIds.push(px.id);
    }
    for (const ui of a.users) world.users[ui]!.accountIds.push(acct.accountId);
    const pageId = a.owner === null ? world.users[a.users[0]!]!.pageIds[0]! : B(a.owner).ownedPageIds[0]!;
    buildTree(world, acct, spec, ai, rng, newId, historyStart, pageId);
  });
  // Assigned catalogs: the first system user of business 0 is assigned the catalog of business 1.
  const b1 = world.businesses[1];
  if (b1) world.users[0]!.catalogIds.push(...b1.ownedCatalogIds);

  for (const u of world.users) world.byId.set(u.id, { kind: 'user', id: u.id, businessId: u.businessId, ref: u });
  for (const b of world.businesses) world.byId.set(b.id, { kind: 'business', id: b.id, ref: b });
  for (const a of world.accounts) world.byId.set(a.id, { kind: 'account', id: a.id, ref: a });
  for (const list of [world.campaigns, world.adsets, world.ads, world.creatives, world.pages, world.pixels, world.catalogs] as WorldNode[][]) {
    for (const n of list) world.byId.set(n.id, n);
  }
  return world;
}

function buildTree(world: World, acct: AdAccount, spec: WorldSpec, ai: number, rng: Rng, newId: (len: number, prefix?: string) => string, historyStart: number, pageId: string): void {
  const daySec = 86400;
  const cur = acct.currency;
  const pixelId = acct.pixelIds[0] ?? null;
  for (let ci = 0; ci < spec.campaignsPerAccount; ci++) {
    const objective = rng.pick(OBJECTIVES);
    const created = historyStart + rng.int(0, Math.floor(spec.historyDays / 3)) * daySec + rng.int(0, daySec - 1);
    const cbo = rng.chance(0.5);
    const lifetime = rng.chance(0.25);
    // Forced statuses so every world has PAUSED, ARCHIVED and DELETED objects (facts §3.1, §3.5).
    let status: Status = 'ACTIVE';
    if (ci === 1 && ai % 2 === 1) status = 'PAUSED';
    if (ci === 2 && ai % 2 === 0) status = 'ARCHIVED';
    if (ci > 2 && rng.chance(0.15)) status = rng.pick(['PAUSED', 'ARCHIVED', 'DELETED'] as const);
    const stoppedDay = status === 'ACTIVE' ? null : localDay(world.clock.nowUnix - rng.int(3, 40) * daySec, acct.timezone);
    const camp: Campaign = {
      kind: 'campaign',
      id: newId(18, '1202'),
      accountId: acct.accountId,
      name: `${rng.pick(WORDS)} ${rng.pick(WORDS)} ${ci + 1}`,
      status,
      createdTime: created,
      updatedTime: created + rng.int(0, 20) * daySec,
      startDay: localDay(created, acct.timezone),
      stoppedDay,
      objective,
      bidStrategy: rng.pick(BID_STRATEGIES),
      dailyBudget: cbo && !lifetime ? money(rng.int(20, 500) * 100, cur) : null,
      lifetimeBudget: cbo && lifetime ? money(rng.int(2000, 30000) * 100, cur) : null,
      adsetIds: [],
    };
    world.campaigns.push(camp);
    acct.campaignIds.push(camp.id);
    for (let si = 0; si < spec.adsetsPerCampaign; si++) {
      let sStatus: Status = status === 'ACTIVE' ? 'ACTIVE' : status;
      if (status === 'ACTIVE' && si === 1 && ci === 1) sStatus = 'PAUSED';
      else if (status === 'ACTIVE' && si > 1 && rng.chance(0.1)) sStatus = 'PAUSED';
      const sCreated = created + rng.int(0, 3) * daySec + rng.int(0, 3600);
      const bidStrategy = camp.bidStrategy;
      const set: AdSet = {
        kind: 'adset',
        id: newId(18, '1202'),
        accountId: acct.accountId,
        campaignId: camp.id,
        name: `${camp.name} / ${rng.pick(['Broad', 'Lookalike 1%', 'Interests', 'Retarget 30d', 'Advantage+'])} ${si + 1}`,
        status: sStatus,
        createdTime: sCreated,
        updatedTime: sCreated + rng.int(0, 20) * daySec,
        startDay: localDay(sCreated, acct.timezone),
        stoppedDay: sStatus === 'ACTIVE' ? null : (camp.stoppedDay ?? localDay(world.clock.nowUnix - rng.int(2, 30) * daySec, acct.timezone)),
        dailyBudget: cbo ? null : money(rng.int(10, 200) * 100, cur),
        lifetimeBudget: null,
        bidStrategy,
        bidAmount: bidStrategy === 'LOWEST_COST_WITHOUT_CAP' ? null : money(rng.int(1, 30) * 100, cur),
        billingEvent: GOALS[objective]![1],
        optimizationGoal: GOALS[objective]![0],
        countries: acct.countries.slice(0, Math.max(1, rng.int(1, acct.countries.length))),
        pixelId: objective === 'OUTCOME_SALES' ? pixelId : null,
        pageId,
        adIds: [],
      };
      world.adsets.push(set);
      camp.adsetIds.push(set.id);
      acct.adsetIds.push(set.id);
      for (let di = 0; di < spec.adsPerAdset; di++) {
        let aStatus: Status = sStatus;
        if (sStatus === 'ACTIVE' && ci === 0 && si === 0 && di === spec.adsPerAdset - 1) aStatus = 'DELETED';
        else if (sStatus === 'ACTIVE' && rng.chance(0.08)) aStatus = rng.pick(['PAUSED', 'DELETED', 'ARCHIVED'] as const);
        const aCreated = sCreated + rng.int(0, 5) * daySec + rng.int(0, 3600);
        const video = objective === 'OUTCOME_ENGAGEMENT' || objective === 'OUTCOME_AWARENESS' || rng.chance(0.3);
        const creative: Creative = {
          kind: 'creative',
          id: newId(18, '1202'),
          accountId: acct.accountId,
          name: `Creative ${camp.name} ${si + 1}.${di + 1}`,
          status: aStatus === 'DELETED' ? 'DELETED' : 'ACTIVE',
          objectType: video ? 'VIDEO' : rng.chance(0.5) ? 'SHARE' : 'PHOTO',
          pageId,
          postId: rng.digits(16),
          title: `${rng.pick(WORDS)} offer`,
          body: `Save on ${rng.pick(WORDS).toLowerCase()} favourites this week.`,
          link: `https://shop.example.com/${rng.pick(WORDS).toLowerCase()}`,
          videoId: video ? rng.digits(16) : null,
          imageHash: rng.hex(32),
          callToAction: rng.pick(CTAS),
        };
        world.creatives.push(creative);
        acct.creativeIds.push(creative.id);
        const ad: Ad = {
          kind: 'ad',
          id: newId(18, '1202'),
          accountId: acct.accountId,
          campaignId: camp.id,
          adsetId: set.id,
          creativeId: creative.id,
          name: `${set.name} - Ad ${di + 1}`,
          status: aStatus,
          createdTime: aCreated,
          updatedTime: aCreated + rng.int(0, 20) * daySec,
          startDay: localDay(aCreated, acct.timezone),
          stoppedDay: aStatus === 'ACTIVE' ? null : (set.stoppedDay ?? localDay(world.clock.nowUnix - rng.int(1, 25) * daySec, acct.timezone)),
          bidAmount: set.bidAmount,
          perf: {
            impressionsPerDay: rng.int(150, 4000),
            ctr: 0.004 + rng.float() * 0.025,
            cpmUsdCents: rng.int(300, 1600),
            convRate: 0.01 + rng.float() * 0.06,
            aovUsdCents: rng.int(1500, 15000),
            frequency: 1.05 + rng.float() * 0.6,
            video,
          },
        };
        // updated_time never before created; never after the world clock.
        for (const n of [camp, set, ad]) n.updatedTime = Math.min(n.updatedTime, world.clock.nowUnix - 3600);
        world.ads.push(ad);
        set.adIds.push(ad.id);
        acct.adIds.push(ad.id);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Status helpers (facts §3.1) and the world clock.

export function effectiveStatus(world: World, node: Campaign | AdSet | Ad): string {
  if (node.status === 'DELETED' || node.status === 'ARCHIVED') return node.status;
  if (node.kind === 'campaign') return node.status;
  const camp = world.byId.get(node.campaignId) as Campaign;
  if (camp.status === 'DELETED' || camp.status === 'ARCHIVED') return camp.status;
  if (camp.status === 'PAUSED') return 'CAMPAIGN_PAUSED';
  if (node.kind === 'adset') return node.status;
  const set = world.byId.get(node.adsetId) as AdSet;
  if (set.status === 'DELETED' || set.status === 'ARCHIVED') return set.status;
  if (set.status === 'PAUSED') return 'ADSET_PAUSED';
  return node.status;
}

/**
 * An advertiser changes one campaign's, ad set's or ad's status, as POST /{id}?status= does: the
 * object's own updated_time moves; its children keep theirs although their effective_status follows
 * (CAMPAIGN_PAUSED, ADSET_PAUSED, ARCHIVED, DELETED — see effectiveStatus). Delivery stops the day a
 * status leaves ACTIVE and resumes the day it returns.
 */
export function setStatus(world: World, id: string, status: Status): Campaign | AdSet | Ad {
  const n = world.byId.get(id) as Campaign | AdSet | Ad | undefined;
  if (!n || (n.kind !== 'campaign' && n.kind !== 'adset' && n.kind !== 'ad')) throw new Error(`setStatus: ${id} is not a campaign, ad set or ad of this world`);
  if (n.status === 'DELETED') throw new Error(`setStatus: ${id} is DELETED; Meta does not undelete objects`);
  if (n.status === 'ARCHIVED' && status !== 'DELETED' && status !== 'ARCHIVED') throw new Error(`setStatus: ${id} is ARCHIVED; Meta only lets it be deleted`);
  const acct = world.accountByBareId.get(n.accountId)!;
  const today = localDay(world.clock.nowUnix, acct.timezone);
  if (n.status === 'ACTIVE' && status !== 'ACTIVE') n.stoppedDay = today;
  if (status === 'ACTIVE') n.stoppedDay = null;
  n.status = status;
  n.updatedTime = world.clock.nowUnix;
  return n;
}

/** An advertiser (or an automated rule) renames a campaign, ad set or ad: its updated_time moves to the world clock. */
export function rename(world: World, id: string, name: string): Campaign | AdSet | Ad {
  const n = world.byId.get(id) as Campaign | AdSet | Ad | undefined;
  if (!n || (n.kind !== 'campaign' && n.kind !== 'adset' && n.kind !== 'ad')) throw new Error(`rename: ${id} is not a campaign, ad set or ad of this world`);
  n.name = name;
  n.updatedTime = world.clock.nowUnix;
  return n;
}

/**
 * Moves the world clock by seconds, within its day: Meta's clock runs on while a reader pages, so
 * edits made during one read carry different updated_times.
 */
export function advanceSeconds(world: World, seconds: number): void {
  if (!Number.isInteger(seconds) || seconds < 0 || utcDay(world.clock.nowUnix + seconds) !== world.clock.today) throw new Error(`advanceSeconds: ${seconds} must be a whole number of seconds that stays in the world's day`);
  world.clock.nowUnix += seconds;
}

/** The advertiser deletes the post or reel a creative shows; the creative itself stays (airbytehq/airbyte#66027). */
export function deleteCreativePost(world: World, id: string): Creative {
  const c = world.byId.get(id);
  if (!c || c.kind !== 'creative') throw new Error(`deleteCreativePost: ${id} is not a creative of this world`);
  c.postDeleted = true;
  return c;
}

/**
 * Meta stops serving a field of a node type at every API version, between two runs: from now on a
 * read asking for it answers "(#100) Tried accessing nonexisting field (<field>) on node type (<type>)"
 * (the answer captured in facebook-python-business-sdk#106, facebook-php-business-sdk#294,
 * facebook-java-business-sdk#215; withdrawals that did not wait for a version: airbytehq/airbyte#38835).
 */
export function withdrawField(world: World, sdkClass: string, field: string): void {
  const set = world.withdrawnFields.get(sdkClass) ?? new Set<string>();
  set.add(field);
  world.withdrawnFields.set(sdkClass, set);
}

/**
 * Meta starts (or, with `incomplete` false, stops) answering 100/2446289 "Ad Creative Is Incomplete" for an ad set or an ad account:
 * airbytehq/airbyte#65944 (2025-09) saw that very answer fail the ad_sets and ad_accounts streams, not
 * only ad_creatives. Which of their content needs the missing post is not documented.
 */
export function makeIncomplete(world: World, id: string, incomplete = true): AdSet | AdAccount {
  const n = world.byId.get(id);
  const account = world.accountByBareId.get(id.replace(/^act_/, ''));
  const node = n?.kind === 'adset' ? n : account;
  if (!node) throw new Error(`makeIncomplete: ${id} is not an ad set or ad account of this world`);
  // Fixed in Ads Manager (incomplete false): readable again; whether Meta moves updated_time then is
  // not documented, so it stays as it was (the case a bookmark cannot see).
  node.incomplete = incomplete;
  return node;
}

/** Whether an ad delivered on an account-local day: inside its own and its parents' live span. */
export function adDelivers(world: World, ad: Ad, day: string): boolean {
  const set = world.byId.get(ad.adsetId) as AdSet;
  const camp = world.byId.get(ad.campaignId) as Campaign;
  for (const n of [ad, set, camp]) {
    if (day < n.startDay) return false;
    if (n.stoppedDay !== null && day >= n.stoppedDay) return false;
  }
  return true;
}

/**
 * Moves the world clock by whole days. Some objects change each day (renames, budget edits,
 * pauses, archiving) and their updated_time moves to the new clock (facts §3.5 incremental sync).
 * Which objects change is a pure function of (seed, object id, new day).
 */
export function advanceWorld(world: World, days: number): void {
  for (let i = 0; i < days; i++) {
    world.clock.nowUnix += 86_400;
    world.clock.today = utcDay(world.clock.nowUnix);
    world.clock.epoch += 1;
    const now = world.clock.nowUnix;
    const touched = (n: TreeNode, u: number) => {
      n.updatedTime = now - Math.floor(u * 36000);
    };
    for (const list of [world.campaigns, world.adsets, world.ads] as Array<Array<Campaign | AdSet | Ad>>) {
      for (const n of list) {
        if (n.status === 'DELETED') continue;
        const u = unit(world.seed, 'change', n.id, world.clock.today);
        if (u >= 0.06) continue;
        const acct = world.accountByBareId.get(n.accountId)!;
        const what = Math.floor(unit(world.seed, 'what', n.id, world.clock.today) * 4);
        if (what === 0 && n.status === 'ACTIVE') {
          n.status = 'PAUSED';
          n.stoppedDay = localDay(now, acct.timezone);
        } else if (what === 1 && n.status === 'PAUSED') {
          n.status = 'ARCHIVED';
        } else if (what === 2 && n.kind !== 'ad' && n.dailyBudget !== null) {
          n.dailyBudget = Math.round(n.dailyBudget * 1.1);
        } else {
          n.name = n.name.replace(/ \(v\d+\)$/, '') + ` (v${world.clock.epoch})`;
        }
        touched(n, u);
      }
    }
  }
}
