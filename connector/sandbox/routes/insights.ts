// Insights: synchronous GET, async POST → report run, report-run polling and results (facts §4, §5).
import { DateTime } from 'luxon';
import type { Call } from '../context.js';
import { E, asyncFailure } from '../errors.js';
import { JOB_KINDS } from '../faults.js';
import { parseFields, project } from '../fields.js';
import { checkEnumParams, edgeOf, hasField, nodeType, type SdkEdge } from '../meta.js';
import { BREAKDOWN_NEEDS } from '../meta-sdk/rules.js';
import { computeInsights, estimateCells, type InsightsQuery, type InsightsRow, type Level, type TimeIncrement } from '../insights.js';
import { paginate } from '../paging.js';
import { parseList } from '../request.js';
import type { ReportRun } from '../report-runs.js';
import { bump } from '../stats.js';
import { localDay, type AdAccount, type World } from '../world.js';
import { parseFiltering } from './objects.js';
import { REPORT_RUN } from './render.js';

const LEVELS: Level[] = ['account', 'campaign', 'adset', 'ad'];
const DAY = /^\d{4}-\d{2}-\d{2}$/;

function plus(day: string, o: Record<string, number>): string {
  return DateTime.fromISO(day, { zone: 'utc' }).plus(o).toISODate()!;
}

/** date_preset values relative to the account-local today (facts §4.1). */
function preset(name: string, today: string): { since: string; until: string } {
  const d = DateTime.fromISO(today, { zone: 'utc' });
  const yesterday = plus(today, { days: -1 });
  const lastN = /^last_(\d+)d$/.exec(name);
  if (lastN) return { since: plus(today, { days: -Number(lastN[1]) }), until: yesterday };
  switch (name) {
    case 'today':
      return { since: today, until: today };
    case 'yesterday':
      return { since: yesterday, until: yesterday };
    case 'this_month':
      return { since: d.startOf('month').toISODate()!, until: today };
    case 'last_month':
      return { since: d.minus({ months: 1 }).startOf('month').toISODate()!, until: d.minus({ months: 1 }).endOf('month').toISODate()! };
    case 'this_quarter':
      return { since: d.startOf('quarter').toISODate()!, until: today };
    case 'last_quarter':
      return { since: d.minus({ quarters: 1 }).startOf('quarter').toISODate()!, until: d.minus({ quarters: 1 }).endOf('quarter').toISODate()! };
    case 'this_year':
      return { since: d.startOf('year').toISODate()!, until: today };
    case 'last_year':
      return { since: d.minus({ years: 1 }).startOf('year').toISODate()!, until: d.minus({ years: 1 }).endOf('year').toISODate()! };
    case 'this_week_mon_today':
      return { since: d.startOf('week').toISODate()!, until: today };
    case 'last_week_mon_sun':
      return { since: d.minus({ weeks: 1 }).startOf('week').toISODate()!, until: d.minus({ weeks: 1 }).endOf('week').toISODate()! };
    case 'this_week_sun_today': {
      const sunday = d.minus({ days: d.weekday % 7 });
      return { since: sunday.toISODate()!, until: today };
    }
    case 'last_week_sun_sat': {
      const sunday = d.minus({ days: (d.weekday % 7) + 7 });
      return { since: sunday.toISODate()!, until: sunday.plus({ days: 6 }).toISODate()! };
    }
    case 'maximum':
    case 'data_maximum':
      return { since: plus(today, { months: -37, days: 1 }), until: today };
    default:
      // Values are checked against the SDK's enum first; a new SDK value the sandbox cannot date yet is a sandbox gap.
      throw E.invalidParam(`date_preset ${name} is not supported by the sandbox`);
  }
}

function parseRange(raw: string, what: string): { since: string; until: string } {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw E.invalidParam(`${what} must be a JSON object like {"since":"YYYY-MM-DD","until":"YYYY-MM-DD"}`);
  }
  const o = v as Record<string, unknown>;
  if (!o || typeof o['since'] !== 'string' || typeof o['until'] !== 'string' || !DAY.test(o['since']) || !DAY.test(o['until'])) {
    throw E.invalidParam(`${what} must be a JSON object like {"since":"YYYY-MM-DD","until":"YYYY-MM-DD"}`);
  }
  return { since: o['since'], until: o['until'] };
}

const ADS_INSIGHTS = nodeType('AdsInsights');
const SCOPE_CLASS: Record<Level, string> = { account: 'AdAccount', campaign: 'Campaign', adset: 'AdSet', ad: 'Ad' };

/** The insights edge of the scope's node type as the SDK declares it (GET: sync read, POST: report run). */
function insightsEdge(scope: Scope, method: string): SdkEdge {
  const e = edgeOf(SCOPE_CLASS[scope.level], 'insights', method === 'POST' ? 'POST' : 'GET');
  if (!e) throw new Error(`graph-api.json lacks ${method} ${SCOPE_CLASS[scope.level]}/insights`);
  return e;
}

