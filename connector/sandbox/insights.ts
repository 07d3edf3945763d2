// Insights generator: every value is a pure function of (seed, ad id, day, age of the day at the
// world clock), generated at ad level in integer minor units and summed upward, so account =
// Σcampaigns = Σad sets = Σads to the cent (facts §4.3). Nothing is materialised ahead of a query.
import { DateTime } from 'luxon';
import { hashPrefix, unit, unitFrom } from './prng.js';
import { adDelivers, effectiveStatus, localDay, zoneOffset, type Ad, type AdAccount, type AdSet, type Campaign, type World } from './world.js';

export type Level = 'account' | 'campaign' | 'adset' | 'ad';
export type TimeIncrement = number | 'monthly' | 'all_days';

// Metric vector layout: integers only (counts, minor units). Reach is special (not additive).
const CONV = ['purchase', 'add_to_cart', 'lead'] as const;
const WIN = ['1d_click', '7d_click', '28d_click', '1d_view'] as const;
const BASE = ['impressions', 'clicks', 'spend', 'reach', 'inline_link_clicks', 'outbound_clicks', 'post_engagement', 'page_engagement', 'landing_page_view', 'video_view', 'p25', 'p50', 'p75', 'p95', 'p100', 'v30'] as const;
const KEYS: string[] = [...BASE];
for (const c of CONV) for (const w of WIN) KEYS.push(`${c}:${w}`);
for (const c of ['purchase', 'add_to_cart']) for (const w of WIN) KEYS.push(`${c}$:${w}`);
// The part of `lead` that came through an instant form on Facebook (the rest came through the pixel).
for (const w of WIN) KEYS.push(`lead_form:${w}`);
const IX: Record<string, number> = Object.fromEntries(KEYS.map((k, i) => [k, i]));
const N = KEYS.length;
const I = (k: string): number => IX[k]!;
const REACH = I('reach');
type Vec = number[];
const zeros = (): Vec => new Array<number>(N).fill(0);

/** facts §4.3 action types (names as the API spells them). */
const CONV_ACTION: Record<(typeof CONV)[number], string> = {
  purchase: 'offsite_conversion.fb_pixel_purchase',
  add_to_cart: 'offsite_conversion.fb_pixel_add_to_cart',
  lead: 'lead',
};
/**
 * `lead` is Meta's total of every lead an ad got; insights list its parts beside it: leads from the
 * website's pixel and leads from instant forms on Facebook. Reporting tools count either the total
 * or the parts, never both (public code reading insights treats `lead` as holding the two).
 * [unconfirmed: Meta's docs name these action types, not how they add up.]
 */
const LEAD_PARTS = { pixel: 'offsite_conversion.fb_pixel_lead', form: 'onsite_conversion.lead_grouped' } as const;
/** Share of a lead campaign's ads whose leads come from an instant form rather than the website. */
const FORM_LEAD_SHARE = 0.5;

/** Restatement window: conversions keep arriving for 28 days, then the day is frozen (facts §4.5). */
export const RESTATEMENT_DAYS = 28;

export interface Snapshot {
  nowUnix: number;
}

/** Day arithmetic on integers (days since 1970-01-01): luxon is far too slow for the inner loop. */
export function dayNum(day: string): number {
  return Date.UTC(Number(day.slice(0, 4)), Number(day.slice(5, 7)) - 1, Number(day.slice(8, 10))) / 86400000;
}
export function dayStr(n: number): string {
  return new Date(n * 86400000).toISOString().slice(0, 10);
}
function dayAge(day: string, today: string): number {
  return dayNum(today) - dayNum(day);
}

/** Fraction of the account-local "today" that has elapsed at the world clock. */
function dayFraction(nowUnix: number, tz: string): number {
  const local = nowUnix + zoneOffset(nowUnix, tz) * 60;
  return (((local % 86400) + 86400) % 86400) / 86400;
}

