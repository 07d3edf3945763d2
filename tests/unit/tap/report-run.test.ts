// Unit tests of the async report-run driver against a scripted fake: it polls until 'Job Completed' at
// 100%, never reads earlier, backs off, and raises typed errors for failed, skipped and stalled runs.
import { expect } from 'chai';
import { PermissionError } from '../../../connector/core/errors.js';
import { classifyGraphError } from '../../../connector/graph/errors.js';
import { JobFailedError, JobQueuedError, JobStalledError, ReportRunNotFoundError, pollReportRun, readReportRun, startReportRun, waitForReportRun, type ReportRunGraph, type ReportRunSpec, type ReportRunStatus, type ReportRunTiming } from '../../../connector/graph/report-run.js';

class ScriptedGraph implements ReportRunGraph {
  readonly calls: Array<{ path: string; method: string; params: Record<string, unknown> | undefined }> = [];
  constructor(private readonly polls: ReportRunStatus[]) {}
  async request<T>(path: string, opts: { method?: 'GET' | 'POST'; params?: Record<string, unknown> }): Promise<T> {
    this.calls.push({ path, method: opts.method ?? 'GET', params: opts.params });
    if (opts.method === 'POST') return { report_run_id: 'run1' } as T;
    const next = this.polls.length > 1 ? this.polls.shift()! : this.polls[0]!;
    return next as T;
  }
  async *paginate<T>(path: string): AsyncGenerator<T> {
    this.calls.push({ path, method: 'GET', params: undefined });
    yield { date_start: '2026-11-01', spend: '1.00' } as T;
  }
}

const spec: ReportRunSpec = { node: 'act_1', params: { level: 'ad' }, tokens: [{ label: 't', token: 'sbx_t_0123456789' }], accountId: '1', label: 'test job' };

function timing(over: Partial<ReportRunTiming> = {}): ReportRunTiming & { slept: number[] } {
  let now = 0;
  const slept: number[] = [];
  return {
    pollMs: 100,
    maxPollMs: 400,
    stallMs: 10_000,
    timeoutMs: 60_000,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
    slept,
    ...over,
  };
}

