// Big batches are mapped in worker threads, cut into parts (connector/target/map-batch.ts,
// map-pool.ts). Whatever the cut, the warehouse must come out exactly as when one thread maps the
// batch, STATE must be released at the same points, and a bad line must be reported as the first
// bad line of the batch even when a later part fails too.
import { expect } from 'chai';
import { KINDS, openWarehouse, runLoader, type RunResult, type Warehouse } from './harness.js';
import { generateLines, GEN_SCHEMAS } from './generate.js';

/** Each table and the columns that order its rows. */
const TABLES: [string, string[]][] = [
  ['insights_ad', ['ad_id', 'date_start']],
  ['ads', ['id']],
  ['ads__history', ['id', 'updated_time']],
  ['pixels', ['id']],
];
/** Row contents without the columns that hold the wall-clock time of the run. */
async function contents(w: Warehouse): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const [t, order] of TABLES) {
    const rows = await w.rows(t, order);
    out[t] = rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => k !== '_sdc_received_at' && k !== '_sdc_batched_at' && k !== '_sdc_deleted_at')));
  }
  return out;
}

/** Two runs of one input, each on its own warehouse, committed the same: STATEs, counts and every row. */
async function expectSameLoad(a: RunResult, wa: Warehouse, b: RunResult, wb: Warehouse): Promise<void> {
  expect(b.states).to.deep.equal(a.states);
  expect(b.summary!.committed.entries()).to.deep.equal(a.summary!.committed.entries());
  const [ca, cb] = [await contents(wa), await contents(wb)];
  expect(ca['insights_ad']!.length).to.be.greaterThan(300);
  expect(cb).to.deep.equal(ca);
}

const commitMetrics = (lines: string[]): { rows: number; parts: number }[] =>
  lines
    .map((l) => JSON.parse(l) as { metric?: string; value?: number; tags?: { rows: number; map_parts: number } })
    .filter((l) => l.metric === 'batch_commit_ms')
    .map((l) => ({ rows: l.tags!.rows, parts: l.tags!.map_parts }));

for (const kind of KINDS) {
  describe(`batches mapped in worker threads on ${kind}`, function () {
    this.timeout(120000);
    const input = [...generateLines({ messages: 3000, stateEvery: 250 })].join('\n') + '\n';

    it('loads the same rows and releases the same STATEs as mapping on one thread', async () => {
      const one = await openWarehouse(kind);
      const many = await openWarehouse(kind);
      try {
        const a = await runLoader(one, input, { batch_rows: 700, map_workers: 0 });
        const logLines: string[] = [];
        const b = await runLoader(many, input, { batch_rows: 700, map_workers: 2 }, undefined, { mapInlineBytes: 0, mapPartBytes: 4096, logLines });
        expect(a.error).to.equal(undefined);
        expect(b.error).to.equal(undefined);
        // The worker run really cut batches into several parts.
        const metrics = commitMetrics(logLines);
        expect(metrics.length).to.be.greaterThan(3);
        expect(Math.max(...metrics.map((m) => m.parts))).to.equal(2);
        expect(b.summary!.records).to.deep.equal(a.summary!.records);
        await expectSameLoad(a, one, b, many);
      } finally {
        await one.close();
        await many.close();
      }
    });

    it('reports the first bad line of a batch when two parts fail, and commits nothing of it', async () => {
      const w = await openWarehouse(kind);
      try {
        const schema = GEN_SCHEMAS.find((s) => s.stream === 'insights_ad');
        const rec = (i: number, impressions: unknown): string => JSON.stringify({ type: 'RECORD', stream: 'insights_ad', record: { ad_id: `a${i}`, account_id: '1', date_start: '2024-01-01', impressions } });
        const lines = [JSON.stringify(schema)];
        for (let i = 0; i < 400; i++) lines.push(rec(i, i === 150 ? 'many' : i === 390 ? -0.5 : i));
        lines.push(JSON.stringify({ type: 'STATE', value: { at: 'end' } }));
        const logLines: string[] = [];
        const r = await runLoader(w, lines.join('\n') + '\n', { map_workers: 2 }, undefined, { mapInlineBytes: 0, mapPartBytes: 2048, logLines });
        expect(r.error?.kind).to.equal('data');
        // Line 1 is the SCHEMA: record i is on line i + 2.
        expect(r.error?.message).to.match(/^line 152: stream "insights_ad": record does not match its SCHEMA: record\.impressions/);
        expect(r.states).to.deep.equal([]);
        expect(await w.tables()).to.not.include('insights_ad__sdc_stage');
        expect(await w.rows('insights_ad')).to.deep.equal([]);
      } finally {
        await w.close();
      }
    });
  });
}

describe('batches cut into parts the size DuckDB reads well (loadPartBytes)', function () {
  this.timeout(120000);
  const input = [...generateLines({ messages: 3000, stateEvery: 250 })].join('\n') + '\n';

  for (const workers of [0, 1]) {
    it(`loads the same rows and STATEs as one part per batch, with map_workers ${workers}`, async () => {
      const whole = await openWarehouse('duckdb', { duckdbLoadPartBytes: 2 ** 30 });
      const cut = await openWarehouse('duckdb', { duckdbLoadPartBytes: 4096 });
      try {
        const wholeLog: string[] = [];
        const cutLog: string[] = [];
        const a = await runLoader(whole, input, { batch_rows: 700, map_workers: workers }, undefined, { mapInlineBytes: 0, mapPartBytes: 1024, logLines: wholeLog });
        const b = await runLoader(cut, input, { batch_rows: 700, map_workers: workers }, undefined, { mapInlineBytes: 0, mapPartBytes: 1024, logLines: cutLog });
        expect(a.error).to.equal(undefined);
        expect(b.error).to.equal(undefined);
        // One worker (or none) alone would give one part a batch: the cut comes from loadPartBytes.
        expect(Math.max(...commitMetrics(wholeLog).map((m) => m.parts))).to.equal(1);
        expect(Math.max(...commitMetrics(cutLog).map((m) => m.parts))).to.be.greaterThan(3);
        await expectSameLoad(a, whole, b, cut);
      } finally {
        await whole.close();
        await cut.close();
      }
    });
  }
});
