// One insights report job as an object (learned from Airbyte's InsightAsyncJob): the node it runs on,
// its place in the split chain (account → campaign → ad set → ad), its window and its own attempt and
// throttle counts. start/wait/restart drive one AdReportRun (wait polls through the account's
// RunPoller); split() first asks insights which children delivered in the window and returns jobs for
// only those (never every object ever created), and halves the window once no finer object exists;
// rows() reads the completed run.
import { addDays, daysBetween } from '../core/dates.js';
import { RunWatch, readReportRun, startReportRun, type ReportRunSpec, type ReportRunTiming } from '../graph/report-run.js';
import { RunPoller, type RunPollerGraph } from '../graph/run-poller.js';
import type { TokenRef } from './graph-port.js';
import { INSIGHTS_LEVELS, LEVEL_ID, type InsightsLevel } from './insights.js';

export interface JobWindow {
  since: string;
  until: string;
}

/**
 * Rows per page of the child-id query. Each row is one id aggregated over the window, so a small page
 * keeps every call cheap in Meta's insights load accounting while a handful of calls covers hundreds
 * of delivering children.
 */
export const CHILD_IDS_PAGE_SIZE = 100;

/** What every job of one report read shares: who reads, what the report asks for, how runs are timed. */
export interface InsightsJobEnv {
  graph: RunPollerGraph;
  accountId: string;
  tokens: TokenRef[];
  reportName: string;
  /** The report's level: a job never splits below it (its rows could not be built on a finer node). */
  reportLevel: InsightsLevel;
  apiVersion: string;
  pageSize: number;
  timing: ReportRunTiming;
  /** The report-run parameters for a window (level, fields, breakdowns, attribution, filtering…). */
  runParams(window: JobWindow): Record<string, unknown>;
  /** The status `filtering` of a query at a level (read-insights statusFiltering): the child-id query asks at the child's. */
  statusFiltering(level: InsightsLevel): Array<Record<string, unknown>>;
  /** Stops waits and polls of every job once the report read is over. */
  signal: AbortSignal;
  /** Reads the status of every waiting run of the account together (Batch API); absent = the job polls alone. */
  poller?: RunPoller;
}

const finerLevel = (level: InsightsLevel): InsightsLevel | undefined => INSIGHTS_LEVELS[INSIGHTS_LEVELS.indexOf(level) + 1];

/** Run parameters the child-id query keeps: what decides which objects have rows (window, attribution); its status filters are its own level's. */
const ID_QUERY_KEEPS = ['time_range', 'action_attribution_windows'];

export class InsightsJob {
  /** Report runs created for this job (the first start and each restart). */
  attempts = 0;
  /** Runs Meta failed for a rate limit (they are re-run unsplit, after a wait). */
  throttles = 0;
  /** Row keys this job emitted; kept across restarts and handed to its children so no row is emitted twice. */
  readonly emitted = new Set<string>();
  private runId: string | undefined;
  private watch: RunWatch | undefined;

  constructor(
    readonly env: InsightsJobEnv,
    /** 'act_<id>' or the id of the campaign / ad set / ad the job runs on (facts §5.1: runs exist on every level's node). */
    readonly node: string,
    readonly nodeLevel: InsightsLevel,
    readonly window: JobWindow,
    /** Row keys an abandoned ancestor already emitted. */
    readonly skip: ReadonlySet<string> = new Set(),
  ) {}

  get label(): string {
    const who = this.nodeLevel === 'account' ? this.node : `${this.nodeLevel} ${this.node}`;
    return `${this.env.reportName} ${who} ${this.window.since}..${this.window.until}`;
  }

  get days(): number {
    return daysBetween(this.window.since, this.window.until);
  }

  /** Whether the job runs on an object inside the account (a refusal then concerns that object only). */
  get onObject(): boolean {
    return this.nodeLevel !== 'account';
  }

  private get spec(): ReportRunSpec {
    return { node: this.node, params: this.env.runParams(this.window), tokens: this.env.tokens, accountId: this.env.accountId, label: this.label, apiVersion: this.env.apiVersion };
  }

  /** Creates the report run. */
  async start(): Promise<void> {
    if (this.runId) throw new Error(`${this.label}: already started; restart() it instead`);
    this.attempts++;
    this.runId = await startReportRun(this.env.graph, this.spec);
    this.watch = new RunWatch(this.spec, this.env.timing, this.env.timing.now());
  }