export interface Scope {
  account: AdAccount;
  level: Level;
  id: string;
}

/**
 * A metric Meta withdrew from AdsInsights (world.ts withdrawField(world, 'AdsInsights', f)): refused with
 * the same "(#100) f is not valid for fields param" Meta sends for any field AdsInsights lacks (the
 * answer recorded in airbytehq/airbyte#35334 when Meta dropped the *_targeting fields).
 */
function isWithdrawnInsightsField(world: World, field: string): boolean {
  return world.withdrawnFields.get(ADS_INSIGHTS.sdk)?.has(field) === true;
}

/** Validates the insights parameters exactly once, for sync reads and async runs alike. */
export function parseInsightsQuery(call: Call, scope: Scope): InsightsQuery[] {
  const p = call.req.params;
  const world = call.core.world;
  const today = localDay(world.clock.nowUnix, scope.account.timezone);
  const fieldsRaw = parseFields(p.get('fields'));
  const fields = fieldsRaw ? fieldsRaw.map((f) => f.name) : ['impressions', 'spend'];
  // Any field AdsInsights lacks (breakdown names, removed metrics) fails the whole request, all named (facts §4.1, §4.4).
  const invalid = fields.filter((f) => !hasField(ADS_INSIGHTS, f, call.req.version) || isWithdrawnInsightsField(world, f));
  if (invalid.length) throw E.notValidForFields(invalid);
  checkEnumParams(insightsEdge(scope, call.req.method).params, (n) => p.get(n));
  const level = (p.get('level') ?? scope.level) as Level;
  if (LEVELS.indexOf(level) < LEVELS.indexOf(scope.level)) throw E.invalidParam(`level ${level} is not valid on a ${scope.level} node`);
  let ranges: Array<{ since: string; until: string }>;
  if (p.get('time_ranges') !== undefined) {
    let arr: unknown;
    try {
      arr = JSON.parse(p.get('time_ranges')!);
    } catch {
      throw E.invalidParam('time_ranges must be a JSON array');
    }
    if (!Array.isArray(arr) || arr.length === 0) throw E.invalidParam('time_ranges must be a non-empty JSON array');
    ranges = arr.map((r) => parseRange(JSON.stringify(r), 'time_ranges'));
  } else if (p.get('time_range') !== undefined) ranges = [parseRange(p.get('time_range')!, 'time_range')];
  else ranges = [preset(p.get('date_preset') ?? 'last_30d', today)];
  const oldest = plus(today, { months: -37 });
  for (const r of ranges) {
    if (r.since > r.until) throw E.invalidParam('time_range since must be before or equal to until');
    if (r.since < oldest) throw E.retention(); // facts §4.5
  }
  const ti = p.get('time_increment') ?? 'all_days';
  let timeIncrement: TimeIncrement;
  if (ti === 'monthly' || ti === 'all_days') timeIncrement = ti;
  else if (/^\d+$/.test(ti) && Number(ti) >= 1 && Number(ti) <= 90) timeIncrement = Number(ti);
  else throw E.invalidParam('time_increment must be an integer between 1 and 90, "monthly" or "all_days"');
  const breakdowns = parseList(p.get('breakdowns')) ?? [];
  if (breakdowns.some((b) => BREAKDOWN_NEEDS[b] !== undefined && !breakdowns.includes(BREAKDOWN_NEEDS[b]!))) {
    throw E.invalidParam(`Current combination of data breakdown columns (${[...(parseList(p.get('action_breakdowns')) ?? ['action_type']), ...breakdowns].join(', ')}) is invalid`);
  }
  const windows = parseList(p.get('action_attribution_windows'));
  const statusFilter: InsightsQuery['statusFilter'] = {};
  const idFilter: NonNullable<InsightsQuery['idFilter']> = {};
  for (const f of parseFiltering(p.get('filtering'))) {
    const vals = Array.isArray(f.value) ? f.value.map(String) : [String(f.value)];
    const m = /^(campaign|adset|ad)\.(effective_status|id)$/.exec(f.field);
    if (!m) continue; // metric filters (e.g. ad.impressions GREATER_THAN 0) change nothing: empty rows are absent anyway
    if (m[2] === 'id') {
      if (f.operator !== 'IN' && f.operator !== 'EQUAL') throw E.invalidParam(`Operator ${f.operator} is not supported for field ${f.field}`);
      idFilter[m[1] as 'ad'] = new Set(vals);
    } else statusFilter[m[1] as 'ad'] = new Set(vals);
  }
  const actionBreakdowns = (parseList(p.get('action_breakdowns')) ?? []).filter((b) => b !== 'action_type');
  return ranges.map((r) => ({ account: scope.account, scope: { level: scope.level, id: scope.id }, level, since: r.since, until: r.until, timeIncrement, breakdowns, windows, fields, statusFilter, idFilter, actionBreakdowns }));
}