/** One ad, one account-local day: the integer metric vector, or null when nothing delivered. */
const CONV_IX = Object.fromEntries(CONV.map((c) => [c, WIN.map((w) => I(`${c}:${w}`))])) as Record<(typeof CONV)[number], number[]>;
const VAL_IX = Object.fromEntries(CONV.map((c) => [c, c === 'lead' ? [] : WIN.map((w) => I(`${c}$:${w}`))])) as Record<(typeof CONV)[number], number[]>;
const CONV_KEYS = Object.fromEntries(CONV.map((c) => [c, ['28', '7', '1', 'v', 'aov'].map((k) => c + k)])) as Record<(typeof CONV)[number], string[]>;

/**
 * Conversions: final per-window counts, of which only the part that has "arrived" by this age is
 * reported. Recent days therefore restate as the clock moves; days > 28 are frozen (facts §4.5).
 */
function addConv(v: Vec, pre: number, c: (typeof CONV)[number], base: number, imp: number, age: number, frac: number, aovMinor: number): void {
  const k = CONV_KEYS[c];
  const f28 = Math.round(base * (0.6 + 0.8 * unitFrom(pre, k[0]!)));
  const f7 = Math.round(f28 * (0.75 + 0.15 * unitFrom(pre, k[1]!)));
  const f1 = Math.round(f7 * (0.6 + 0.2 * unitFrom(pre, k[2]!)));
  const fv = Math.round(imp * 0.0006 * unitFrom(pre, k[3]!) * (c === 'add_to_cart' ? 3 : 1));
  const a1 = age >= 1 ? f1 : Math.floor(f1 * frac * 0.8);
  const a7 = age >= 1 ? f1 + Math.floor(((f7 - f1) * Math.min(age, 7)) / 7) : a1;
  const a28 = age >= 1 ? a7 + Math.floor(((f28 - f7) * Math.min(age, RESTATEMENT_DAYS)) / RESTATEMENT_DAYS) : a7;
  const av = age >= 1 ? fv : Math.floor(fv * frac);
  const counts = [a1, a7, a28, av];
  const ix = CONV_IX[c];
  for (let i = 0; i < 4; i++) v[ix[i]!] = counts[i]!;
  if (c !== 'lead') {
    const aov = aovMinor * (c === 'purchase' ? 1 : 0.9) * (0.8 + 0.4 * unitFrom(pre, k[4]!));
    const vx = VAL_IX[c];
    for (let i = 0; i < 4; i++) v[vx[i]!] = Math.round(counts[i]! * aov);
  }
}

/** Impressions of one ad on one account-local day at a given age; shared by adDay and lifetimeSpend. */
function impressionsOf(seed: number, pre: number, ad: Ad, day: string, dn: number, age: number, frac: number): number {
  const p = ad.perf;
  const isoWeekday = ((dn + 3) % 7) + 1;
  const weekday = isoWeekday >= 6 ? 0.85 : 1;
  const sinceStart = dn - dayNum(ad.startDay);
  const ramp = sinceStart === 0 ? 0.5 : sinceStart === 1 ? 0.75 : 1;
  const part = age === 0 ? frac : 1; // today's row accumulates from local midnight (facts §4.2)
  // Delivery of recent days is restated too (invalid-traffic corrections): a small, clock-dependent
  // trim that vanishes at 28 days, after which the day is frozen (facts §4.5, §10.6).
  const trim = age >= RESTATEMENT_DAYS ? 0 : 0.03 * unit(seed, ad.id, day, 'trim', age) * ((RESTATEMENT_DAYS - age) / RESTATEMENT_DAYS);
  return Math.floor(p.impressionsPerDay * (0.6 + 0.8 * unitFrom(pre, 'i')) * weekday * ramp * part * (1 - trim));
}

function spendOf(pre: number, ad: Ad, imp: number, acct: AdAccount): number {
  return Math.round(((imp * ad.perf.cpmUsdCents * acct.currency.perUsdCent) / 1000) * (0.85 + 0.3 * unitFrom(pre, 's')));
}

