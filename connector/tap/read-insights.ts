// Reads one insights report of one ad account as daily rows through async report runs. The range is
// planned in the account's time zone (bookmark − lookback, clamped to start_date and 37-month retention);
// it is cut into jobs of insights_max_days_per_job run concurrently. A job that fails or stalls is
// retried once, then split (campaigns → ad sets → halves of the range) until it succeeds or a single
// object-day fails, which is reported, never skipped. Runs Meta failed with a code are answered by it:
// throttled → wait and re-run unsplit; invalid report → fail the report at once; one object refused
// (100/2446289 on a campaign/ad set node) → skip that object with a warning.
import type { LimitFunction } from 'p-limit';
import { addDays, addMonths, dayInZone, maxDay, minDay, splitRange } from '../core/dates.js';
import { ConnectorError, asConnectorError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { ObjectSkipError, ReduceDataError } from '../graph/errors.js';
import { JobFailedError, readReportRun, startReportRun, waitForReportRun, type ReportRunSpec, type ReportRunTiming } from '../graph/report-run.js';
import type { Bookmark } from '../singer/state.js';
import type { JsonSchema } from '../singer/messages.js';
import type { AccountInfo } from './assets.js';
import type { TapConfig } from './config.js';
import type { GraphPort } from './graph-port.js';
import { attributionSettings, withAttributionOf } from './attribution.js';
import { asksReach, chunksAtReachCutoff, REACH_BREAKDOWN_MONTHS, REACH_FIELDS } from './breakdown-rules.js';
import { insightsKey, insightsRequestFields, LEVEL_ID, type InsightsReport } from './insights.js';
import { shapeRecord, shaperFor } from './records.js';
import { ENTITY_STREAMS } from './streams.js';

/** Insights keep 37 months of history; asking earlier fails with #3018 (facts §4.5). */
export const INSIGHTS_RETENTION_MONTHS = 37;
/** Daily rows: date_start = date_stop (issue 6). Stored in state so a bookmark keeps its meaning. */
export const TIME_INCREMENT = 1;
const statusesOf = (stream: string): string[] => ENTITY_STREAMS.find((e) => e.name === stream)!.allStatuses;
/** Every ad status, sent with include_deleted so deleted/archived ads still count (facts §3.5; airbyte#36998). */
const INSIGHTS_AD_STATUSES = statusesOf('ads');

export interface InsightsReadContext {
  graph: GraphPort;
  log: Logger;
  config: TapConfig;
  /** Bounds report runs in flight across all accounts. */
  jobLimit: LimitFunction;
  clock: () => Date;
  sleep: (ms: number) => Promise<void>;
  emit: (record: Record<string, unknown>) => Promise<void>;
}

export interface InsightsPlan {
  since: string;
  until: string;
  today: string;
  /** Why the previous bookmark was not used (parameters changed), for the log and sync_log. */
  resetReason?: string;
  clampedToRetention: boolean;
}

export interface InsightsReadResult {
  found: number;
  /** Rows for days after the previous bookmark (the rest were lookback re-reads). */
  fresh: number;
  jobs: number;
  splits: number;
  /** Object-days that could not be read even at the smallest split: the account's report failed. */
  failures: ConnectorError[];
  bookmark: Bookmark | undefined;
  plan: InsightsPlan | undefined;
}

/** The parameters that give an insights bookmark its meaning (design §3 "State"). */
export function bookmarkParams(config: TapConfig, report: InsightsReport): Record<string, unknown> {
  return {
    attribution_windows: [...config.action_attribution_windows],
    ...attributionSettings(config),
    action_breakdowns: [...(report.actionBreakdowns ?? config.action_breakdowns)],
    time_increment: TIME_INCREMENT,
  };
}

function sameParams(previous: Bookmark, wanted: Record<string, unknown>): string | undefined {
  for (const [k, v] of Object.entries(wanted)) {
    const a = JSON.stringify(Array.isArray(previous[k]) ? [...(previous[k] as unknown[])].map(String).sort() : previous[k]);
    const b = JSON.stringify(Array.isArray(v) ? [...v].map(String).sort() : v);
    if (a !== b) return `${k} changed from ${previous[k] === undefined ? 'unset' : JSON.stringify(previous[k])} to ${JSON.stringify(v)}`;
  }
  return undefined;
}

/** Which days to read this run for one account (all days are in the account's time zone). */
export function planRange(config: TapConfig, account: Pick<AccountInfo, 'timezone'>, report: InsightsReport, previous: Bookmark | undefined, now: Date): InsightsPlan | undefined {
  const today = dayInZone(now, account.timezone);
  const until = config.end_date ? minDay(config.end_date, today) : today;
  const retentionStart = addDays(addMonths(today, -INSIGHTS_RETENTION_MONTHS), 1);
  const start = config.last_days ? addDays(today, -(config.last_days - 1)) : (config.start_date ?? retentionStart);
  let since = start;
  let resetReason: string | undefined;
  const last = typeof previous?.['date_start'] === 'string' ? previous['date_start'] : undefined;
  if (previous && last) {
    resetReason = sameParams(withAttributionOf(previous), bookmarkParams(config, report));
    if (!resetReason) since = maxDay(start, minDay(addDays(last, 1), addDays(today, -config.insights_lookback_days)));
  }
  let clampedToRetention = false;
  if (since < retentionStart) {
    since = retentionStart;
    clampedToRetention = true;
  }
  if (since > until) return undefined;
  return { since, until, today, clampedToRetention, ...(resetReason ? { resetReason } : {}) };
}

interface Scope {
  since: string;
  until: string;
  /** The campaign / ad set a split job is limited to (the job runs on that node). */
  filter?: { entity: 'campaign' | 'adset'; ids: string[] };
  /** How far splitting went: a scope splits into the next finer one. */
  depth: 'account' | 'campaign' | 'adset';
  label: string;
}

const LEVEL_RANK = { account: 0, campaign: 1, adset: 2, ad: 3 } as const;

export async function readInsightsReport(
  ctx: InsightsReadContext,
  account: AccountInfo,
  report: InsightsReport,
  schema: JsonSchema,
  selected: readonly string[],
  previous: Bookmark | undefined,
): Promise<InsightsReadResult> {
  const { config, log } = ctx;
  const result: InsightsReadResult = { found: 0, fresh: 0, jobs: 0, splits: 0, failures: [], bookmark: previous, plan: undefined };
  const plan = planRange(config, account, report, previous, ctx.clock());
  result.plan = plan;
  if (!plan) return result;
  const alog = log.child({ account_id: account.accountId, stream: report.name });
  if (plan.resetReason) alog.warn(`re-reading insights from ${plan.since} because ${plan.resetReason}; rows under different parameters must not mix`, { since: plan.since });
  if (plan.clampedToRetention) alog.warn(`insights start clamped to ${plan.since}: Meta keeps ${INSIGHTS_RETENTION_MONTHS} months of history`, { hint: 'Move config.start_date forward to silence this.' });

  const key = insightsKey(report.level, report.breakdowns);
  const lastDay = plan.resetReason ? undefined : typeof previous?.['date_start'] === 'string' ? previous['date_start'] : undefined;
  const windows = [...config.action_attribution_windows];
  const attribution = attributionSettings(config);
  const actionBreakdowns = report.actionBreakdowns ?? config.action_breakdowns;
  const fields = [...new Set([...insightsRequestFields(report, selected), LEVEL_ID[report.level], 'account_id', 'account_currency'])];
  const shaper = shaperFor(schema, selected);
  const pollMs = Math.max(1, config.insights_poll_interval_seconds * 1000);
  const timing: ReportRunTiming = {
    pollMs,
    maxPollMs: Math.max(pollMs, Math.min(30_000, pollMs * 12)),
    stallMs: config.insights_job_stall_seconds * 1000,
    timeoutMs: config.insights_job_timeout_seconds * 1000,
    now: () => ctx.clock().getTime(),
    sleep: ctx.sleep,
  };

  const baseParams = (scope: Scope): Record<string, unknown> => {
    const filtering: Array<Record<string, unknown>> = [];
    if (config.include_deleted) filtering.push({ field: 'ad.effective_status', operator: 'IN', value: INSIGHTS_AD_STATUSES });
    return {
      level: report.level,
      fields: asksReach(report.breakdowns, scope.since, plan.today) ? fields : fields.filter((f) => !REACH_FIELDS.includes(f)),
      time_increment: TIME_INCREMENT,
      time_range: { since: scope.since, until: scope.until },
      action_attribution_windows: windows,
      ...attribution,
      action_breakdowns: actionBreakdowns,
      ...(report.breakdowns.length ? { breakdowns: report.breakdowns } : {}),
      ...(filtering.length ? { filtering } : {}),
    };
  };

  const rowKey = (r: Record<string, unknown>): string => key.map((k) => String(r[k] ?? '')).join('\u0001');

  /** One report run; rows whose key an abandoned ancestor already emitted are skipped (exactly once). */
  const runJob = (scope: Scope, skip: ReadonlySet<string>, emitted: Set<string>): Promise<void> =>
    ctx.jobLimit(async () => {
      result.jobs++;
      // A split job runs on the campaign/ad set node itself (facts §5.1: runs can be created on any
      // level's node); its rows keep the report's level, so the grain and keys do not change.
      const node = scope.filter ? scope.filter.ids[0]! : `act_${account.accountId}`;
      const spec: ReportRunSpec = { node, params: baseParams(scope), tokens: account.tokens, accountId: account.accountId, label: scope.label, apiVersion: config.api_version };
      const id = await startReportRun(ctx.graph, spec);
      await waitForReportRun(ctx.graph, id, spec, timing);
      for await (const raw of readReportRun<Record<string, unknown>>(ctx.graph, id, spec, config.page_size)) {
        const extra: Record<string, unknown> = { attribution_windows: windows, ...attribution };
        if (raw['account_currency'] === undefined || raw['account_currency'] === null) extra['account_currency'] = account.currency;
        if (raw['account_id'] === undefined) extra['account_id'] = account.accountId;
        for (const b of report.breakdowns) if (raw[b] === undefined || raw[b] === null) extra[b] = '';
        const record = shapeRecord(raw, shaper, { extractedAt: ctx.clock(), extra });
        if (record['date_start'] === null && typeof raw['date_start'] === 'string') record['date_start'] = raw['date_start'];
        const k = rowKey(record);
        if (skip.has(k) || emitted.has(k)) continue;
        emitted.add(k);
        result.found++;
        if (!lastDay || String(record['date_start']) > lastDay) result.fresh++;
        await ctx.emit(record);
      }
    });

  const listChildren = async (scope: Scope): Promise<Scope[] | undefined> => {
    const next = scope.depth === 'account' ? 'campaign' : scope.depth === 'campaign' ? 'adset' : undefined;
    if (!next || LEVEL_RANK[report.level] < LEVEL_RANK[next]) return undefined;
    const path = next === 'campaign' ? `act_${account.accountId}/campaigns` : `${scope.filter!.ids[0]}/adsets`;
    const params: Record<string, unknown> = { fields: ['id'] };
    if (config.include_deleted) params['effective_status'] = statusesOf(next === 'campaign' ? 'campaigns' : 'ad_sets');
    const ids: string[] = [];
    for await (const row of ctx.graph.paginate<{ id?: string }>(path, { params, tokens: account.tokens, accountId: account.accountId })) if (typeof row.id === 'string') ids.push(row.id);
    if (ids.length === 0) return undefined;
    return ids.map((id) => ({ since: scope.since, until: scope.until, filter: { entity: next, ids: [id] }, depth: next, label: `${report.name} ${next} ${id} ${scope.since}..${scope.until}` }));
  };

  const halves = (scope: Scope): Scope[] | undefined => {
    if (scope.since === scope.until) return undefined;
    const days = splitRange(scope.since, scope.until, 1).length;
    const mid = addDays(scope.since, Math.ceil(days / 2) - 1);
    const mk = (since: string, until: string): Scope => ({ ...scope, since, until, label: `${scope.label.replace(/ \S+\.\.\S+$/, '')} ${since}..${until}` });
    return [mk(scope.since, mid), mk(addDays(mid, 1), scope.until)];
  };

  /** Set once the report cannot succeed (Meta rejects its definition): queued jobs do not start. */
  let stopped = false;

  const runScope = async (scope: Scope, skip: ReadonlySet<string>): Promise<void> => {
    let lastError: unknown;
    const emitted = new Set<string>();
    let throttles = 0;
    for (let attempt = 0; attempt < 2; attempt++) {
      if (stopped) return;
      try {
        await runJob(scope, new Set([...skip, ...emitted]), emitted);
        return;
      } catch (err) {
        lastError = err;
        const e = asConnectorError(err);
        if (err instanceof JobFailedError && e.kind === 'config') {
          // Invalid breakdowns/metrics (2/1504041, 2/1504042): every slice would fail the same way.
          stopped = true;
          const failure = new ConnectorError('config', `insights ${report.name} for account ${account.accountId}: Meta rejects the report definition: ${e.message}`, {
            ...(e.hint ? { hint: e.hint } : {}),
            context: { ...e.context, account_id: account.accountId, stream: report.name },
          });
          alog.failure(failure);
          result.failures.push(failure);
          return;
        }
        if (err instanceof JobFailedError && e.kind === 'throttled') {
          // App/account throttled the run (4/1504022, 4/1504039): wait and re-run it as is; splitting
          // would only spend more of the budget that ran out.
          throttles++;
          if (throttles > config.max_retries) {
            result.failures.push(e);
            alog.failure(e);
            return;
          }
          const waitMs = ctx.graph.holdAfterThrottle(err.scope, throttles, account.accountId);
          alog.warn(`insights job ${scope.label} was throttled by Meta; re-running it in ${Math.round(waitMs)} ms (${throttles}/${config.max_retries})`, { error_kind: e.kind, wait_ms: Math.round(waitMs), ...e.context });
          attempt--;
          continue;
        }
        if (err instanceof ObjectSkipError && scope.filter) {
          alog.warn(`insights ${report.name}: ${scope.filter.entity} ${scope.filter.ids[0]} of account ${account.accountId} cannot be read and is skipped: ${e.message}`, { error_kind: e.kind, ...(e.hint ? { hint: e.hint } : {}), ...e.context });
          return;
        }
        // Permission/auth/config problems do not get better by splitting: the account fails.
        if (e.kind === 'auth' || e.kind === 'permission' || e.kind === 'config') throw err;
        alog.warn(`insights job ${scope.label} failed (attempt ${attempt + 1}): ${e.message}`, { error_kind: e.kind, ...e.context });
        if (err instanceof ReduceDataError) {
          alog.info(`Meta asked for less data: splitting insights job ${scope.label} by level and days instead of retrying it`, { since: scope.since, until: scope.until, depth: scope.depth });
          break;
        }
      }
    }
    if (stopped) return;
    const inherited = new Set([...skip, ...emitted]);
    let children: Scope[] | undefined;
    try {
      children = (await listChildren(scope)) ?? halves(scope);
    } catch (err) {
      const e = asConnectorError(err);
      if (e.kind === 'auth' || e.kind === 'permission' || e.kind === 'config') throw err;
      children = halves(scope);
    }
    if (!children) {
      const e = asConnectorError(lastError);
      const failure = new ConnectorError(e.kind === 'unexpected' ? 'transient' : e.kind, `insights ${report.name} for account ${account.accountId}: ${scope.label} could not be read even as a single object-day: ${e.message}`, {
        hint: 'Meta could not build this slice; re-run later (the bookmark did not move, so it will be retried). If it persists, deselect fields or breakdowns of this report.',
        context: { ...e.context, account_id: account.accountId, stream: report.name, since: scope.since, until: scope.until, ...(scope.filter ? { [`${scope.filter.entity}_id`]: scope.filter.ids[0] } : {}) },
      });
      alog.failure(failure);
      result.failures.push(failure);
      return;
    }
    result.splits++;
    alog.info(`splitting insights job ${scope.label} into ${children.length} jobs`, { children: children.length });
    await Promise.all(children.map((c) => runScope(c, inherited)));
  };

  const chunks = chunksAtReachCutoff(report.breakdowns, plan.since, plan.until, plan.today, config.insights_max_days_per_job);
  const noReach = chunks.filter((c) => !asksReach(report.breakdowns, c.since, plan.today));
  if (noReach.length && fields.some((f) => REACH_FIELDS.includes(f))) {
    alog.info(`insights ${report.name}: ${REACH_FIELDS.join(', ')} not asked for ${noReach[0]!.since}..${noReach.at(-1)!.until}; Meta omits them for breakdown queries older than ${REACH_BREAKDOWN_MONTHS} months (those rows keep them null)`, { since: noReach[0]!.since, until: noReach.at(-1)!.until });
  }
  alog.progress('insights', { since: plan.since, until: plan.until, jobs: chunks.length });
  await Promise.all(chunks.map((c) => runScope({ since: c.since, until: c.until, depth: 'account', label: `${report.name} act_${account.accountId} ${c.since}..${c.until}` }, new Set())));
  if (result.failures.length === 0) result.bookmark = { date_start: plan.until, ...bookmarkParams(config, report) };
  return result;
}