function signature(q: InsightsQuery, nowUnix: number): string {
  const sets = (m: Partial<Record<string, Set<string>>> | undefined) => Object.entries(m ?? {}).map(([k, v]) => [k, [...(v ?? [])].sort()]);
  return JSON.stringify([q.account.accountId, q.scope, q.level, q.since, q.until, q.timeIncrement, q.breakdowns, q.windows, q.fields, sets(q.statusFilter), sets(q.idFilter), q.actionBreakdowns, nowUnix]);
}

const CACHE_ROWS = 300_000;

/** Rows of a query at a clock, from the LRU cache shared by sync reads and report-run results. */
export function rowsFor(call: Call, qs: InsightsQuery[], nowUnix: number): InsightsRow[] {
  const cache = call.core.insightsCache;
  const key = qs.map((q) => signature(q, nowUnix)).join('|');
  let rows = cache.get(key);
  if (rows) {
    cache.delete(key); // most recently used goes last
    cache.set(key, rows);
    return rows;
  }
  rows = qs.flatMap((q) => computeInsights(call.core.world, q, { nowUnix }));
  cache.set(key, rows);
  // Bounded memory: a handful of result sets, at most ~CACHE_ROWS rows in all.
  let total = 0;
  for (const r of cache.values()) total += r.length;
  while (cache.size > 1 && (cache.size > 16 || total > CACHE_ROWS)) {
    const oldest = cache.keys().next().value!;
    total -= cache.get(oldest)!.length;
    cache.delete(oldest);
  }
  return rows;
}

/** GET /{node}/insights — synchronous read, paged with short cursors. */
/** Synchronous reads above this many (ad × day × bucket) cells fail like the real data-per-call limit. */
export const SYNC_CELL_LIMIT = 400_000;

export function syncInsights(call: Call, scope: Scope): Record<string, unknown> {
  const qs = parseInsightsQuery(call, scope);
  if (qs.reduce((n, q) => n + estimateCells(call.core.world, q), 0) > SYNC_CELL_LIMIT) throw E.dataPerCall(); // facts §4.1: use async
  const rows = rowsFor(call, qs, call.core.world.clock.nowUnix);
  const page = paginate(call.req, rows, 'insights');
  return page.body(page.items);
}

/** POST /{node}/insights — creates an AdReportRun (facts §5.1 step 1). */
export function createReportRun(call: Call, scope: Scope): Record<string, unknown> {
  const qs = parseInsightsQuery(call, scope);
  const core = call.core;
  const fault = core.faults.match({ method: call.req.method, path: call.req.path, tokenLabel: call.tokenLabel, accountId: scope.account.accountId }, JOB_KINDS, 'job');
  const run = core.runs.create({
    accountId: scope.account.accountId,
    tokenLabel: call.tokenLabel ?? '',
    query: qs[0]!,
    queries: qs,
    nowUnix: core.world.clock.nowUnix,
    createdAtMs: core.nowMs(),
    fault,
  });
  core.stats.jobsCreated++;
  bump(core.stats.byEndpoint, 'jobs:created');
  return { report_run_id: run.id };
}

/** GET /{report_run_id} (facts §5.1 step 2). */
export function reportRunNode(call: Call, run: ReportRun): Record<string, unknown> {
  const core = call.core;
  const st = core.runs.state(run, core.nowMs(), true);
  const failed = st.status === 'Job Failed';
  const values: Record<string, unknown> = {
    id: run.id,
    account_id: run.accountId,
    time_ref: run.nowUnix,
    time_completed: st.status === 'Job Completed' ? core.runs.completedAtUnix(run) : undefined,
    async_status: st.status,
    async_percent_completion: st.percent,
    date_start: run.query.since,
    date_stop: run.query.until,
    is_running: !(st.status === 'Job Completed' || failed),
    // v25 error fields of a failed run (facts §5.1): the fault's documented failure, -2/2490547 by default.
    ...(failed ? asyncFailure(run.fault?.code, run.fault?.subcode) : {}),
  };
  return project(REPORT_RUN, values, parseFields(call.req.params.get('fields')), call.req.version);
}

/** GET /{report_run_id}/insights (facts §5.1 step 4); before completion → 2601/1815107. */
export function reportRunResults(call: Call, run: ReportRun): Record<string, unknown> {
  const core = call.core;
  const st = core.runs.state(run, core.nowMs(), false);
  if (!st.readable) throw E.reportNotReady();
  // A field withdrawn after the run was created: Meta refuses the result read as it would the creation.
  const gone = run.query.fields.filter((f) => isWithdrawnInsightsField(core.world, f));
  if (gone.length) throw E.notValidForFields(gone);
  // Results are a pure function of the run's queries and clock: recomputed if evicted, never stored per run.
  const rows = rowsFor(call, run.queries, run.nowUnix);
  const page = paginate(call.req, rows, 'insights');
  return page.body(page.items);
}