/** Lifetime spend of an account in minor units at the world clock (AdAccount.amount_spent) = Σ insights spend. */
export function lifetimeSpend(world: World, acct: AdAccount, nowUnix: number): number {
  const today = localDay(nowUnix, acct.timezone);
  const todayN = dayNum(today);
  const frac = dayFraction(nowUnix, acct.timezone);
  let total = 0;
  for (const id of acct.adIds) {
    const ad = world.byId.get(id) as Ad;
    for (let n = dayNum(ad.startDay); n <= todayN; n++) {
      const day = dayStr(n);
      if (!adDelivers(world, ad, day)) continue;
      const pre = hashPrefix(world.seed, ad.id, day);
      const imp = impressionsOf(world.seed, pre, ad, day, n, todayN - n, frac);
      if (imp > 0) total += spendOf(pre, ad, imp, acct);
    }
  }
  return total;
}

function adDay(world: World, acct: AdAccount, camp: Campaign, ad: Ad, day: string, age: number, frac: number): Vec | null {
  const pre = hashPrefix(world.seed, ad.id, day);
  const p = ad.perf;
  const imp = impressionsOf(world.seed, pre, ad, day, dayNum(day), age, frac);
  if (imp <= 0) return null;
  const v: Vec = zeros();
  const cur = acct.currency;
  const clicks = Math.round(imp * p.ctr * (0.7 + 0.6 * unitFrom(pre, 'c')));
  const link = Math.round(clicks * (0.6 + 0.25 * unitFrom(pre, 'l')));
  v[I('impressions')] = imp;
  v[I('clicks')] = clicks;
  v[I('spend')] = spendOf(pre, ad, imp, acct);
  v[REACH] = Math.max(1, Math.min(imp, Math.round(imp / (p.frequency * (0.95 + 0.1 * unitFrom(pre, 'r'))))));
  v[I('inline_link_clicks')] = link;
  v[I('outbound_clicks')] = Math.round(link * 0.9);
  const pe = link + Math.round(clicks * 0.3 * unitFrom(pre, 'pe'));
  v[I('post_engagement')] = pe;
  v[I('page_engagement')] = pe + Math.round(3 * unitFrom(pre, 'pg'));
  v[I('landing_page_view')] = Math.round(link * (0.7 + 0.2 * unitFrom(pre, 'lpv')));
  if (p.video) {
    const vv = Math.round(imp * (0.2 + 0.15 * unitFrom(pre, 'vv')));
    const p25 = Math.round(vv * (0.5 + 0.2 * unitFrom(pre, 'p25')));
    const p50 = Math.round(p25 * 0.62);
    const p75 = Math.round(p50 * 0.7);
    const p95 = Math.round(p75 * 0.8);
    v[I('video_view')] = vv;
    v[I('p25')] = p25;
    v[I('p50')] = p50;
    v[I('p75')] = p75;
    v[I('p95')] = p95;
    v[I('p100')] = Math.round(p95 * 0.9);
    v[I('v30')] = Math.round(p75 * 0.8);
  }
  // Conversions: final per-window counts, of which only the part that has "arrived" by this
  // age is reported. Recent days therefore restate as the clock moves; days > 28 are frozen.
  if (camp.objective === 'OUTCOME_SALES' || camp.objective === 'OUTCOME_TRAFFIC') {
    const pur = link * p.convRate;
    addConv(v, pre, 'purchase', pur, imp, age, frac, p.aovUsdCents * cur.perUsdCent);
    addConv(v, pre, 'add_to_cart', pur * 3.2, imp, age, frac, p.aovUsdCents * cur.perUsdCent);
  } else if (camp.objective === 'OUTCOME_LEADS') {
    addConv(v, pre, 'lead', link * p.convRate * 1.5, imp, age, frac, 0);
    // An ad collects leads one way for its whole life: an instant form, or its website's pixel.
    if (unit(world.seed, ad.id, 'lead-form') < FORM_LEAD_SHARE) for (const w of WIN) v[I(`lead_form:${w}`)] = v[I(`lead:${w}`)]!;
  }
  return v;
}

// ---------------------------------------------------------------------------------------------
// Breakdowns (facts §4.1; value vocabularies are [unconfirmed] in §12, these are the usual ones).

