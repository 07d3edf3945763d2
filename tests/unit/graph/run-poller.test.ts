// RunPoller against a scripted fake: the runs waiting together are read in one Batch API call per round,
// each answer judged on its own (one run failing or refused ends only that run's wait), a lone run is
// read with a plain GET, and an aborted wait ends at once without touching the others.
import { expect } from 'chai';
import { TransientError } from '../../../connector/core/errors.js';
import type { BatchAnswer, BatchRequest } from '../../../connector/graph/batch.js';
import { JobFailedError, RunWatch, type ReportRunSpec, type ReportRunStatus } from '../../../connector/graph/report-run.js';
import { RunPoller, type RunPollerGraph } from '../../../connector/graph/run-poller.js';

/** Each run's successive statuses (the last repeats); a string is an error answer for that run. */
class ScriptedRuns implements RunPollerGraph {
  readonly batches: string[][] = [];
  readonly plain: string[] = [];
  constructor(private readonly script: Record<string, Array<Partial<ReportRunStatus> | string>>) {}
  private next(id: string): Partial<ReportRunStatus> | string {
    const s = this.script[id]!;
    return s.length > 1 ? s.shift()! : s[0]!;
  }
  async request<T>(path: string): Promise<T> {
    this.plain.push(path);
    const n = this.next(path);
    if (typeof n === 'string') throw new TransientError(n);
    return { id: path, ...n } as T;
  }
  async requestBatch<T>(requests: readonly BatchRequest[]): Promise<Array<BatchAnswer<T>>> {
    this.batches.push(requests.map((r) => r.path));
    return requests.map((r) => {
      const n = this.next(r.path);
      return typeof n === 'string' ? { ok: false, error: new TransientError(n) } : { ok: true, body: n as T };
    });
  }
  // eslint-disable-next-line require-yield
  async *paginate<T>(): AsyncGenerator<T> {
    throw new Error('not used');
  }
}

const running = { async_status: 'Job Running', async_percent_completion: 50 };
const done = { async_status: 'Job Completed', async_percent_completion: 100 };
const spec = (label: string): ReportRunSpec => ({ node: 'act_1', params: {}, tokens: [{ label: 't', token: 'sbx_t_0123456789' }], accountId: '1', label });

describe('RunPoller', () => {
  let now = 0;
  const timing = { pollMs: 100, maxPollMs: 400, now: () => now, sleep: async (ms: number) => void (now += ms) };
  const watch = (label: string): RunWatch => new RunWatch(spec(label), { stallMs: 60_000, timeoutMs: 600_000 }, now);
  const settled = (p: Promise<void>): Promise<string> =>
    p.then(
      () => 'done',
      (e: unknown) => (e instanceof Error ? e.constructor.name : String(e)),
    );

  it('reads the runs waiting together in one batch per round, each judged alone, and the last one left with a plain GET', async () => {
    const g = new ScriptedRuns({
      r1: [running, done],
      r2: [running, { async_status: 'Job Failed', async_percent_completion: 0 }],
      r3: ['(#1) An unknown error occurred'],
      r4: [running, running, running, done],
    });
    const poller = new RunPoller(g, timing);
    const signal = new AbortController().signal;
    const outcomes = await Promise.all(['r1', 'r2', 'r3', 'r4'].map((id) => settled(poller.wait(id, spec(id), watch(id), signal))));
    expect(outcomes).to.deep.equal(['done', JobFailedError.name, TransientError.name, 'done']);
    expect(g.batches).to.deep.equal([
      ['r1', 'r2', 'r3', 'r4'],
      ['r1', 'r2', 'r4'],
    ]);
    expect(g.plain).to.deep.equal(['r4', 'r4']);
  });

  it('ends an aborted wait at once with the abort reason, and keeps polling the others', async () => {
    const g = new ScriptedRuns({ a: [running, running, done], b: [running] });
    const poller = new RunPoller(g, timing);
    const stop = new AbortController();
    const a = settled(poller.wait('a', spec('a'), watch('a'), new AbortController().signal));
    const b = poller.wait('b', spec('b'), watch('b'), stop.signal);
    stop.abort(new Error('report stopped'));
    expect(
      await b.then(
        () => 'done',
        (e: Error) => e.message,
      ),
    ).to.equal('report stopped');
    expect(await a).to.equal('done');
    expect(g.batches, 'b left before the first round').to.deep.equal([]);
    expect(g.plain).to.deep.equal(['a', 'a', 'a']);
  });
});