describe('async report runs (graph/report-run)', () => {
  it('creates the run with POST on the node and returns its id', async () => {
    const g = new ScriptedGraph([]);
    expect(await startReportRun(g, spec)).to.equal('run1');
    expect(g.calls[0]).to.deep.include({ path: 'act_1/insights', method: 'POST' });
  });

  it('keeps polling while a run says Job Running at 100% and returns only at Job Completed 100%', async () => {
    const g = new ScriptedGraph([
      { id: 'run1', async_status: 'Job Not Started', async_percent_completion: 0 },
      { id: 'run1', async_status: 'Job Running', async_percent_completion: 100 },
      { id: 'run1', async_status: 'Job Running', async_percent_completion: 100 },
      { id: 'run1', async_status: 'Job Completed', async_percent_completion: 100 },
    ]);
    const t = timing();
    const s = await waitForReportRun(g, 'run1', spec, t);
    expect(s.async_status).to.equal('Job Completed');
    expect(g.calls.filter((c) => c.path === 'run1')).to.have.length(4);
    expect(g.calls.some((c) => c.path === 'run1/insights')).to.equal(false);
    expect(t.slept[1]!).to.be.greaterThan(t.slept[0]!);
    expect(Math.max(...t.slept)).to.be.at.most(400);
  });

  it('raises JobFailedError with the v25 error fields for Job Failed and for Job Skipped', async () => {
    for (const status of ['Job Failed', 'Job Skipped']) {
      const g = new ScriptedGraph([{ id: 'run1', async_status: status, async_percent_completion: 0, error_code: -2, error_subcode: 2490547, error_message: 'Report Failed' }]);
      const err = await waitForReportRun(g, 'run1', spec, timing()).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(JobFailedError);
      expect((err as JobFailedError).context).to.include({ graph_code: -2, graph_subcode: 2490547, report_run_id: 'run1' });
      expect((err as JobFailedError).hint).to.match(/split/);
    }
  });

  it('raises JobStalledError when completion does not move for stallMs, but not while it progresses', async () => {
    const stuck = new ScriptedGraph([{ id: 'run1', async_status: 'Job Running', async_percent_completion: 40 }]);
    const err = await waitForReportRun(stuck, 'run1', spec, timing({ stallMs: 1000 })).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(JobStalledError);
    expect((err as Error).message).to.match(/no progress/);

    const slow = new ScriptedGraph([...Array.from({ length: 20 }, (_, i) => ({ id: 'run1', async_status: 'Job Running', async_percent_completion: i * 5 })), { id: 'run1', async_status: 'Job Completed', async_percent_completion: 100 }]);
    expect((await waitForReportRun(slow, 'run1', spec, timing({ stallMs: 1000 }))).async_status).to.equal('Job Completed');
  });

  it('never calls a queued run ("Job Not Started") stalled: it waits past stallMs, then only the timeout ends the wait', async () => {
    const queuedThenDone = new ScriptedGraph([
      ...Array.from({ length: 30 }, () => ({ id: 'run1', async_status: 'Job Not Started', async_percent_completion: 0 })),
      { id: 'run1', async_status: 'Job Started', async_percent_completion: 1 },
      { id: 'run1', async_status: 'Job Completed', async_percent_completion: 100 },
    ]);
    const t = timing({ stallMs: 1000 });
    expect((await waitForReportRun(queuedThenDone, 'run1', spec, t)).async_status).to.equal('Job Completed');
    expect(t.now()).to.be.greaterThan(3000);

    const queued = new ScriptedGraph([{ id: 'run1', async_status: 'Job Not Started', async_percent_completion: 0 }]);
    const err = await waitForReportRun(queued, 'run1', spec, timing({ stallMs: 1000, timeoutMs: 5000 })).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(JobQueuedError);
    expect((err as Error).message).to.match(/still queued \("Job Not Started"\) after 5 s/);
  });

  it('gives up after timeoutMs even when the run keeps inching forward', async () => {
    let p = 0;
    const g: ReportRunGraph = {
      request: async <T>() => ({ id: 'run1', async_status: 'Job Running', async_percent_completion: Math.min(99, (p += 1)) }) as T,
      paginate: async function* <T>(): AsyncGenerator<T> {},
    };
    const err = await waitForReportRun(g, 'run1', spec, timing({ timeoutMs: 5000 })).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(JobStalledError);
    expect((err as Error).message).to.match(/did not finish within 5 s/);
  });

  it('reads the completed run through its insights edge', async () => {
    const g = new ScriptedGraph([]);
    const rows: unknown[] = [];
    for await (const r of readReportRun(g, 'run1', spec, 100)) rows.push(r);
    expect(rows).to.have.length(1);
    expect(g.calls[0]!.path).to.equal('run1/insights');
  });

  describe("Meta's 100/33 on the run itself (airbytehq/airbyte#46545; singer-io/tap-facebook retries subcode 33)", () => {
    /** Meta's answer as the client classifies it: 100/33 "Unsupported get request" (sandbox documented-errors.ts), or 200. */
    const refused = (path: string, code: number, subcode?: number): PermissionError =>
      classifyGraphError({ status: 400, body: { code, ...(subcode !== undefined ? { error_subcode: subcode } : {}), message: `Unsupported get request. Object with ID '${path}' does not exist` }, path, accountId: '1' }).error as PermissionError;
    class Refusing extends ScriptedGraph {
      constructor(private readonly err: Error) {
        super([]);
      }
      override request<T>(): Promise<T> {
        return Promise.reject(this.err);
      }
      // eslint-disable-next-line require-yield
      override async *paginate<T>(): AsyncGenerator<T> {
        throw this.err;
      }
    }
    const rowsOf = async (g: ReportRunGraph): Promise<unknown> => {
      try {
        for await (const _ of readReportRun(g, 'run1', spec, 100));
      } catch (err) {
        return err;
      }
      return undefined;
    };
    const pollOf = (g: ReportRunGraph): Promise<unknown> =>
      pollReportRun(g, 'run1', spec).then(
        () => undefined,
        (err: unknown) => err,
      );

    it('is a transient ReportRunNotFoundError naming the run when a poll or a page of rows gets it', async () => {
      for (const err of [await rowsOf(new Refusing(refused('run1/insights', 100, 33))), await pollOf(new Refusing(refused('run1', 100, 33)))]) {
        expect(err).to.be.instanceOf(ReportRunNotFoundError);
        expect((err as ReportRunNotFoundError).kind).to.equal('transient');
        expect((err as ReportRunNotFoundError).context).to.include({ report_run_id: 'run1', graph_code: 100, graph_subcode: 33 });
      }
    });

    it('stays a permission error for another code, and when creating the run is refused', async () => {
      const other = await rowsOf(new Refusing(refused('run1/insights', 200)));
      expect(other).to.be.instanceOf(PermissionError).and.not.instanceOf(ReportRunNotFoundError);
      const created = await startReportRun(new Refusing(refused('act_1/insights', 100, 33)), spec).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(created).to.be.instanceOf(PermissionError).and.not.instanceOf(ReportRunNotFoundError);
    });
  });
});