const SHAPES: Record<string, Array<[string, number]>> = {
  age: [
    ['18-24', 0.8],
    ['25-34', 1.3],
    ['35-44', 1.1],
    ['45-54', 0.8],
    ['55-64', 0.5],
    ['65+', 0.35],
  ],
  gender: [
    ['female', 1],
    ['male', 0.95],
    ['unknown', 0.05],
  ],
  publisher_platform: [
    ['facebook', 1],
    ['instagram', 0.8],
    ['audience_network', 0.15],
    ['messenger', 0.05],
  ],
  device_platform: [
    ['mobile', 0.85],
    ['desktop', 0.15],
  ],
  impression_device: [
    ['android_smartphone', 0.5],
    ['iphone', 0.35],
    ['desktop', 0.1],
    ['ipad', 0.04],
    ['other', 0.01],
  ],
};
/** Breakdowns with a generated distribution; any other breakdown Meta accepts comes back as one 'unknown' bucket. */
export const SHAPED_BREAKDOWNS = ['age', 'gender', 'country', 'publisher_platform', 'device_platform', 'impression_device'];
const UNSHAPED: Array<[string, number]> = [['unknown', 1]];

interface Bucket {
  key: string;
  values: Record<string, string>;
  weight: number;
}
const NO_BUCKET: Bucket = { key: '', values: {}, weight: 1 };

function buckets(world: World, ad: Ad, set: AdSet, day: string, breakdowns: string[]): Bucket[] {
  let out: Bucket[] = [{ key: '', values: {}, weight: 1 }];
  for (const dim of breakdowns) {
    const shape: Array<[string, number]> = dim === 'country' ? set.countries.map((c, i) => [c, i === 0 ? 1 : 0.4]) : (SHAPES[dim] ?? UNSHAPED);
    const next: Bucket[] = [];
    for (const b of out) {
      for (const [val, w] of shape) {
        next.push({ key: `${b.key}|${val}`, values: { ...b.values, [dim]: val }, weight: b.weight * w * (0.6 + 0.8 * unit(world.seed, ad.id, day, dim, val)) });
      }
    }
    out = next;
  }
  return out;
}

/** Largest-remainder split of every integer metric: the buckets sum exactly to the whole. */
function split(v: Vec, bs: Bucket[]): Vec[] {
  const total = bs.reduce((a, b) => a + b.weight, 0);
  const out = bs.map(() => zeros());
  const order = bs.map((_, i) => i);
  for (let k = 0; k < N; k++) {
    const whole = v[k]!;
    if (whole === 0) continue;
    let given = 0;
    const rema: number[] = [];
    bs.forEach((b, i) => {
      const exact = (whole * b.weight) / total;
      const fl = Math.floor(exact);
      out[i]![k] = fl;
      given += fl;
      rema[i] = exact - fl;
    });
    const sorted = [...order].sort((a, b) => rema[b]! - rema[a]! || a - b);
    for (let j = 0; j < whole - given; j++) out[sorted[j % sorted.length]!]![k]! += 1;
  }
  for (const o of out) o[REACH] = Math.min(o[REACH]!, o[I('impressions')]!);
  return out;
}

/** Parent reach from children: ≥ the largest child, ≤ the sum (audiences overlap). */
function combine(world: World, parts: Vec[], key: string): Vec {
  const out = zeros();
  let max = 0;
  let sum = 0;
  for (const p of parts) {
    for (let k = 0; k < N; k++) out[k]! += p[k]!;
    max = Math.max(max, p[REACH]!);
    sum += p[REACH]!;
  }
  out[REACH] = parts.length <= 1 ? sum : max + Math.floor((sum - max) * (0.55 + 0.35 * unit(world.seed, 'reach', key)));
  return out;
}

// ---------------------------------------------------------------------------------------------

export interface InsightsQuery {
  account: AdAccount;
  /** Scope node: the account, or a campaign/ad set/ad id below it. */
  scope: { level: Level; id: string };
  level: Level;
  since: string;
  until: string;
  timeIncrement: TimeIncrement;
  breakdowns: string[];
  /** action_attribution_windows; null when not requested. */
  windows: string[] | null;
  fields: string[];
  /** `<entity>.effective_status` filters (facts §3.5); absent = default visibility. */
  statusFilter: Partial<Record<'campaign' | 'adset' | 'ad', Set<string>>>;
  /** `<entity>.id IN [...]` filters (facts §4.1 filtering); absent = no restriction. */
  idFilter?: Partial<Record<'campaign' | 'adset' | 'ad', Set<string>>>;
  /** action_breakdowns beyond action_type (SINGER asks for action_target_id, action_destination). */
  actionBreakdowns?: string[];
}

