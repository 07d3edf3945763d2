// Async insights report runs (AdReportRun, facts §5.1): created by POST /act_X/insights, polled
// at GET /{id}, read at GET /{id}/insights. Progress follows configurable wall time; results are
// computed once from the world clock captured at creation.
import { Rng, hash32 } from './prng.js';
import type { FaultSpec } from './faults.js';
import type { InsightsQuery } from './insights.js';

export type AsyncStatus = 'Job Not Started' | 'Job Started' | 'Job Running' | 'Job Completed' | 'Job Failed' | 'Job Skipped';

export interface ReportRun {
  id: string;
  accountId: string;
  tokenLabel: string;
  query: InsightsQuery;
  /** every time range of the request (time_ranges may hold several) */
  queries: InsightsQuery[];
  nowUnix: number;
  createdAtMs: number;
  fault: FaultSpec | null;
  /** polls answered after the job reached 100 % (job_premature) */
  pollsAfterDone: number;
}

export interface RunState {
  status: AsyncStatus;
  percent: number;
  /** whether /{id}/insights may be read */
  readable: boolean;
}

export class ReportRuns {
  private readonly runs = new Map<string, ReportRun>();
  private counter = 0;
  constructor(
    private readonly seed: number,
    private readonly durationMs: number,
  ) {}

  get size(): number {
    return this.runs.size;
  }

  create(r: Omit<ReportRun, 'id' | 'pollsAfterDone'>): ReportRun {
    this.counter++;
    let id = '';
    do id = new Rng(hash32(this.seed, 'report_run', this.counter, id)).digits(16);
    while (this.runs.has(id));
    const run: ReportRun = { ...r, id, pollsAfterDone: 0 };
    this.runs.set(id, run);
    return run;
  }

  get(id: string): ReportRun | undefined {
    return this.runs.get(id);
  }

  /** State at `nowMs`; `poll` counts a status read (job_premature needs it). */
  state(run: ReportRun, nowMs: number, poll: boolean): RunState {
    const f = run.fault;
    if (f?.kind === 'job_stall') {
      const p = Math.max(0, Math.min(99, f.percent ?? 0));
      return { status: p === 0 ? 'Job Not Started' : 'Job Running', percent: p, readable: false };
    }
    const frac = this.durationMs <= 0 ? 1 : Math.min(1, (nowMs - run.createdAtMs) / this.durationMs);
    if (frac < 1) {
      const status: AsyncStatus = frac < 0.15 ? 'Job Not Started' : frac < 0.3 ? 'Job Started' : 'Job Running';
      return { status, percent: status === 'Job Not Started' ? 0 : Math.floor(frac * 100), readable: false };
    }
    if (f?.kind === 'job_failed') return { status: 'Job Failed', percent: 0, readable: false };
    if (f?.kind === 'job_premature' && run.pollsAfterDone < (f.polls ?? 2)) {
      if (poll) run.pollsAfterDone++;
      return { status: 'Job Running', percent: 100, readable: false };
    }
    return { status: 'Job Completed', percent: 100, readable: true };
  }

  completedAtUnix(run: ReportRun): number {
    return run.nowUnix + Math.max(1, Math.ceil(this.durationMs / 1000));
  }
}
