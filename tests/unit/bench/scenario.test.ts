import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runChild } from '../../../bench/proc.js';
import { targetBench } from '../../../bench/scenarios/target.js';
import { committedRows, soakBench, soakInput } from '../../../bench/scenarios/soak.js';
import { writeInsightsInput } from '../../../bench/singer-input.js';

describe('bench child runs and a tiny scenario', function () {
  this.timeout(180_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'bench-test-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const procPollOnly of [false, true]) {
    it(`counts a child's stdout lines, copies them to a file and reports a peak RSS (${procPollOnly ? '/proc polling' : 'GNU time when installed'})`, async () => {
      const input = join(dir, `in-${String(procPollOnly)}.txt`);
      writeFileSync(input, 'a\nb\nc\n');
      const copy = join(dir, `out-${String(procPollOnly)}.txt`);
      const seen: string[] = [];
      // Holds ~40 MB for a moment so even a 50 ms poll sees it.
      const script = "const b=Buffer.alloc(40e6,1);let d='';process.stdin.on('data',c=>d+=c).on('end',()=>{setTimeout(()=>{process.stdout.write(d.toUpperCase()+b[0]);},150)})";
      const r = await runChild(process.execPath, { args: ['-e', script], stdinFile: input, stdoutFile: copy, onLine: (l) => seen.push(l), procPollOnly, pollMs: 10 });
      expect(r.code).to.equal(0);
      expect(r.stdoutLines).to.equal(4);
      expect(seen).to.deep.equal(['A', 'B', 'C', '1']);
      expect(readFileSync(copy, 'utf8')).to.equal('A\nB\nC\n1');
      expect(r.peakRssBytes).to.be.greaterThan(40e6);
      if (procPollOnly) expect(r.rssSource).to.equal('proc-poll');
    });
  }

  it('kills a child that outlives its timeout', async () => {
    const r = await runChild(process.execPath, { args: ['-e', 'setTimeout(()=>{},60000)'], timeoutMs: 300 });
    expect(r.code === 0).to.equal(false);
    expect(r.wallMs).to.be.lessThan(30_000);
  });

  it('writes a Singer input file whose lines are SCHEMA, N RECORDs and a final STATE', async () => {
    const file = join(dir, 'singer.jsonl');
    const bytes = await writeInsightsInput(file, 5);
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string });
    expect(lines.map((l) => l.type)).to.deep.equal(['SCHEMA', 'RECORD', 'RECORD', 'RECORD', 'RECORD', 'RECORD', 'STATE']);
    expect(bytes).to.equal(readFileSync(file).length);
  });

  it('runs the target scenario end to end on a tiny input and reports every size it was given', async () => {
    const s = await targetBench({ sizes: [20, 60] });
    expect(s.runs.map((r) => r.rows)).to.deep.equal([20, 60]);
    for (const r of s.runs) {
      expect(r.run.code).to.equal(0);
      expect(r.batches).to.equal(1);
      expect(r.run.peakRssBytes).to.be.greaterThan(0);
    }
    expect(s.tables[0]!.rows).to.have.length(2);
    expect(s.checks.map((c) => c.met === undefined)).to.deep.equal([false, false]);
    // DuckDB's bare load ran on the same files and inserted every record (it throws otherwise).
    expect(s.ceilings.map((c) => [c.rows, c.run.code])).to.deep.equal([
      [20, 0],
      [60, 0],
    ]);
    expect(s.ceilings[0]!.duckdb).to.match(/^v\d+\.\d+/);
    expect(s.tables[1]!.head).to.include("DuckDB's bare load rows/s");
    expect(s.tables[1]!.rows.map((r) => r[0])).to.deep.equal(['20', '60']);
    expect(s.checks[0]!.measured).to.match(/DuckDB's bare load of the same file: [\d,]+ rows\/s/);
    // The lower bound: parse + validate and DuckDB's one-thread write alone, both measured, summed per size.
    expect(s.tables[2]!.head[2]).to.equal("DuckDB's write alone, one thread (CPU per row)");
    expect(s.tables[2]!.head[3]).to.equal('lower bound (sum)');
    // The write alone ran in the target's batches: at most batch_rows rows each.
    for (const row of s.tables[2]!.rows) expect(Number(row.at(-1)!.replace(/,/g, ''))).to.be.within(1, 100_000);
    for (const row of s.tables[2]!.rows) {
      const [validate, duck, sum] = row.slice(1, 4).map((c) => Number(c.replace(/[^\d.]/g, '')));
      expect(validate).to.be.greaterThan(0);
      expect(duck).to.be.greaterThan(0);
      expect(sum).to.be.closeTo(validate! + duck!, 2);
    }
    // The target's fast path measured on the same file (every line taken by it, or the floor throws), summed with the same write alone.
    expect(s.tables[2]!.head[5]).to.match(/^the target's fast path instead/);
    for (const row of s.tables[2]!.rows) {
      const [duck, fast, fastSum] = [row[2], row[5], row[6]].map((c) => Number(c!.replace(/[^\d.]/g, '')));
      expect(fast).to.be.greaterThan(0);
      expect(fastSum).to.be.closeTo(fast! + duck!, 2);
    }
    // The same bound with DuckDB reading and checking the records (bench/duckdb-validate-floor.ts): same write alone.
    expect(s.tables[3]!.head[3]).to.equal('lower bound (sum)');
    s.tables[3]!.rows.forEach((row, i) => {
      const [validate, duck, sum] = row.slice(1, 4).map((c) => Number(c.replace(/[^\d.]/g, '')));
      expect(validate).to.be.greaterThan(0);
      expect(row[2]).to.equal(s.tables[2]!.rows[i]![2]);
      expect(sum).to.be.closeTo(validate! + duck!, 2);
    });
    expect(s.checks[0]!.why).to.match(/Validating outside JavaScript instead .* costs [\d,]+ µs per row/);
  });

  it('generates the soak input: SCHEMA, the records with a STATE after every N and at the end', async () => {
    let text = '';
    for await (const chunk of soakInput(250, 100)) text += String(chunk);
    const lines = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; value?: unknown });
    expect(lines[0]!.type).to.equal('SCHEMA');
    expect(lines.filter((l) => l.type === 'RECORD')).to.have.length(250);
    expect(lines.filter((l) => l.type === 'STATE').map((l) => l.value)).to.deep.equal([{ soak: { rows: 100 } }, { soak: { rows: 200 } }, { soak: { rows: 250 } }]);
    expect(committedRows('{"soak":{"rows":200}}')).to.equal(200);
    expect(committedRows('{"bookmarks":{}}')).to.equal(undefined);
  });

  it('runs the memory soak end to end on a small input: every row committed, memory sampled beside the rows', async () => {
    // batch_rows is the target's default (100,000): with 30,000 rows in ~32 MiB batches the STATEs arrive at each commit.
    const s = await soakBench({ rows: 30_000, stateEvery: 5_000, sampleMs: 100 });
    expect(s.run.code).to.equal(0);
    expect(s.committed).to.equal(30_000);
    expect(s.samples.length).to.be.greaterThan(3);
    expect(s.samples.every((x) => x.rssBytes > 20 * 2 ** 20)).to.equal(true);
    expect(s.samples.at(-1)!.committed).to.be.at.most(30_000);
    expect(s.checks[0]!.met).to.equal(true);
    expect(s.tables[0]!.rows.length).to.be.greaterThan(0);
  });
});