/** Rough number of (ad, day, breakdown bucket) cells a query touches: the sync data-per-call guard. */
export function estimateCells(world: World, q: InsightsQuery): number {
  const days = dayNum(q.until) - dayNum(q.since) + 1;
  let buckets = 1;
  for (const b of q.breakdowns) buckets *= b === 'country' ? 3 : (SHAPES[b]?.length ?? 1);
  return adsInScope(world, q).length * days * buckets;
}

export function adsInScope(world: World, q: InsightsQuery): Ad[] {
  const all = q.account.adIds.map((id) => world.byId.get(id) as Ad);
  const s = q.scope;
  return all.filter((ad) => s.level === 'account' || (s.level === 'campaign' && ad.campaignId === s.id) || (s.level === 'adset' && ad.adsetId === s.id) || (s.level === 'ad' && ad.id === s.id));
}

interface Period {
  start: string;
  stop: string;
}

function periodOf(day: string, q: InsightsQuery): Period {
  if (q.timeIncrement === 'all_days') return { start: q.since, stop: q.until };
  if (q.timeIncrement === 'monthly') {
    const d = DateTime.fromISO(day, { zone: 'utc' });
    const s = d.startOf('month').toISODate()!;
    const e = d.endOf('month').toISODate()!;
    return { start: s < q.since ? q.since : s, stop: e > q.until ? q.until : e };
  }
  const n = q.timeIncrement;
  const k = Math.floor(dayAge(q.since, day) / n);
  const start = dayNum(q.since) + k * n;
  const stop = dayStr(start + n - 1);
  return { start: dayStr(start), stop: stop > q.until ? q.until : stop };
}

export type InsightsRow = Record<string, unknown>;

/**
 * The rows the API serves for a query at a given world clock. Ordered by period, then object id,
 * then breakdown values. Rows without impressions are absent (the API omits empty rows).
 */
