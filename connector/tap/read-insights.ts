// Reads one insights report of one ad account as daily rows through async report runs. The range is
// planned in the account's time zone (bookmark − lookback, clamped to start_date and 37-month retention)
// and cut into jobs of insights_max_days_per_job (insights-job.ts), run by a scheduler with a bounded
// number in flight. Each job is driven to its end by one decision table (settle/answer below); the work
// a failing account can cause is bounded: one restart per job, splits only into children that delivered,
// a failed-run margin per report, no retry of a throttle that outlived its waits, and the account's
// call cap (graph/call-budget.ts).
import type { LimitFunction } from 'p-limit';
import { addDays, addMonths, dayInZone, maxDay, minDay } from '../core/dates.js';
import { ConfigError, ConnectorError, DataError, ThrottledError, asConnectorError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { ObjectSkipError, PolicyBlockError, ReduceDataError } from '../graph/errors.js';
import { JobFailedError, JobQueuedError, type ReportRunTiming } from '../graph/report-run.js';
import { RunPoller } from '../graph/run-poller.js';
import type { Bookmark, TapState } from '../singer/state.js';
import type { JsonSchema } from '../singer/messages.js';
import type { AccountInfo } from './assets.js';
import type { TapConfig } from './config.js';
import type { GraphPort } from './graph-port.js';
import type { SkipObject } from './read-entities.js';
import { attributionSettings, withAttributionOf } from './attribution.js';
import { asksReach, chunksAtReachCutoff, REACH_BREAKDOWN_MONTHS, REACH_FIELDS } from './breakdown-rules.js';
import { InsightsJob, type InsightsJobEnv, type JobWindow } from './insights-job.js';
import { insightsKey, insightsRequestFields, LEVEL_ID, type InsightsLevel, type InsightsReport } from './insights.js';
import { JobScheduler } from './job-scheduler.js';
import { notOneDay, shapeRecord, shaperFor, type Shaper } from './records.js';
import { ENTITY_STREAMS } from './streams.js';
import type { WithdrawnFields } from './withdrawn-fields.js';

/** Insights keep 37 months of history; asking earlier fails with #3018 (facts §4.5). */
export const INSIGHTS_RETENTION_MONTHS = 37;
/** Daily rows: date_start = date_stop (issue 6). Stored in state so a bookmark keeps its meaning. */
export const TIME_INCREMENT = 1;
const statusesOf = (stream: string): string[] => ENTITY_STREAMS.find((e) => e.name === stream)!.allStatuses;
/** Every ad status, sent with include_deleted so deleted/archived ads still count (facts §3.5; airbyte#36998). */
const INSIGHTS_AD_STATUSES = statusesOf('ads');
/** The object a query at a level lists rows of, and every status it can have. */
const LEVEL_STATUSES: Partial<Record<InsightsLevel, { field: string; statuses: string[] }>> = {
  campaign: { field: 'campaign.effective_status', statuses: statusesOf('campaigns') },
  adset: { field: 'adset.effective_status', statuses: statusesOf('ad_sets') },
};

/**
 * The `filtering` that makes an insights query at `level` list the rows of ARCHIVED and DELETED
 * objects too (include_deleted). Graph leaves out the rows of a DELETED object of the query's own level
 * unless a filter on that level's effective_status asks for it (facts §3.5): `ad.effective_status`
 * alone keeps deleted ads' spend, but a deleted campaign's (or ad set's) rows were missing from
 * insights_campaign and insights_adset — the spend the cross-channel models read.
 */
export function statusFiltering(level: InsightsLevel, includeDeleted: boolean): Array<Record<string, unknown>> {
  if (!includeDeleted) return [];
  const own = LEVEL_STATUSES[level];
  return [{ field: 'ad.effective_status', operator: 'IN', value: INSIGHTS_AD_STATUSES }, ...(own ? [{ field: own.field, operator: 'IN', value: own.statuses }] : [])];
}

export interface InsightsReadContext {
  graph: GraphPort;
  log: Logger;
  config: TapConfig;
  /** Bounds report runs in flight across all accounts. */
  jobLimit: LimitFunction;
  clock: () => Date;
  sleep: (ms: number) => Promise<void>;
  emit: (record: Record<string, unknown>) => Promise<void>;
  skipObject?: SkipObject;
  /** Polls the account's report runs together (one per account, shared by its reports); absent = one per report read. */
  poller?: RunPoller;
  /** Fields Meta stopped serving this run (withdrawn-fields.ts): left out of every report run. */
  withdrawn?: WithdrawnFields;
}

export interface InsightsPlan {
  /** First day read: the backfill's first day when there is one. */
  since: string;
  until: string;
  today: string;
  /**
   * Days before the bookmark's first day that an earlier start_date adds, read in the same run as the
   * bookmark's own window (which then starts at `resumeFrom`); the days between were read by earlier runs.
   */
  backfill?: { since: string; until: string; resumeFrom: string };
  /** The first day every day up to the new bookmark is read from (FIRST_DAY); undefined when the old bookmark did not record it. */
  firstDay: string | undefined;
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
  /** Why the report failed for this account (a single object-day, too many failed runs, a rejected definition, a queue that never moved); empty = complete. */
  failures: ConnectorError[];
  bookmark: Bookmark | undefined;
  plan: InsightsPlan | undefined;
}

/** How report runs are polled and judged (report-run.ts), from the config. */
export function reportRunTiming(config: TapConfig, clock: () => Date, sleep: (ms: number) => Promise<void>): ReportRunTiming {
  const pollMs = Math.max(1, config.insights_poll_interval_seconds * 1000);
  return {
    pollMs,
    maxPollMs: Math.max(pollMs, Math.min(30_000, pollMs * 12)),
    stallMs: config.insights_job_stall_seconds * 1000,
    timeoutMs: config.insights_job_timeout_seconds * 1000,
    now: () => clock().getTime(),
    sleep,
  };
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

/**
 * The last day of an insights bookmark that was over (in the account's time zone) when it was read.
 * `date_start` is the last day read, possibly the account's "today" of that run, still in progress;
 * `last_complete_day` says which day was complete. A bookmark written before that field existed
 * claims nothing about its own day: it counts as complete up to the day before, so that day is read again.
 */
export function lastCompleteDay(previous: Bookmark | undefined): string | undefined {
  const complete = previous?.['last_complete_day'];
  if (typeof complete === 'string') return complete;
  const last = previous?.['date_start'];
  return typeof last === 'string' ? addDays(last, -1) : undefined;
}

/**
 * Bookmark key: the report's key columns when its rows were read (insightsKey: level id, day,
 * breakdowns). Not a parameter of the read (bookmarkParams) but of the table: see checkReportKeys.
 */
export const REPORT_KEY = 'key';

/**
 * Bookmark key: the first day of the account's report that is read (in its time zone), so the
 * bookmark says "every day from first_day to date_start is read". A start_date moved back before it
 * is then seen and its days read (planRange's backfill). A bookmark written before this key existed
 * has none: where it starts is unknown, and nothing is guessed (a guess could claim days never read).
 */
export const FIRST_DAY = 'first_day';

/** The bookmark a read of the plan's days writes: the last day read and the last of them that was over. */
function bookmarkAfter(config: TapConfig, report: InsightsReport, plan: InsightsPlan): Bookmark {
  return {
    date_start: plan.until,
    last_complete_day: minDay(plan.until, addDays(plan.today, -1)),
    ...(plan.firstDay !== undefined ? { [FIRST_DAY]: plan.firstDay } : {}),
    ...bookmarkParams(config, report),
    [REPORT_KEY]: insightsKey(report.level, report.breakdowns),
  };
}

/**
 * Refuses (before any call) a state whose report was read under another key: a custom report whose
 * level or breakdowns changed keeps its name, hence its table, whose rows of the old key the target
 * keeps while it adds the new ones beside them (campaign × country and campaign × age rows of one day:
 * spend counted twice). A bookmark written before REPORT_KEY existed cannot tell, and is let through.
 */
export function checkReportKeys(state: TapState, reports: readonly InsightsReport[]): void {
  const sorted = (k: readonly unknown[]): string => JSON.stringify(k.map(String).sort());
  for (const report of reports) {
    const key = insightsKey(report.level, report.breakdowns);
    for (const [account, bookmark] of Object.entries(state.bookmarks[report.name] ?? {})) {
      const was = bookmark[REPORT_KEY];
      if (!Array.isArray(was) || sorted(was) === sorted(key)) continue;
      throw new ConfigError(`state.bookmarks.${report.name}.${account} was read keyed by ${was.map(String).join(', ')}; the report is now keyed by ${key.join(', ')} (its level or breakdowns changed)`, {
        hint: `Its table holds rows of the old key, and rows of the new one would be added beside them (spend counted twice). Give the changed report a new name in config.insights_reports (a new table, read from start_date); or drop the table ${report.name} in the warehouse and delete bookmarks.${report.name} from the state to read it again.`,
        context: { stream: report.name, account_id: account, path: `state.bookmarks.${report.name}.${account}.${REPORT_KEY}` },
      });
    }
  }
}

/**
 * The first day the previous read saw still restating, when that read went up to its own "today"
 * (its last day read, `date_start`, after its last complete day; or a bookmark from before
 * last_complete_day). Meta settles a day `lookback` days after it (facts §4.5: frozen after 28 days),
 * so the days of that read younger than the lookback then may have changed since. With daily runs
 * this is today − lookback, the plain window; a weekly run re-reads six more days, a run 40 days late
 * 28 more. A read that stopped at end_date before its today does not say when it ran: undefined, so
 * today − lookback bounds the re-read as before and a past end_date is not read again for ever.
 */
function restatingFrom(previous: Bookmark, complete: string, lookbackDays: number): string | undefined {
  const lastRead = previous['date_start'];
  return typeof lastRead === 'string' && lastRead > complete ? addDays(lastRead, 1 - lookbackDays) : undefined;
}

/** Which days to read this run for one account (all days are in the account's time zone). */
export function planRange(config: TapConfig, account: Pick<AccountInfo, 'timezone'>, report: InsightsReport, previous: Bookmark | undefined, now: Date): InsightsPlan | undefined {
  const today = dayInZone(now, account.timezone);
  const until = config.end_date ? minDay(config.end_date, today) : today;
  const retentionStart = addDays(addMonths(today, -INSIGHTS_RETENTION_MONTHS), 1);
  const start = config.last_days ? addDays(today, -(config.last_days - 1)) : (config.start_date ?? retentionStart);
  let since = start;
  let resetReason: string | undefined;
  let resumed = false;
  const complete = lastCompleteDay(previous);
  if (previous && complete) {
    resetReason = sameParams(withAttributionOf(previous), bookmarkParams(config, report));
    // The lookback re-reads restated days; the day after the last complete one is read whatever the
    // gap since the previous run, so a day read while still in progress is always read again in full.
    // The window counts back from the previous read as well as from today: a day that read was still
    // restating (younger than the lookback on its today, the day after `complete`) is read again once
    // more, or a run more than a day after the previous one keeps that read's figures for good.
    if (!resetReason) {
      const restating = restatingFrom(previous, complete, config.insights_lookback_days);
      const from = minDay(addDays(complete, 1), addDays(today, -config.insights_lookback_days));
      since = maxDay(start, restating === undefined ? from : minDay(from, restating));
      resumed = true;
    }
  }
  let clampedToRetention = false;
  if (since < retentionStart) {
    since = retentionStart;
    clampedToRetention = true;
  }
  if (since > until) return undefined;
  if (!resumed) return { since, until, today, clampedToRetention, firstDay: since, ...(resetReason ? { resetReason } : {}) };
  const earliest = maxDay(start, retentionStart);
  const recorded = typeof previous?.[FIRST_DAY] === 'string' ? previous[FIRST_DAY] : undefined;
  // A window reaching back to the earliest day it may read starts the bookmark there, recorded or not.
  const firstDay = recorded !== undefined ? minDay(recorded, since) : !config.last_days && since === earliest ? since : undefined;
  // A --days run reads its last days only: a start_date moved back is left to the next full run.
  if (config.last_days || firstDay === undefined || earliest >= firstDay) return { since, until, today, clampedToRetention, firstDay };
  return {
    since: earliest,
    until,
    today,
    clampedToRetention: clampedToRetention || start < retentionStart,
    firstDay: earliest,
    backfill: { since: earliest, until: addDays(firstDay, -1), resumeFrom: since },
  };
}

/** Runs a failed or stalled job gets before it is split: the first and one restart (as Airbyte does). */
export const JOB_ATTEMPTS = 2;
/**
 * A report read gives up on an account once its failed runs outnumber its completed ones by this
 * many: failures that smaller jobs do not cure are not about size, and every further split would only
 * spend the account's budget (issue 18 measured 1,914–6,452 calls for one failing account against
 * 117 for a healthy one when every campaign and ad set ever created got its own jobs).
 */
export const FAILED_RUN_MARGIN = 6;

/** Errors no smaller or later job can cure within this run: they end the account's report read. */
const ENDS_THE_READ: ReadonlySet<ConnectorError['kind']> = new Set(['auth', 'permission', 'config', 'throttled', 'unexpected']);
/** A policy block (368) is a passing failure (exit 7) that no restart or split cures either. */
const endsTheRead = (err: unknown, e: ConnectorError): boolean => ENDS_THE_READ.has(e.kind) || err instanceof PolicyBlockError;

export async function readInsightsReport(ctx: InsightsReadContext, account: AccountInfo, report: InsightsReport, schema: JsonSchema, selected: readonly string[], previous: Bookmark | undefined): Promise<InsightsReadResult> {
  const result: InsightsReadResult = { found: 0, fresh: 0, jobs: 0, splits: 0, failures: [], bookmark: previous, plan: undefined };
  const plan = planRange(ctx.config, account, report, previous, ctx.clock());
  result.plan = plan;
  if (!plan) return result;
  await new ReportRead(ctx, account, report, shaperFor(schema, selected), selected, plan, previous, result).run();
  if (result.failures.length === 0 && coversUpToBookmark(ctx.config, plan, previous)) result.bookmark = bookmarkAfter(ctx.config, report, plan);
  return result;
}

/**
 * A bookmark says "every day from start_date to here is read". A --days run reads only its last N
 * days: it may move the bookmark only when those days join the previous bookmark. Otherwise (a
 * first run with --days, or a bookmark older than the window) the next run would start from the
 * lookback and the days between start_date and the window would never be read, without a word.
 */
function coversUpToBookmark(config: TapConfig, plan: InsightsPlan, previous: Bookmark | undefined): boolean {
  if (!config.last_days) return true;
  const complete = lastCompleteDay(previous);
  return complete !== undefined && !plan.resetReason && addDays(complete, 1) >= plan.since;
}

/** One report of one account being read: its jobs, the scheduler running them and the answer to each failure. */
class ReportRead {
  private readonly log: Logger;
  private readonly scheduler: JobScheduler<InsightsJob>;
  private readonly env: InsightsJobEnv;
  private readonly key: string[];
  /** What the report asks Meta for (fields and breakdowns): a withdrawn one among them is dropped, or ends the read if it is a key. */
  private readonly requested: string[];
  private readonly asksReachFields: boolean;
  /** Days after this one are fresh (the rest are lookback re-reads). */
  private readonly lastDay: string | undefined;
  /** So are the backfilled days, up to this one: before the bookmark's first day, never read. */
  private readonly backfillUntil: string | undefined;
  private failedRuns = 0;
  private completedRuns = 0;

  constructor(
    private readonly ctx: InsightsReadContext,
    private readonly account: AccountInfo,
    private readonly report: InsightsReport,
    private readonly shaper: Shaper,
    selected: readonly string[],
    private readonly plan: InsightsPlan,
    previous: Bookmark | undefined,
    private readonly result: InsightsReadResult,
  ) {
    const { config } = ctx;
    this.log = ctx.log.child({ account_id: account.accountId, stream: report.name });
    this.scheduler = new JobScheduler<InsightsJob>(ctx.jobLimit);
    this.key = insightsKey(report.level, report.breakdowns);
    // Also after a reset (other parameters): the days up to the bookmark were loaded before, and their
    // rows come back under the same keys, replacing those: re-reads, not new rows.
    this.lastDay = typeof previous?.['date_start'] === 'string' ? previous['date_start'] : undefined;
    this.backfillUntil = plan.backfill?.until;
    const fields = [...new Set([...insightsRequestFields(report, selected), LEVEL_ID[report.level], 'account_id', 'account_currency'])];
    this.asksReachFields = fields.some((f) => REACH_FIELDS.includes(f));
    const timing = reportRunTiming(config, ctx.clock, ctx.sleep);
    this.requested = [...fields, ...report.breakdowns];
    const served = (f: readonly string[]): string[] => (ctx.withdrawn ? ctx.withdrawn.keep(report.name, f) : [...f]);
    const filtering = statusFiltering(report.level, config.include_deleted);
    const withoutReach = fields.filter((f) => !REACH_FIELDS.includes(f));
    this.env = {
      graph: ctx.graph,
      accountId: account.accountId,
      tokens: account.tokens,
      reportName: report.name,
      reportLevel: report.level,
      apiVersion: config.api_version,
      pageSize: config.page_size,
      timing,
      signal: this.scheduler.signal,
      poller: ctx.poller ?? new RunPoller(ctx.graph, timing),
      // A job on a campaign/ad set/ad node keeps the report's level, so the grain and keys never change.
      statusFiltering: (level) => statusFiltering(level, config.include_deleted),
      runParams: (w: JobWindow) => ({
        level: report.level,
        fields: served(asksReach(report.breakdowns, w.since, plan.today) ? fields : withoutReach),
        time_increment: TIME_INCREMENT,
        time_range: { since: w.since, until: w.until },
        action_attribution_windows: [...config.action_attribution_windows],
        ...attributionSettings(config),
        action_breakdowns: report.actionBreakdowns ?? config.action_breakdowns,
        ...(report.breakdowns.length ? { breakdowns: report.breakdowns } : {}),
        ...(filtering.length ? { filtering } : {}),
      }),
    };
  }

  async run(): Promise<void> {
    const { plan, log } = this;
    if (plan.resetReason) {
      // From start_date only: days an earlier run read before it (an earlier start_date) stay as they were.
      const before = this.ctx.config.last_days ? '' : `; days before ${plan.since} that earlier runs loaded keep the earlier settings (each row records its own): move start_date back to their first day to read them again`;
      log.warn(`re-reading insights from ${plan.since} because ${plan.resetReason}; rows under different parameters must not mix${before}`, { since: plan.since });
    }
    if (plan.clampedToRetention) log.warn(`insights start clamped to ${plan.since}: Meta keeps ${INSIGHTS_RETENTION_MONTHS} months of history`, { hint: 'Move config.start_date forward to silence this.' });
    if (plan.backfill) {
      log.info(`reading insights from ${plan.backfill.since} to ${plan.backfill.until} too: config.start_date is before the first day this bookmark covered (${addDays(plan.backfill.until, 1)}); the bookmark keeps its place and now covers from ${plan.backfill.since}`, {
        since: plan.backfill.since,
        until: plan.backfill.until,
      });
    }
    const { breakdowns } = this.report;
    const size = this.ctx.config.insights_max_days_per_job;
    const windows = plan.backfill ? [plan.backfill, { since: plan.backfill.resumeFrom, until: plan.until }] : [plan];
    const chunks = windows.flatMap((w) => chunksAtReachCutoff(breakdowns, w.since, w.until, plan.today, size));
    const noReach = chunks.filter((c) => !asksReach(breakdowns, c.since, plan.today));
    if (noReach.length && this.asksReachFields) {
      log.info(`insights ${this.report.name}: ${REACH_FIELDS.join(', ')} not asked for ${noReach[0]!.since}..${noReach.at(-1)!.until}; Meta omits them for breakdown queries older than ${REACH_BREAKDOWN_MONTHS} months (those rows keep them null)`, {
        since: noReach[0]!.since,
        until: noReach.at(-1)!.until,
      });
    }
    log.progress('insights', { since: plan.since, until: plan.until, jobs: chunks.length });
    const jobs = chunks.map((w) => new InsightsJob(this.env, `act_${this.account.accountId}`, 'account', w));
    await this.scheduler.run(jobs, (job) => this.settle(job));
  }

  /** Drives one job to its end: run, wait, read; on failure the answer says restart or which jobs replace it. */
  private async settle(job: InsightsJob): Promise<InsightsJob[]> {
    for (;;) {
      try {
        this.result.jobs++;
        await (job.started ? job.restart() : job.start());
        await job.wait();
        await this.emitRows(job);
        this.completedRuns++;
        return [];
      } catch (err) {
        const next = await this.answer(job, err);
        if (next !== 'restart') return next;
      }
    }
  }

  /** The decision table for a job that did not complete. Throwing ends the read (and fails the account). */
  private async answer(job: InsightsJob, err: unknown): Promise<'restart' | InsightsJob[]> {
    if (this.scheduler.stopped) return [];
    const e = asConnectorError(err);
    // Meta refused a field it no longer serves, at the run's creation or its results read: the field is
    // left out for the rest of the run (a key or breakdown throws a ConfigError naming it) and the job
    // runs again without it. Not a failed attempt: the new run is the first one that can succeed.
    if (this.ctx.withdrawn?.absorb(err, this.report.name, this.requested, [...this.key, ...this.report.breakdowns])) {
      job.discardRun();
      return 'restart';
    }
    // Invalid breakdowns/metrics (2/1504041, 2/1504042): every slice would fail the same way.
    if (err instanceof JobFailedError && e.kind === 'config') return this.fail(this.failure(e, `Meta rejects the report definition: ${e.message}`), true);
    // The run failed for a rate limit (4/1504022, 4/1504039): wait and re-run it as is; smaller jobs would only spend more of the budget that ran out.
    if (err instanceof JobFailedError && e.kind === 'throttled') return this.waitOutThrottle(job, err);
    if (err instanceof ObjectSkipError && job.onObject) {
      this.log.warn(`insights ${this.report.name}: ${job.nodeLevel} ${job.node} of account ${this.account.accountId} cannot be read and is skipped: ${e.message}`, { error_kind: e.kind, ...(e.hint ? { hint: e.hint } : {}), ...e.context });
      this.ctx.skipObject?.(`${job.nodeLevel} ${job.node} (${this.report.name})`, e);
      return [];
    }
    // A throttle that outlived the client's waits, the account's call cap, a dead token, a bug: no smaller job helps.
    if (endsTheRead(err, e)) throw err;
    // Still queued at Meta when the timeout came: more (smaller) runs would only queue behind it.
    if (err instanceof JobQueuedError) return this.fail(this.failure(e, e.message), true);
    this.failedRuns++;
    this.log.warn(`insights job ${job.label} failed (attempt ${job.attempts}): ${e.message}`, { error_kind: e.kind, ...e.context });
    if (this.failedRuns > this.completedRuns + FAILED_RUN_MARGIN) {
      const why = `${this.failedRuns} report runs failed and ${this.completedRuns} completed, so smaller jobs do not help; stopped splitting (last: ${e.message})`;
      return this.fail(this.failure(e, why, 'Meta could not build this report now; re-run later (the bookmark did not move, so these days are read again). If it persists, deselect fields or breakdowns of this report or lower insights_max_days_per_job.'), true);
    }
    if (err instanceof ReduceDataError) {
      this.log.info(`Meta asked for less data: splitting insights job ${job.label} instead of retrying it`, { since: job.window.since, until: job.window.until, node_level: job.nodeLevel });
      return this.split(job, e);
    }
    return job.attempts < JOB_ATTEMPTS ? 'restart' : this.split(job, e);
  }

  private waitOutThrottle(job: InsightsJob, err: JobFailedError): 'restart' {
    const { config } = this.ctx;
    job.throttles++;
    if (job.throttles > config.max_retries) {
      throw new ThrottledError(`insights ${this.report.name} for account ${this.account.accountId}: Meta still fails its report runs for the rate limit after ${config.max_retries} waits: ${err.message}`, {
        ...(err.hint ? { hint: err.hint } : {}),
        context: { ...err.context, stream: this.report.name },
      });
    }
    const waitMs = this.ctx.graph.holdAfterThrottle(err.scope, job.throttles, this.account.accountId);
    this.log.warn(`insights job ${job.label} was throttled by Meta; re-running it in ${Math.round(waitMs)} ms (${job.throttles}/${config.max_retries})`, { error_kind: err.kind, wait_ms: Math.round(waitMs), ...err.context });
    return 'restart';
  }

  /** Jobs for the children that delivered (or the halves of the window); a single object-day that still fails is reported. */
  private async split(job: InsightsJob, cause: ConnectorError): Promise<InsightsJob[]> {
    let children: InsightsJob[] | undefined;
    try {
      children = await job.split();
    } catch (err) {
      const e = asConnectorError(err);
      if (this.scheduler.stopped) return [];
      if (endsTheRead(err, e)) throw err;
      this.log.warn(`asking insights which objects of ${job.label} delivered failed (${e.message}); splitting its days instead`, { error_kind: e.kind, ...e.context });
      children = job.halves();
    }
    if (!children) {
      const what = job.onObject ? `${job.nodeLevel} ${job.node} on ${job.window.since}` : `${job.window.since}`;
      this.fail(
        this.failure(cause, `${what} could not be read even as a single object-day: ${cause.message}`, 'Meta could not build this slice; re-run later (the bookmark did not move, so it will be retried). If it persists, deselect fields or breakdowns of this report.', job),
        false,
      );
      return [];
    }
    if (children.length === 0) {
      this.log.info(`no ${job.splitsInto} of ${job.label} has insights in its window: the failed job had no rows to read`, { since: job.window.since, until: job.window.until });
      return [];
    }
    this.result.splits++;
    this.log.info(`splitting insights job ${job.label} into ${children.length} jobs (${job.splitsInto === 'days' ? 'halves of its days' : `the ${job.splitsInto}s that delivered in its window`})`, { children: children.length, into: job.splitsInto });
    return children;
  }

  private failure(e: ConnectorError, why: string, hint?: string, job?: InsightsJob): ConnectorError {
    const where = job ? { since: job.window.since, until: job.window.until, ...(job.onObject ? { [LEVEL_ID[job.nodeLevel]]: job.node } : {}) } : {};
    const h = hint ?? e.hint;
    return new ConnectorError(e.kind === 'unexpected' ? 'transient' : e.kind, `insights ${this.report.name} for account ${this.account.accountId}: ${why}`, {
      ...(h ? { hint: h } : {}),
      context: { ...e.context, account_id: this.account.accountId, stream: this.report.name, ...where },
    });
  }

  /** Records a failure of the report; `stop` when no other job of it can succeed either. */
  private fail(failure: ConnectorError, stop: boolean): InsightsJob[] {
    this.log.failure(failure);
    this.result.failures.push(failure);
    if (stop) this.scheduler.stop(failure.message);
    return [];
  }

  /** Emits the completed run's rows; a row an abandoned ancestor (or an earlier attempt) emitted is skipped. */
  private async emitRows(job: InsightsJob): Promise<void> {
    const { account, report, ctx } = this;
    const recorded = { attribution_windows: [...ctx.config.action_attribution_windows], ...attributionSettings(ctx.config) };
    let multiDay: string | undefined;
    for await (const raw of job.rows()) {
      const span = notOneDay(raw);
      if (span !== undefined) {
        multiDay ??= span; // refused below, never stored under its date_start
        continue;
      }
      const extra: Record<string, unknown> = { ...recorded };
      if (raw['account_currency'] === undefined || raw['account_currency'] === null) extra['account_currency'] = account.currency;
      if (raw['account_id'] === undefined) extra['account_id'] = account.accountId;
      for (const b of report.breakdowns) if (raw[b] === undefined || raw[b] === null) extra[b] = '';
      const record = shapeRecord(raw, this.shaper, { extractedAt: ctx.clock(), extra });
      if (record['date_start'] === null && typeof raw['date_start'] === 'string') record['date_start'] = raw['date_start'];
      const k = this.key.map((f) => String(record[f] ?? '')).join('\u0001');
      if (job.skip.has(k) || job.emitted.has(k)) continue;
      job.emitted.add(k);
      this.result.found++;
      const day = String(record['date_start']);
      if (!this.lastDay || day > this.lastDay || (this.backfillUntil !== undefined && day <= this.backfillUntil)) this.result.fresh++;
      await ctx.emit(record);
    }
    if (multiDay !== undefined) {
      const why = `Meta answered ${job.label} with a row covering ${multiDay} although the report is daily (time_increment=1); such rows are not stored`;
      const hint = 'Re-run later (the bookmark did not move). If it persists, report it to Meta with the report run id from the log; a row summing several days would double count spend.';
      this.fail(this.failure(new DataError(why, { context: { dates: multiDay } }), why, hint, job), false);
    }
  }
}
