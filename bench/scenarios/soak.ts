// Memory soak: one long `target-bigquery` run at its default config into a DuckDB table that grows
// to millions of rows, the input generated while the target reads it (no multi-GB file). The
// target's resident memory is sampled throughout beside the rows it has committed (the STATE lines
// it emits after each commit carry the generator's row count), so the section shows whether memory
// follows the table's size or stays flat, and that the default duckdb_memory_limit survives it.
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { REPO_ROOT } from '../../connector/core/config.js';
import { DEFAULT_DUCKDB_MEMORY_LIMIT, loadTargetConfig } from '../../connector/target/config.js';
import { readStatusBytes, runChild, type ChildRun } from '../proc.js';
import { check, fmtBytes, fmtMs, fmtNum, fmtRatio, ratio, type Section } from '../report.js';
import { insightsAdRecord, insightsAdSchema } from '../singer-input.js';
import { TARGET_ARGS, TARGET_NODE } from '../target-command.js';

export interface SoakOptions {
  rows: number;
  /** A STATE line after every this many records (the target releases it once they are committed). */
  stateEvery: number;
  sampleMs?: number;
  timeoutMs?: number;
}

/** One sample of the running target: time since start, resident memory, rows committed, database size. */
export interface SoakSample {
  ms: number;
  rssBytes: number;
  committed: number;
  dbBytes: number;
}

/** The growth the "flat" verdict allows between the second fifth of the run and the last (warm-up excluded). */
export const FLAT_RATIO = 1.15;

const EXTRACTED_AT = '2026-11-20T12:00:00.000Z';
/** Lines joined per chunk handed to the pipe (one write per line would cost more than the target's read). */
const CHUNK_LINES = 64;

/**
 * SCHEMA, `rows` insights_ad RECORDs and a STATE `{ soak: { rows: n } }` after every `stateEvery` of
 * them and at the end. The records of day 0 (one per ad) are built once and each later day reuses
 * their text with its own date, so generating the input costs the bench process ~1 µs a row
 * instead of competing with the target for the CPU (every key stays distinct: ad × day).
 */
export function soakInput(rows: number, stateEvery: number, ads = 6720): Readable {
  const { schema, keys } = insightsAdSchema();
  const state = (n: number): string => JSON.stringify({ type: 'STATE', value: { soak: { rows: n } } });
  const day0 = (insightsAdRecord(0, ads, EXTRACTED_AT) as { date_start: string }).date_start;
  const quoted = `"${day0}"`;
  const templates = Array.from({ length: Math.min(ads, rows) }, (_, ad) => JSON.stringify({ type: 'RECORD', stream: 'insights_ad', record: insightsAdRecord(ad, ads, EXTRACTED_AT), time_extracted: EXTRACTED_AT }).split(quoted));
  function* lines(): Generator<string> {
    let chunk = [JSON.stringify({ type: 'SCHEMA', stream: 'insights_ad', schema, key_properties: keys, bookmark_properties: ['date_start'] })];
    let date = quoted;
    for (let i = 0; i < rows; i++) {
      const ad = i % ads;
      if (ad === 0) date = `"${new Date(Date.parse(`${day0}T00:00:00Z`) + (i / ads) * 86_400_000).toISOString().slice(0, 10)}"`;
      chunk.push(templates[ad]!.join(date));
      if ((i + 1) % stateEvery === 0 && i + 1 < rows) chunk.push(state(i + 1));
      if (chunk.length >= CHUNK_LINES) {
        yield chunk.join('\n') + '\n';
        chunk = [];
      }
    }
    chunk.push(state(rows));
    yield chunk.join('\n') + '\n';
  }
  return Readable.from(lines(), { objectMode: false });
}

/** Rows committed as a STATE line the target emitted says (undefined for any other line). */
export function committedRows(line: string): number | undefined {
  if (!line.includes('"soak"')) return undefined;
  try {
    const v = (JSON.parse(line) as { soak?: { rows?: unknown } }).soak?.rows;
    return typeof v === 'number' ? v : undefined;
  } catch {
    return undefined;
  }
}

const sizeOf = (file: string): number => {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
};

/** Peak RSS of the samples taken while the committed rows were in (from, to]. */
const peakWhile = (samples: SoakSample[], from: number, to: number): number => Math.max(0, ...samples.filter((s) => s.committed > from && s.committed <= to).map((s) => s.rssBytes));