export function computeInsights(world: World, q: InsightsQuery, snap: Snapshot): InsightsRow[] {
  const acct = q.account;
  const today = localDay(snap.nowUnix, acct.timezone);
  const frac = dayFraction(snap.nowUnix, acct.timezone);
  const until = q.until < today ? q.until : today;
  const statusOk = (ent: 'campaign' | 'adset' | 'ad', node: Campaign | AdSet | Ad): boolean => {
    const f = q.statusFilter[ent];
    return f === undefined || f.has(effectiveStatus(world, node));
  };
  // day|bucket -> ad-level vectors grouped upward
  type Cell = { ad: Ad; set: AdSet; camp: Campaign; day: string; bucket: Bucket; v: Vec };
  const cells: Cell[] = [];
  for (const ad of adsInScope(world, q)) {
    const set = world.byId.get(ad.adsetId) as AdSet;
    const camp = world.byId.get(ad.campaignId) as Campaign;
    if (!statusOk('ad', ad) || !statusOk('adset', set) || !statusOk('campaign', camp)) continue;
    const ids = q.idFilter;
    if (ids && ((ids.ad && !ids.ad.has(ad.id)) || (ids.adset && !ids.adset.has(set.id)) || (ids.campaign && !ids.campaign.has(camp.id)))) continue;
    const first = ad.startDay > q.since ? ad.startDay : q.since;
    const todayN = dayNum(today);
    for (let n = dayNum(first), last = dayNum(until); n <= last; n++) {
      const day = dayStr(n);
      if (!adDelivers(world, ad, day)) continue;
      const v = adDay(world, acct, camp, ad, day, todayN - n, frac);
      if (!v) continue;
      if (q.breakdowns.length === 0) cells.push({ ad, set, camp, day, bucket: NO_BUCKET, v });
      else {
        const bs = buckets(world, ad, set, day, q.breakdowns);
        split(v, bs).forEach((bv, i) => {
          if (bv[I('impressions')]! > 0) cells.push({ ad, set, camp, day, bucket: bs[i]!, v: bv });
        });
      }
    }
  }
  // Aggregate per day+bucket up the tree, then over the period.
  const up = (items: Cell[], keyOf: (c: Cell) => string): Map<string, { cell: Cell; parts: Vec[] }> => {
    const m = new Map<string, { cell: Cell; parts: Vec[] }>();
    for (const c of items) {
      const k = keyOf(c);
      const e = m.get(k);
      if (e) e.parts.push(c.v);
      else m.set(k, { cell: c, parts: [c.v] });
    }
    return m;
  };
  const roll = (items: Cell[], idOf: (c: Cell) => string): Cell[] => [...up(items, (c) => `${idOf(c)}#${c.day}#${c.bucket.key}`).entries()].map(([k, e]) => ({ ...e.cell, v: combine(world, e.parts, k) }));
  let level: Cell[] = cells;
  const order: Level[] = ['ad', 'adset', 'campaign', 'account'];
  const idAt: Record<Level, (c: Cell) => string> = { ad: (c) => c.ad.id, adset: (c) => c.set.id, campaign: (c) => c.camp.id, account: () => acct.accountId };
  for (const l of order.slice(1, order.indexOf(q.level) + 1)) level = roll(level, idAt[l]);
  const byPeriod = up(level, (c) => {
    const p = periodOf(c.day, q);
    return `${p.start}#${idAt[q.level](c)}#${c.bucket.key}`;
  });
  const rows: Array<{ sort: string; row: InsightsRow }> = [];
  const windows = (q.windows ?? []).filter((w) => RETURNED_WINDOWS.has(w));
  // Since 2025-06-10 reach/frequency/cpp are omitted with breakdowns older than 13 months (facts §4.1).
  const noReach = q.breakdowns.length > 0 && q.since < DateTime.fromISO(today, { zone: 'utc' }).minus({ months: 13 }).toISODate()!;
  for (const [k, e] of byPeriod) {
    const c = e.cell;
    const node = q.level === 'ad' ? c.ad : q.level === 'adset' ? c.set : q.level === 'campaign' ? c.camp : null;
    // Default visibility: rows of DELETED objects are omitted unless filtered for (facts §3.5).
    if (node && q.statusFilter[q.level as 'ad'] === undefined && effectiveStatus(world, node) === 'DELETED') continue;
    const v = e.parts.length === 1 ? e.parts[0]! : combine(world, e.parts, `period#${k}`);
    const p = periodOf(c.day, q);
    rows.push({ sort: `${p.start}#${idAt[q.level](c)}#${c.bucket.key}`, row: formatRow(q, c, v, p, windows, noReach) });
  }
  rows.sort((a, b) => (a.sort < b.sort ? -1 : a.sort > b.sort ? 1 : 0));
  return rows.map((r) => r.row);
}

// ---------------------------------------------------------------------------------------------
// Formatting: numbers as strings (facts §0.2, §4.3); spend in major units; ratios to 6 places.

export function formatMoney(minor: number, acct: AdAccount): string {
  return acct.currency.offset === 1 ? String(Math.round(minor)) : (minor / 100).toFixed(2);
}
function ratio(x: number): string {
  return String(Number(x.toFixed(6)));
}

/** Since 2026-01-12 7d_view and 28d_view are no longer returned (facts §4.1). */
const RETURNED_WINDOWS = new Set(['1d_click', '7d_click', '28d_click', '1d_view']);

interface Stat {
  action_type: string;
  counts: Record<string, number>;
  value: number;
}

