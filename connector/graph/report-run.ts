// Async insights jobs (AdReportRun, facts §5): POST /<node>/insights → poll GET /<id> with backoff →
// read GET /<id>/insights pages only once the run says 'Job Completed' at 100%. A run that fails,
// is skipped, stalls (running with no progress for stallMs) or outlives timeoutMs raises a typed
// error the caller answers; a run still queued ('Job Not Started') is waited for, never called stalled.
import { ConnectorError, TransientError } from '../core/errors.js';
import { classifyGraphError, type ThrottleScope } from './errors.js';

interface TokenRef {
  label: string;
  token: string;
}
interface Call {
  params?: Record<string, unknown>;
  tokens: TokenRef[];
  accountId?: string;
  method?: 'GET' | 'POST';
  signal?: AbortSignal;
  shrinkable?: boolean;
}
/** The part of GraphClient a report run needs. */
export interface ReportRunGraph {
  request<T = unknown>(path: string, opts: Call): Promise<T>;
  paginate<T = Record<string, unknown>>(path: string, opts: Call): AsyncGenerator<T>;
}

/** Terminal and running states of `async_status` (facts §5.1 item 3). */
export const JOB_COMPLETED = 'Job Completed';
/** Queued at Meta: not started yet, so no progress is expected (a busy queue, not a stuck job). */
export const JOB_NOT_STARTED = 'Job Not Started';
const FAILED_STATES = new Set(['Job Failed', 'Job Skipped']);

export interface ReportRunStatus {
  id: string;
  async_status?: string;
  async_percent_completion?: number;
  error_code?: number;
  error_subcode?: number;
  error_message?: string;
  error_user_title?: string;
  error_user_msg?: string;
}

export interface ReportRunSpec {
  /** Node the report runs on: 'act_123' (optionally a campaign/ad set id). */
  node: string;
  params: Record<string, unknown>;
  tokens: TokenRef[];
  accountId: string;
  /** For logs and errors: which slice this is. */
  label: string;
  /** The run's Graph version ('v24.0'): decides which status fields exist. Absent = the newest. */
  apiVersion?: string;
}

/** Graph version from which a failed run carries these error fields (facts §5.1, Meta changelog 2026-01-08). */
const V25_ERROR_FIELDS_SINCE = 25;

/**
 * Fields a poll asks for. error_subcode/error_message/error_user_title/error_user_msg exist from v25.0
 * only: asking an older version for them is (#100) Tried accessing nonexisting field, so every poll fails.
 */
export function reportRunStatusFields(apiVersion: string | undefined): string[] {
  const base = ['id', 'async_status', 'async_percent_completion', 'error_code'];
  const major = apiVersion === undefined ? Infinity : Number(/^v(\d+)\./.exec(apiVersion)?.[1] ?? Infinity);
  return major >= V25_ERROR_FIELDS_SINCE ? [...base, 'error_subcode', 'error_message', 'error_user_title', 'error_user_msg'] : base;
}

export interface ReportRunTiming {
  /** First poll delay; grows ×1.5 per poll up to maxPollMs (Singer/Airbyte poll every 5–30 s). */
  pollMs: number;
  maxPollMs: number;
  /** Running with no change of async_percent_completion for this long → JobStalledError (airbytehq/airbyte#7723). */
  stallMs: number;
  /** Overall limit from creation to completion, queue time included. */
  timeoutMs: number;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  signal?: AbortSignal;
  onPoll?: (status: ReportRunStatus) => void;
}

/**
 * The run ended 'Job Failed'/'Job Skipped'. From v25 the run carries error_code/error_subcode, which
 * the Graph error table classifies like any other error (DOCS insights/error-codes): 4/1504022 app
 * throttled (wait, do not split), 2/1504041–1504042 invalid report (config: fail it, no retries),
 * -2/2490547 and 2/1504043 retry later. A run without a code is treated as transient (restart, split).
 */