  /** Whether a run was created for this job and not discarded. */
  get started(): boolean {
    return this.attempts > 0;
  }

  /**
   * Forgets the current run as if it had never been created (Meta refused a withdrawn field): the next
   * start() asks again with the fields still served, and the refused run is not counted as an attempt.
   */
  discardRun(): void {
    this.runId = undefined;
    this.watch = undefined;
    this.attempts = Math.max(0, this.attempts - 1);
  }

  /** Abandons the current run (failed, stalled or throttled) and creates a new one for the same slice. */
  async restart(): Promise<void> {
    this.runId = undefined;
    this.watch = undefined;
    await this.start();
  }

  /**
   * Waits, polling with growing intervals, until the run completes (or fails, stalls, times out, is
   * aborted). The polls go through the account's poller, in the same Batch API calls as its other runs'.
   */
  async wait(): Promise<void> {
    if (!this.runId || !this.watch) throw new Error(`${this.label}: wait() before start()`);
    const poller = this.env.poller ?? new RunPoller(this.env.graph, this.env.timing);
    await poller.wait(this.runId, this.spec, this.watch, this.env.signal);
  }

  /** Rows of the completed run, page by page. */
  rows(): AsyncGenerator<Record<string, unknown>> {
    if (!this.runId) throw new Error(`${this.label}: rows() before start()`);
    return readReportRun<Record<string, unknown>>(this.env.graph, this.runId, this.spec, this.env.pageSize);
  }

  /** The level split() goes to next: a finer object while the report's level allows one, else days. */
  get splitsInto(): InsightsLevel | 'days' | undefined {
    const finer = finerLevel(this.nodeLevel);
    if (finer && INSIGHTS_LEVELS.indexOf(finer) <= INSIGHTS_LEVELS.indexOf(this.env.reportLevel)) return finer;
    return this.days > 1 ? 'days' : undefined;
  }

  /**
   * Smaller jobs covering what this one would have returned: one per child that has insights in the
   * window (an empty list when none delivered, so the slice has no rows at all), or the two halves of
   * the window on the finest object. Undefined for a single object-day, which cannot be made smaller.
   */
  async split(): Promise<InsightsJob[] | undefined> {
    const into = this.splitsInto;
    if (into === undefined) return undefined;
    if (into === 'days') return this.halves();
    const ids = await this.deliveredChildren(into);
    return ids.map((id) => this.child(id, into, this.window));
  }

  /** The two halves of the window on the same node. */
  halves(): InsightsJob[] | undefined {
    if (this.days <= 1) return undefined;
    const mid = addDays(this.window.since, Math.ceil(this.days / 2) - 1);
    return [this.child(this.node, this.nodeLevel, { since: this.window.since, until: mid }), this.child(this.node, this.nodeLevel, { since: addDays(mid, 1), until: this.window.until })];
  }

  /**
   * Ids of the children with insights rows in this job's window, asked of insights itself (a
   * synchronous read: only the child id, at the child level, aggregated over the window), as Airbyte
   * does before splitting: objects that did not deliver would only add empty jobs.
   */
  async deliveredChildren(level: InsightsLevel): Promise<string[]> {
    const idField = LEVEL_ID[level];
    const run = this.env.runParams(this.window);
    const kept = Object.fromEntries(Object.entries(run).filter(([k]) => ID_QUERY_KEEPS.includes(k)));
    const filtering = this.env.statusFiltering(level);
    const params = { ...kept, ...(filtering.length ? { filtering } : {}), level, fields: [idField], limit: CHILD_IDS_PAGE_SIZE };
    const ids = new Set<string>();
    for await (const row of this.env.graph.paginate<Record<string, unknown>>(`${this.node}/insights`, { params, tokens: this.env.tokens, accountId: this.env.accountId, signal: this.env.signal })) {
      const id = row[idField];
      if (typeof id === 'string' && id) ids.add(id);
    }
    return [...ids];
  }

  private child(node: string, level: InsightsLevel, window: JobWindow): InsightsJob {
    const skip = this.emitted.size === 0 ? this.skip : new Set([...this.skip, ...this.emitted]);
    return new InsightsJob(this.env, node, level, window, skip);
  }
}