/** Per-row formatting context; actions are built lazily, once, and only if a field needs them. */
class RowCtx {
  readonly money: (m: number) => string;
  readonly spendMajor: number;
  private acts: { actions: Stat[]; values: Stat[] } | null = null;
  constructor(
    readonly acct: AdAccount,
    readonly v: Vec,
    readonly windows: string[],
    readonly actionKeys: Record<string, string>,
  ) {
    this.money = (m: number) => formatMoney(m, acct);
    this.spendMajor = acct.currency.offset === 1 ? v[I('spend')]! : v[I('spend')]! / 100;
  }
  g(k: string): number {
    return this.v[I(k)]!;
  }
  stats(): { actions: Stat[]; values: Stat[] } {
    if (this.acts) return this.acts;
    const actions: Stat[] = [];
    const values: Stat[] = [];
    const push = (list: Stat[], st: Stat) => {
      if (st.value > 0 || Object.values(st.counts).some((x) => x > 0)) list.push(st);
    };
    for (const [type, key] of [
      ['link_click', 'inline_link_clicks'],
      ['landing_page_view', 'landing_page_view'],
      ['post_engagement', 'post_engagement'],
      ['page_engagement', 'page_engagement'],
      ['video_view', 'video_view'],
    ] as const) {
      const n = this.g(key);
      push(actions, { action_type: type, value: n, counts: { '1d_click': n, '7d_click': n, '28d_click': n } });
    }
    for (const cv of CONV) {
      const counts: Record<string, number> = {};
      for (const w of WIN) counts[w] = this.g(`${cv}:${w}`);
      // Default attribution (7-day click + 1-day view) goes in `value`.
      push(actions, { action_type: CONV_ACTION[cv], counts, value: counts['7d_click']! + counts['1d_view']! });
      if (cv === 'lead') {
        const form: Record<string, number> = {};
        const pixel: Record<string, number> = {};
        for (const w of WIN) {
          form[w] = this.g(`lead_form:${w}`);
          pixel[w] = counts[w]! - form[w];
        }
        push(actions, { action_type: LEAD_PARTS.pixel, counts: pixel, value: pixel['7d_click']! + pixel['1d_view']! });
        push(actions, { action_type: LEAD_PARTS.form, counts: form, value: form['7d_click']! + form['1d_view']! });
      } else {
        const vals: Record<string, number> = {};
        for (const w of WIN) vals[w] = this.g(`${cv}$:${w}`);
        push(values, { action_type: CONV_ACTION[cv], counts: vals, value: vals['7d_click']! + vals['1d_view']! });
      }
    }
    this.acts = { actions, values };
    return this.acts;
  }
  stat(st: Stat, fmt: (n: number) => string): Record<string, string> {
    const o: Record<string, string> = { action_type: st.action_type, value: fmt(st.value) };
    // With extra action breakdowns each element names its target/destination (facts §4.3).
    for (const [k, val] of Object.entries(this.actionKeys)) o[k] = val;
    for (const w of this.windows) if ((st.counts[w] ?? 0) > 0) o[w] = fmt(st.counts[w]!);
    return o;
  }
  video(k: string): unknown {
    return this.g(k) > 0 ? [{ action_type: 'video_view', value: String(this.g(k)) }] : undefined;
  }
}

