// The memory trace (FB_ADS_ELT_MEMORY_TRACE) is how issue 20's soak creep was pinned on memory malloc'd
// outside DuckDB's buffer pool: its kinds of mapping must be told apart as the kernel lists them.
import { expect } from 'chai';
import { DuckDbDestination } from '../../../connector/target/duckdb/destination.js';
import { memorySample, memoryTraceMs, residentByKind, startMemoryTrace } from '../../../connector/target/memory-trace.js';

/** One /proc/<pid>/smaps entry: its header line and its Rss (kB); the other fields are left out. */
const entry = (from: number, to: number, perms: string, name: string, rssKb: number): string => `${from.toString(16)}-${to.toString(16)} ${perms} 00000000 00:00 0          ${name}\nSize:   ${(to - from) / 1024} kB\nRss:   ${rssKb} kB\nPss:   ${rssKb} kB\n`;

const MIB = 1024 * 1024;
const ARENA = 0x7f0000000000; // 64 MiB-aligned, as glibc places a thread arena

describe('memory trace', () => {
  it('sorts resident memory into brk heap, glibc thread arenas, other anonymous and file pages', () => {
    const smaps = [
      entry(0x55aa00000000, 0x55aa00800000, 'rw-p', '[heap]', 2048),
      // A thread arena: its usable part at the aligned start, then the PROT_NONE rest (nothing resident).
      entry(ARENA, ARENA + 8 * MIB, 'rw-p', '', 3072),
      entry(ARENA + 8 * MIB, ARENA + 64 * MIB, '---p', '', 0),
      // Anonymous memory not aligned on 64 MiB (V8, jemalloc extents): not an arena.
      entry(ARENA + 65 * MIB, ARENA + 69 * MIB, 'rw-p', '', 1024),
      entry(0x7f1000000000, 0x7f1000100000, 'r-xp', '/usr/lib/libduckdb.so', 512),
      entry(0x7ffd00000000, 0x7ffd00021000, 'rw-p', '[stack]', 132),
    ].join('');
    expect(residentByKind(smaps)).to.deep.equal({ brk_heap: 2048 * 1024, glibc_arenas: 3072 * 1024, glibc_arena_count: 1, other_anon: (1024 + 132) * 1024, file: 512 * 1024 });
  });

  it('is off unless the environment gives a period of at least 10 ms', () => {
    expect(memoryTraceMs({})).to.equal(undefined);
    expect(memoryTraceMs({ FB_ADS_ELT_MEMORY_TRACE: 'yes' })).to.equal(undefined);
    expect(memoryTraceMs({ FB_ADS_ELT_MEMORY_TRACE: '5' })).to.equal(undefined);
    expect(memoryTraceMs({ FB_ADS_ELT_MEMORY_TRACE: '250' })).to.equal(250);
  });

  it('samples the process, the reading thread and the destination in MiB', async () => {
    const s = await memorySample(async () => ({ IN_MEMORY_TABLE: 3 * MIB }));
    expect(s['destination']).to.deep.equal({ IN_MEMORY_TABLE: 3 });
    const proc = s['process'] as Record<string, number>;
    expect(proc['rss']).to.be.greaterThan(10);
    expect((s['main_thread'] as Record<string, number>)['heapUsed']).to.be.greaterThan(1);
    // On Linux (CI, this machine) the kernel's figures are there too.
    expect(proc['VmRSS']).to.be.greaterThan(10);
    expect(proc['Threads']).to.be.at.least(1);
  });

  it('writes JSON lines while on and stops when asked', async () => {
    const saved = process.env['FB_ADS_ELT_MEMORY_TRACE'];
    process.env['FB_ADS_ELT_MEMORY_TRACE'] = '10';
    const lines: string[] = [];
    try {
      const stop = startMemoryTrace(
        async () => ({}),
        (l) => lines.push(l),
      );
      await new Promise((r) => setTimeout(r, 80));
      await stop();
      const n = lines.length;
      await new Promise((r) => setTimeout(r, 40));
      expect(n).to.be.greaterThan(0);
      expect(lines.length).to.equal(n);
      expect(JSON.parse(lines[0]!)).to.include({ level: 'debug', msg: 'memory trace' });
    } finally {
      if (saved === undefined) delete process.env['FB_ADS_ELT_MEMORY_TRACE'];
      else process.env['FB_ADS_ELT_MEMORY_TRACE'] = saved;
    }
  });

  it("reads DuckDB's duckdb_memory() by tag beside a commit's connection", async function () {
    this.timeout(20_000);
    const dest = new DuckDbDestination({ path: ':memory:', dataset: 'trace' });
    await dest.open();
    try {
      await dest.query("CREATE TABLE trace.t AS SELECT range AS n, repeat('x', 100) AS s FROM range(100000)");
      const stats = await dest.memoryStats();
      // An in-memory table's rows are held by DuckDB's buffer manager under its own tag.
      expect(stats['IN_MEMORY_TABLE']).to.be.greaterThan(1024 * 1024);
      expect(Object.values(stats).every((v) => Number.isFinite(v) && v > 0)).to.equal(true);
    } finally {
      await dest.close();
    }
  });
});