export class JobFailedError extends ConnectorError {
  /** Whose budget a throttled run spent ('app' for code 4), for the pause that follows. */
  readonly scope: ThrottleScope | undefined;
  constructor(spec: ReportRunSpec, status: ReportRunStatus) {
    const code = typeof status.error_code === 'number' ? status.error_code : undefined;
    const classified =
      code === undefined
        ? undefined
        : classifyGraphError({
            status: 200,
            body: {
              code,
              ...(typeof status.error_subcode === 'number' ? { error_subcode: status.error_subcode } : {}),
              ...(status.error_message ? { message: status.error_message } : {}),
              ...(status.error_user_msg ? { error_user_msg: status.error_user_msg } : {}),
            },
            path: `${status.id} (report run)`,
            accountId: spec.accountId,
          });
    const kind = classified && classified.error.kind !== 'unexpected' ? classified.error.kind : 'transient';
    const why = status.error_user_msg ?? status.error_message;
    const codeText = code !== undefined ? ` [code ${code}${status.error_subcode !== undefined ? `/${status.error_subcode}` : ''}]` : '';
    super(kind, `insights report run ${status.id} for ${spec.label} ended "${status.async_status}"${codeText}${why ? `: ${why}` : ''}`, {
      hint: (classified && kind !== 'transient' ? classified.error.hint : undefined) ?? 'Meta could not build this report; the tap retries it once, then splits it into smaller jobs.',
      context: {
        report_run_id: status.id,
        async_status: status.async_status,
        graph_code: status.error_code,
        graph_subcode: status.error_subcode,
        account_id: spec.accountId,
      },
    });
    this.name = 'JobFailedError';
    this.scope = classified?.scope;
  }
}

/** The run started but stopped progressing (or, running, took longer than the timeout): smaller jobs may do better. */
export class JobStalledError extends TransientError {
  constructor(spec: ReportRunSpec, status: ReportRunStatus, why: string) {
    super(`insights report run ${status.id} for ${spec.label} ${why} (last state "${status.async_status ?? '?'}" at ${status.async_percent_completion ?? 0}%)`, {
      hint: 'Meta’s report queue is slow; the tap abandons the run, retries once, then splits it. Raise insights_job_stall_seconds if jobs are merely slow.',
      context: { report_run_id: status.id, async_status: status.async_status, percent: status.async_percent_completion, account_id: spec.accountId },
    });
    this.name = 'JobStalledError';
  }
}

/**
 * The run never left Meta's queue ('Job Not Started') within the timeout. Splitting would only queue
 * more runs behind it, so the caller ends the report and the next run retries it (exit 7).
 */
export class JobQueuedError extends TransientError {
  constructor(spec: ReportRunSpec, status: ReportRunStatus, waitedMs: number) {
    super(`insights report run ${status.id} for ${spec.label} was still queued ("${JOB_NOT_STARTED}") after ${Math.round(waitedMs / 1000)} s`, {
      hint: 'Meta’s report queue for this account is saturated (other tools may be running reports on it); re-run later, or raise insights_job_timeout_seconds to wait longer.',
      context: { report_run_id: status.id, async_status: status.async_status, account_id: spec.accountId },
    });
    this.name = 'JobQueuedError';
  }
}

/**
 * Meta answered a read of a report run it had just created or just completed (its status, or a page
 * of its rows) with 100/33 "Unsupported get request. Object with ID '<run id>' does not exist, cannot
 * be loaded due to missing permissions…". The token created that run, so this is Meta's replication
 * lag, not a permission: singer-io/tap-facebook retries subcode 33 as "a race condition between
 * AdsInsights job creation and polling" (tap_facebook/__init__.py retry_pattern; PR #174),
 * airbytehq/airbyte#46545 met it on a completed run's second page of rows (the same call answered
 * when replayed; Meta bug report 250454108686614) and failed the sync, facebook-python-business-sdk#189
 * on the first read after creation. The job runs again like any failed run; a token that really lost
 * the account meets its own permission error when the new run is created, which ends the read.
 */
export class ReportRunNotFoundError extends TransientError {
  constructor(spec: ReportRunSpec, id: string, cause: ConnectorError) {
    super(`Meta answered a read of insights report run ${id} for ${spec.label}, which this tap created, as if the run did not exist (code 100/33): ${cause.message}`, {
      hint: 'Meta sometimes loses sight of a fresh report run for a while; the tap runs the job again (once, then split). If it persists for every run, check that the token still has ads_read on the account.',
      context: { ...cause.context, report_run_id: id, account_id: spec.accountId },
    });
    this.name = 'ReportRunNotFoundError';
  }
}

/** Graph's code and subcode for "this object does not exist or you cannot see it" (facts §7.4). */
const NOT_FOUND = { code: 100, subcode: 33 } as const;

/** A 100/33 answer to a read of run `id` itself as ReportRunNotFoundError; any other error as it is. */
export function runReadError(err: unknown, spec: ReportRunSpec, id: string): unknown {
  if (!(err instanceof ConnectorError) || err instanceof ReportRunNotFoundError) return err;
  const { graph_code: code, graph_subcode: subcode } = err.context;
  return code === NOT_FOUND.code && subcode === NOT_FOUND.subcode ? new ReportRunNotFoundError(spec, id, err) : err;
}