function fieldValue(f: string, x: RowCtx, lvl: number, c: { ad: Ad; set: AdSet; camp: Campaign }): unknown {
  const acct = x.acct;
  const imp = x.g('impressions');
  const clicks = x.g('clicks');
  const reach = x.g('reach');
  const link = x.g('inline_link_clicks');
  const sm = x.spendMajor;
  switch (f) {
    case 'account_id':
      return acct.accountId;
    case 'account_name':
      return acct.name;
    case 'account_currency':
      return acct.currency.code;
    case 'campaign_id':
      return lvl >= 1 ? c.camp.id : undefined;
    case 'campaign_name':
      return lvl >= 1 ? c.camp.name : undefined;
    case 'adset_id':
      return lvl >= 2 ? c.set.id : undefined;
    case 'adset_name':
      return lvl >= 2 ? c.set.name : undefined;
    case 'ad_id':
      return lvl >= 3 ? c.ad.id : undefined;
    case 'ad_name':
      return lvl >= 3 ? c.ad.name : undefined;
    case 'objective':
      return lvl >= 1 ? c.camp.objective : undefined;
    case 'optimization_goal':
      return lvl >= 2 ? c.set.optimizationGoal : undefined;
    case 'buying_type':
      return 'AUCTION';
    case 'attribution_setting':
      return lvl >= 2 ? '7d_click_1d_view' : undefined;
    case 'impressions':
      return String(imp);
    case 'clicks':
      return String(clicks);
    case 'spend':
      return x.money(x.g('spend'));
    case 'social_spend':
      return x.money(0);
    case 'reach':
      return String(reach);
    case 'frequency':
      return reach > 0 ? ratio(imp / reach) : undefined;
    case 'ctr':
      return imp > 0 ? ratio((clicks / imp) * 100) : undefined;
    case 'cpc':
      return clicks > 0 ? ratio(sm / clicks) : undefined;
    case 'cpm':
      return imp > 0 ? ratio((sm / imp) * 1000) : undefined;
    case 'cpp':
      return reach > 0 ? ratio((sm / reach) * 1000) : undefined;
    case 'inline_link_clicks':
      return String(link);
    case 'inline_link_click_ctr':
      return imp > 0 ? ratio((link / imp) * 100) : undefined;
    case 'cost_per_inline_link_click':
      return link > 0 ? ratio(sm / link) : undefined;
    case 'inline_post_engagement':
      return String(x.g('post_engagement'));
    case 'outbound_clicks':
      return x.g('outbound_clicks') > 0 ? [{ action_type: 'outbound_click', value: String(x.g('outbound_clicks')) }] : undefined;
    case 'website_ctr':
      return imp > 0 && link > 0 ? [{ action_type: 'link_click', value: ratio((link / imp) * 100) }] : undefined;
    case 'actions': {
      const a = x.stats().actions;
      return a.length ? a.map((st) => x.stat(st, String)) : undefined;
    }
    case 'action_values': {
      const a = x.stats().values;
      return a.length ? a.map((st) => x.stat(st, x.money)) : undefined;
    }
    case 'cost_per_action_type': {
      const a = x.stats().actions.filter((st) => st.value > 0);
      if (!a.length) return undefined;
      return a.map((st) => {
        const o: Record<string, string> = { action_type: st.action_type, value: ratio(sm / st.value) };
        for (const w of x.windows) if ((st.counts[w] ?? 0) > 0) o[w] = ratio(sm / st.counts[w]!);
        return o;
      });
    }
    case 'purchase_roas': {
      const pv = x.stats().values.find((st) => st.action_type === CONV_ACTION.purchase)?.value ?? 0;
      return pv > 0 && x.g('spend') > 0 ? [{ action_type: 'omni_purchase', value: ratio(pv / x.g('spend')) }] : undefined;
    }
    case 'video_play_actions':
      return x.video('video_view');
    case 'video_p25_watched_actions':
      return x.video('p25');
    case 'video_p50_watched_actions':
      return x.video('p50');
    case 'video_p75_watched_actions':
      return x.video('p75');
    case 'video_p95_watched_actions':
      return x.video('p95');
    case 'video_p100_watched_actions':
      return x.video('p100');
    case 'video_30_sec_watched_actions':
      return x.video('v30');
    // Insights created_time/updated_time are plain dates (facts §4.3).
    case 'created_time':
      return localDay(c.ad.createdTime, acct.timezone);
    case 'updated_time':
      return localDay(c.ad.updatedTime, acct.timezone);
    default:
      return undefined; // known to the API but not generated: absent, like empty metrics
  }
}

const LEVEL_INDEX: Record<Level, number> = { account: 0, campaign: 1, adset: 2, ad: 3 };

const REACH_FIELDS = new Set(['reach', 'frequency', 'cpp']);

function formatRow(q: InsightsQuery, c: { ad: Ad; set: AdSet; camp: Campaign; bucket: Bucket }, v: Vec, p: Period, windows: string[], noReach: boolean): InsightsRow {
  const keys: Record<string, string> = {};
  for (const b of q.actionBreakdowns ?? []) {
    const target = c.set.pixelId ?? c.set.pageId;
    if ((b === 'action_target_id' || b === 'action_destination') && target !== null) keys[b] = target;
  }
  const x = new RowCtx(q.account, v, windows, keys);
  const lvl = LEVEL_INDEX[q.level];
  const row: InsightsRow = {};
  for (const f of q.fields) {
    if (noReach && REACH_FIELDS.has(f)) continue;
    const val = fieldValue(f, x, lvl, c);
    if (val !== undefined) row[f] = val;
  }
  // Always present (facts §10.2), breakdown values as plain row keys (facts §4.3).
  row['date_start'] = p.start;
  row['date_stop'] = p.stop;
  for (const k in c.bucket.values) row[k] = c.bucket.values[k];
  return row;
}
