// Status polling of many async report runs at once (learned from Airbyte's InsightAsyncJobManager, whose
// update_in_batch reads the status of every running job through the Batch API): runs waiting for Meta
// join one poller, each poll round reads all of them in Batch API calls of at most MAX_BATCH_REQUESTS
// items, and each run's answer is judged by its own RunWatch, alone (done, keep waiting, or its error).
import { batchesOf, type BatchAnswer, type BatchRequest } from './batch.js';
import { pollReportRun, reportRunStatusFields, runReadError, type ReportRunGraph, type ReportRunSpec, type ReportRunStatus, type ReportRunTiming, type RunWatch } from './report-run.js';

/** The part of GraphClient the poller needs: a lone run is read with a plain GET, several with a batch. */
export interface RunPollerGraph extends ReportRunGraph {
  requestBatch<T = unknown>(requests: readonly BatchRequest[], opts: { tokens: ReportRunSpec['tokens']; accountId?: string }): Promise<Array<BatchAnswer<T>>>;
}

export type RunPollerTiming = Pick<ReportRunTiming, 'pollMs' | 'maxPollMs' | 'now' | 'sleep'>;

interface Waiter {
  id: string;
  spec: ReportRunSpec;
  watch: RunWatch;
  signal: AbortSignal;
  /** The longest sleep the run's watch allows before its next verdict is due. */
  waitAtMostMs: number;
  settle(error?: unknown): void;
}

/**
 * Runs of one budget (the tap keeps one poller per ad account, so a throttled account holds only its
 * own polls). A run that joins restarts the interval at pollMs, and a run joining while the poller
 * sleeps is read at most pollMs later, with everything else still waiting: rounds stay shared.
 */
export class RunPoller {
  private readonly waiting = new Set<Waiter>();
  private running = false;
  private delay: number;
  /** Ends the current sleep early (a run joined); undefined while a round is being read. */
  private wake: (() => void) | undefined;
  private wakeScheduled = false;

  constructor(
    private readonly graph: RunPollerGraph,
    private readonly timing: RunPollerTiming,
  ) {
    this.delay = timing.pollMs;
  }

  /** Resolves once run `id` says 'Job Completed' at 100 %; rejects with its watch's typed error, a failed read, or the abort reason. */
  wait(id: string, spec: ReportRunSpec, watch: RunWatch, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(signal.reason as Error);
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => w.settle(signal.reason);
      const w: Waiter = {
        id,
        spec,
        watch,
        signal,
        waitAtMostMs: Infinity,
        settle: (error?: unknown) => {
          if (!this.waiting.delete(w)) return;
          signal.removeEventListener('abort', onAbort);
          if (error === undefined) resolve();
          else reject(error as Error);
        },
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiting.add(w);
      this.delay = this.timing.pollMs;
      if (!this.running) {
        this.running = true;
        void this.loop();
      } else if (this.wake && !this.wakeScheduled) {
        this.wakeScheduled = true;
        const wake = this.wake;
        void this.timing.sleep(this.timing.pollMs).then(wake);
      }
    });
  }

  private async loop(): Promise<void> {
    try {
      // Runs created in the same turn share the first round.
      await new Promise<void>((r) => setImmediate(r));
      while (this.waiting.size > 0) {
        for (const group of this.groups()) for (const chunk of batchesOf(group)) await this.read(chunk);
        if (this.waiting.size === 0) break;
        const next = Math.min(this.delay, ...[...this.waiting].map((w) => w.waitAtMostMs));
        this.delay = Math.min(this.timing.maxPollMs, Math.max(1, this.delay * 1.5));
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          this.wakeScheduled = false;
          void this.timing.sleep(next).then(resolve);
        });
        this.wake = undefined;
      }
    } catch (err) {
      for (const w of [...this.waiting]) w.settle(err);
    } finally {
      this.running = false;
    }
  }

  /** Waiting runs by who reads them (account and tokens): one batch goes out with one token on one budget. */
  private groups(): Waiter[][] {
    const by = new Map<string, Waiter[]>();
    for (const w of this.waiting) {
      const key = JSON.stringify([w.spec.accountId, w.spec.tokens.map((t) => t.label)]);
      by.set(key, [...(by.get(key) ?? []), w]);
    }
    return [...by.values()];
  }

  /** One status read of each run in `chunk`: a plain GET for one, one Batch API call for several. */
  private async read(chunk: Waiter[]): Promise<void> {
    const live = chunk.filter((w) => this.waiting.has(w));
    if (live.length === 0) return;
    if (live.length === 1) {
      const w = live[0]!;
      try {
        this.judge(w, await pollReportRun(this.graph, w.id, w.spec, w.signal));
      } catch (err) {
        w.settle(err);
      }
      return;
    }
    const { tokens, accountId } = live[0]!.spec;
    let answers: Array<BatchAnswer<ReportRunStatus>>;
    try {
      answers = await this.graph.requestBatch<ReportRunStatus>(
        live.map((w) => ({ path: w.id, params: { fields: reportRunStatusFields(w.spec.apiVersion) }, accountId: w.spec.accountId })),
        { tokens, accountId },
      );
    } catch (err) {
      for (const w of live) w.settle(err);
      return;
    }
    answers.forEach((a, k) => {
      const w = live[k]!;
      if (a.ok) this.judge(w, { ...a.body, id: w.id });
      else w.settle(runReadError(a.error, w.spec, w.id));
    });
  }

  private judge(w: Waiter, status: ReportRunStatus): void {
    if (!this.waiting.has(w)) return;
    try {
      const verdict = w.watch.observe(status, this.timing.now());
      if (verdict === 'done') w.settle();
      else w.waitAtMostMs = verdict.waitAtMostMs;
    } catch (err) {
      w.settle(err);
    }
  }
}