/**
 * Judges one run's successive statuses: done, keep waiting (and how long until a stall would be
 * declared), or a typed error. Progress is the percentage moving; the stall clock runs only once the
 * run has left the queue, the overall timeout from creation.
 */
export class RunWatch {
  private lastPercent = -1;
  private lastChange: number;
  constructor(
    private readonly spec: ReportRunSpec,
    private readonly t: Pick<ReportRunTiming, 'stallMs' | 'timeoutMs'>,
    private readonly started: number,
  ) {
    this.lastChange = started;
  }

  /** 'done' when the rows may be read; otherwise the longest sleep before the next verdict is due. */
  observe(s: ReportRunStatus, now: number): 'done' | { waitAtMostMs: number } {
    const percent = typeof s.async_percent_completion === 'number' ? s.async_percent_completion : Number(s.async_percent_completion ?? 0);
    if (s.async_status === JOB_COMPLETED && percent >= 100) return 'done';
    if (s.async_status && FAILED_STATES.has(s.async_status)) throw new JobFailedError(this.spec, s);
    const queued = s.async_status === JOB_NOT_STARTED;
    if (queued || percent !== this.lastPercent || s.async_status === undefined) {
      this.lastPercent = percent;
      this.lastChange = now;
    }
    if (now - this.started >= this.t.timeoutMs) {
      if (queued) throw new JobQueuedError(this.spec, s, now - this.started);
      throw new JobStalledError(this.spec, s, `did not finish within ${Math.round(this.t.timeoutMs / 1000)} s`);
    }
    if (now - this.lastChange >= this.t.stallMs) throw new JobStalledError(this.spec, s, `made no progress for ${Math.round((now - this.lastChange) / 1000)} s`);
    const untilTimeout = this.t.timeoutMs - (now - this.started);
    return { waitAtMostMs: Math.max(0, Math.min(untilTimeout, queued ? untilTimeout : this.t.stallMs - (now - this.lastChange))) + 1 };
  }
}

export async function startReportRun(graph: ReportRunGraph, spec: ReportRunSpec): Promise<string> {
  const res = await graph.request<{ report_run_id?: string; id?: string }>(`${spec.node}/insights`, {
    method: 'POST',
    params: spec.params,
    tokens: spec.tokens,
    accountId: spec.accountId,
    // A report that is too big is split by the caller (fewer days, a finer level), never re-sent as is.
    shrinkable: true,
  });
  const id = res.report_run_id ?? res.id;
  if (typeof id !== 'string' || !id) {
    throw new TransientError(`creating the insights report run for ${spec.label} returned no report_run_id`, {
      hint: 'Meta answered without a job id; re-run later.',
      context: { account_id: spec.accountId },
    });
  }
  return id;
}

/** One status read of a run. */
export async function pollReportRun(graph: ReportRunGraph, id: string, spec: ReportRunSpec, signal?: AbortSignal): Promise<ReportRunStatus> {
  try {
    const status = await graph.request<ReportRunStatus>(id, {
      params: { fields: reportRunStatusFields(spec.apiVersion) },
      tokens: spec.tokens,
      accountId: spec.accountId,
      ...(signal ? { signal } : {}),
    });
    return { ...status, id };
  } catch (err) {
    throw runReadError(err, spec, id);
  }
}

/** Polls until 'Job Completed' at 100%; anything short of that is never treated as done. */
export async function waitForReportRun(graph: ReportRunGraph, id: string, spec: ReportRunSpec, t: ReportRunTiming): Promise<ReportRunStatus> {
  const watch = new RunWatch(spec, t, t.now());
  let delay = t.pollMs;
  for (;;) {
    const s = await pollReportRun(graph, id, spec, t.signal);
    t.onPoll?.(s);
    const verdict = watch.observe(s, t.now());
    if (verdict === 'done') return s;
    await t.sleep(Math.min(delay, verdict.waitAtMostMs));
    delay = Math.min(t.maxPollMs, Math.max(1, delay * 1.5));
  }
}

/** Rows of a completed run, page by page (the client follows paging.next to the end). */
export async function* readReportRun<T = Record<string, unknown>>(graph: ReportRunGraph, id: string, spec: ReportRunSpec, pageSize: number): AsyncGenerator<T> {
  try {
    yield* graph.paginate<T>(`${id}/insights`, { params: { limit: pageSize }, tokens: spec.tokens, accountId: spec.accountId });
  } catch (err) {
    throw runReadError(err, spec, id);
  }
}