export async function soakBench(opts: SoakOptions): Promise<Section & { samples: SoakSample[]; run: ChildRun; committed: number }> {
  const started = performance.now();
  const dir = mkdtempSync(join(os.tmpdir(), 'fb-ads-elt-bench-soak-'));
  try {
    const db = join(dir, 'soak.duckdb');
    const cfg = join(dir, 'target.json');
    writeFileSync(cfg, JSON.stringify({ destination: 'duckdb', duckdb_path: db, temp_dir: dir }));
    const defaults = loadTargetConfig(cfg).config;
    const samples: SoakSample[] = [];
    let committed = 0;
    /** When each STATE arrived (ms since start) and the rows it says are committed. */
    const commits: Array<{ ms: number; rows: number }> = [];
    let timer: NodeJS.Timeout | undefined;
    const t0 = performance.now();
    const run = await runChild(TARGET_NODE, {
      args: [...TARGET_ARGS, '--config', cfg],
      stdin: soakInput(opts.rows, opts.stateEvery),
      cwd: REPO_ROOT,
      // Without GNU time the pid is the target's own, so its /proc entry can be sampled.
      procPollOnly: true,
      timeoutMs: opts.timeoutMs ?? 3_600_000,
      onSpawn: (pid) => {
        timer = setInterval(() => {
          const rss = readStatusBytes(pid, 'VmRSS');
          if (rss !== undefined) samples.push({ ms: performance.now() - t0, rssBytes: rss, committed, dbBytes: sizeOf(db) });
        }, opts.sampleMs ?? 1000);
      },
      onLine: (line) => {
        const n = committedRows(line);
        if (n !== undefined && n > committed) {
          committed = n;
          commits.push({ ms: performance.now() - t0, rows: n });
        }
      },
    });
    if (timer) clearInterval(timer);
    const finalDb = sizeOf(db);
    const ok = run.code === 0 && committed === opts.rows;

    // One table row per tenth of the input (as commits allow): when it was committed, how fast since
    // the row before, the memory meanwhile and the database's size.
    const rows: string[][] = [];
    let prev = { ms: 0, rows: 0 };
    for (let k = 1; k <= 10; k++) {
      const at = commits.find((c) => c.rows >= Math.ceil((opts.rows * k) / 10));
      if (!at || at.rows <= prev.rows) continue;
      const inside = samples.filter((x) => x.ms > prev.ms && x.ms <= at.ms);
      const peak = Math.max(0, ...inside.map((x) => x.rssBytes));
      rows.push([fmtNum(at.rows), fmtMs(at.ms), fmtNum((at.rows - prev.rows) / Math.max(0.001, (at.ms - prev.ms) / 1000)), peak ? fmtBytes(peak) : 'n/a (no sample)', fmtBytes(inside.at(-1)?.dbBytes ?? 0)]);
      prev = at;
    }
    const fifth = opts.rows / 5;
    const early = peakWhile(samples, fifth, 2 * fifth);
    const late = peakWhile(samples, 4 * fifth, opts.rows);
    const growth = ratio(late, early);
    const settings = `duckdb_memory_limit ${defaults.duckdb_memory_limit ?? DEFAULT_DUCKDB_MEMORY_LIMIT}, batch_bytes ${fmtBytes(defaults.batch_bytes)}, batch_rows ${fmtNum(defaults.batch_rows)}`;
    const checks = [
      check(
        `completes ${fmtNum(opts.rows)} rows at the default config (${settings}) without running out of memory`,
        ok ? `exit 0, ${fmtNum(committed)} rows committed, ${fmtMs(run.wallMs)}` : `exit ${run.code ?? run.signal}, ${fmtNum(committed)} of ${fmtNum(opts.rows)} rows committed`,
        ok,
        {
          why:
            run.stderr
              .split('\n')
              .filter((l) => l.includes('"error"'))
              .slice(-1)[0]
              ?.slice(0, 600) ?? 'see the target log',
          close: 'raise duckdb_memory_limit or lower batch_bytes by default, whichever the error names',
        },
      ),
      check(
        `peak RSS flat as the table grows (last fifth ≤ ${FLAT_RATIO}× the second fifth)`,
        `${fmtBytes(early)} while rows ${fmtNum(fifth)}–${fmtNum(2 * fifth)} were committed → ${fmtBytes(late)} for the last fifth (${fmtRatio(growth)}); table file ${fmtBytes(finalDb)} at the end`,
        ok && growth !== undefined ? growth <= FLAT_RATIO : undefined,
        {
          why: `resident memory grew ${fmtRatio(growth)} between the second and the last fifth of the run while the table grew from ${fmtNum(2 * fifth)} to ${fmtNum(opts.rows)} rows. Measured 2026-11-30 (FB_ADS_ELT_MEMORY_TRACE, 2M rows): what grows is memory malloc'd outside DuckDB's buffer pool (glibc's heaps: ~11 MiB per million rows at 8,192-row groups, everything else flat), DuckDB's in-memory description of each row group written in the run (~60 KiB each, in proportion to the row groups, not to duckdb_memory_limit)`,
          close:
            "fewer, larger row groups (ROW_GROUP_ROWS in connector/target/duckdb/destination.ts: each doubling halves the growth, but at 16,384 a 32 MiB batch's rows stay in memory until COMMIT and the 1M-row peak rose), or a run that re-opens the database now and then (measured with DuckDB alone: about two thirds of the growth gone, at a cost in time)",
        },
      ),
    ];
    return {
      title: 'Memory soak: one long target run into a growing table',
      setup: `${fmtNum(opts.rows)} insights_ad records (the target scenario's tap-shaped rows, ~2 KiB a line; distinct keys: 6,720 ads × consecutive days) generated while \`target-bigquery --config\` reads them from stdin, at the default DuckDB config (${settings}, validation on), with a STATE after every ${fmtNum(opts.stateEvery)} records. The target's VmRSS is read from /proc every ${fmtMs(opts.sampleMs ?? 1000)}, beside the rows committed so far (the last STATE it emitted) and the database file's size.`,
      tables: [{ head: ['rows committed', 'elapsed', 'rows/s in this tenth', 'peak RSS in this tenth', 'database file'], rows }],
      checks,
      notes: [
        `Peak RSS of the whole run (VmHWM, polled): ${fmtBytes(run.peakRssBytes)}. ${samples.length} samples.`,
        'The input is generated in the bench process and piped, so the figures include no disk read of a Singer file; the rows per second are those of the target behind a pipe that is never empty.',
      ],
      seconds: (performance.now() - started) / 1000,
      samples,
      run,
      committed,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
