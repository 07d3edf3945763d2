// Target throughput and memory: insights_ad-shaped Singer input written to a file first, then
// `target-bigquery --config` (DuckDB) reads it from stdin as a child process. Baselines from the
// same run: a bare Node reader that only JSON.parses each line (the floor any target pays), and
// the target on a 0-row input (its fixed start-up cost).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../connector/core/config.js';
import { runChild, type ChildRun } from '../proc.js';
import { check, fmtBytes, fmtMs, fmtNum, fmtRatio, ratio, type Section } from '../report.js';
import { writeInsightsInput } from '../singer-input.js';

export interface TargetBenchOptions {
  sizes: number[];
  /** Extra run at the smallest size with this batch_bytes (shows what bounds memory, cheaply). */
  smallBatchBytes?: number;
  timeoutMs?: number;
}

export interface TargetRun {
  rows: number;
  inputBytes: number;
  run: ChildRun;
  commitMs: number;
  batches: number;
}

const FLOOR_READER = `const rl=require('node:readline').createInterface({input:process.stdin,crlfDelay:Infinity});let n=0;rl.on('line',(l)=>{if(l)JSON.parse(l);n++});rl.on('close',()=>process.stdout.write(n+'\\n'));`;

/** Sum of the target's batch_commit_ms metrics (its stderr JSON lines) and the batch count. */
export function commitTime(stderr: string): { ms: number; batches: number } {
  let ms = 0;
  let batches = 0;
  for (const line of stderr.split('\n')) {
    if (!line.includes('"batch_commit_ms"')) continue;
    try {
      const o = JSON.parse(line) as { metric?: string; value?: unknown };
      if (o.metric === 'batch_commit_ms' && typeof o.value === 'number') {
        ms += o.value;
        batches++;
      }
    } catch {
      // a torn line: skip it, the wall time still counts everything
    }
  }
  return { ms, batches };
}

async function runTarget(dir: string, input: string, rows: number, inputBytes: number, extra: Record<string, unknown>, timeoutMs: number): Promise<TargetRun> {
  const db = join(dir, `w-${rows}-${Object.keys(extra).length}.duckdb`);
  const cfg = join(dir, `target-${rows}.json`);
  writeFileSync(cfg, JSON.stringify({ destination: 'duckdb', duckdb_path: db, temp_dir: dir, ...extra }));
  const run = await runChild(process.execPath, { args: [join(REPO_ROOT, 'bin/target-bigquery.js'), '--config', cfg], stdinFile: input, cwd: REPO_ROOT, timeoutMs });
  if (run.code !== 0) throw new Error(`target-bigquery exited ${run.code ?? run.signal} on ${rows} rows: ${run.stderr.slice(-2000)}`);
  rmSync(db, { force: true });
  rmSync(`${db}.wal`, { force: true });
  const c = commitTime(run.stderr);
  return { rows, inputBytes, run, commitMs: c.ms, batches: c.batches };
}

export async function targetBench(opts: TargetBenchOptions): Promise<Section & { runs: TargetRun[] }> {
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'fb-ads-elt-bench-target-'));
  const timeoutMs = opts.timeoutMs ?? 300_000;
  try {
    const empty = join(dir, 'in-0.jsonl');
    const emptyBytes = await writeInsightsInput(empty, 0);
    const startup = await runTarget(dir, empty, 0, emptyBytes, {}, timeoutMs);
    const runs: TargetRun[] = [];
    const floors: ChildRun[] = [];
    let variant: TargetRun | undefined;
    const smallest = Math.min(...opts.sizes);
    for (const n of opts.sizes) {
      const input = join(dir, `in-${n}.jsonl`);
      const bytes = await writeInsightsInput(input, n);
      floors.push(await runChild(process.execPath, { args: ['-e', FLOOR_READER], stdinFile: input, timeoutMs }));
      runs.push(await runTarget(dir, input, n, bytes, {}, timeoutMs));
      if (n === smallest && opts.smallBatchBytes) variant = await runTarget(dir, input, n, bytes, { batch_bytes: opts.smallBatchBytes }, timeoutMs);
      rmSync(input, { force: true });
    }
    const rowsPerSec = (r: TargetRun) => r.rows / (r.run.wallMs / 1000);
    const steady = (r: TargetRun) => r.rows / (Math.max(1, r.run.wallMs - startup.run.wallMs) / 1000);
    const table = {
      head: ['rows', 'input', 'wall', 'rows/s (wall)', 'rows/s (minus start-up)', 'in DuckDB commits', 'batches', 'peak RSS', 'parse-only floor rows/s', 'target ÷ floor', 'RSS ÷ 0-row run'],
      rows: runs.map((r, i) => {
        const floor = floors[i]!;
        const floorRate = r.rows / (floor.wallMs / 1000);
        return [
          fmtNum(r.rows),
          fmtBytes(r.inputBytes),
          fmtMs(r.run.wallMs),
          fmtNum(rowsPerSec(r)),
          fmtNum(steady(r)),
          `${fmtMs(r.commitMs)} (${Math.round((100 * r.commitMs) / r.run.wallMs)} %)`,
          String(r.batches),
          fmtBytes(r.run.peakRssBytes),
          fmtNum(floorRate),
          fmtRatio(ratio(rowsPerSec(r), floorRate)),
          fmtRatio(ratio(r.run.peakRssBytes, startup.run.peakRssBytes)),
        ];
      }),
    };
    const tables = [table];
    if (variant) {
      tables.push({
        head: [`${fmtNum(runs[0]!.rows)} rows, batch_bytes`, 'wall', 'rows/s', 'batches', 'peak RSS', 'RSS ÷ default batch_bytes run'],
        rows: [
          ['default (100 MiB)', fmtMs(runs[0]!.run.wallMs), fmtNum(rowsPerSec(runs[0]!)), String(runs[0]!.batches), fmtBytes(runs[0]!.run.peakRssBytes), '1.00×'],
          [fmtBytes(opts.smallBatchBytes!), fmtMs(variant.run.wallMs), fmtNum(rowsPerSec(variant)), String(variant.batches), fmtBytes(variant.run.peakRssBytes), fmtRatio(ratio(variant.run.peakRssBytes, runs[0]!.run.peakRssBytes))],
        ],
      });
    }
    const big = runs[runs.length - 1]!;
    const bestRate = Math.max(...runs.map(steady));
    const peak = Math.max(...runs.map((r) => r.run.peakRssBytes));
    const small = runs[0]!;
    const commitShare = big.commitMs / big.run.wallMs;
    const checks = [
      check('≥ 50,000 insights rows/s into DuckDB (2-core machine)', `${fmtNum(rowsPerSec(big))} rows/s at ${fmtNum(big.rows)} rows (${fmtNum(bestRate)} best without start-up)`, rowsPerSec(big) >= 50_000, {
        why: `the target spends ${Math.round(commitShare * 100)} % of the wall time inside DuckDB batch commits (a batch whose keys are all new and distinct is inserted straight from its NDJSON file; otherwise it is staged and MERGEd within its date_start range) and the rest in its Node message loop (read → JSON.parse → ajv validation → row mapping → NDJSON re-serialisation), all on one thread; each row is ~${fmtBytes(big.inputBytes / Math.max(1, big.rows))} of JSON (tap-shaped insights_ad lines), and the parse-only floor (JSON.parse alone, no validation, no database) on this machine in this run is ${fmtNum(big.rows / (floors[floors.length - 1]!.wallMs / 1000))} rows/s${big.rows / (floors[floors.length - 1]!.wallMs / 1000) < 50_000 ? ', itself below 50,000' : ''}`,
        close:
          'measured per row in CPU on this machine (2026-11-30): JSON.parse ~17 µs, ajv ~14 µs, row mapping ~17 µs, NDJSON write ~12 µs, DuckDB insert from the file ~44 µs; 50,000 rows/s on 2 cores leaves 40 µs of CPU per row for all of it. What remains: have DuckDB read the Singer lines themselves (no re-serialisation in Node), and parse/validate in worker threads so Node overlaps DuckDB.',
      }),
      check(`peak RSS flat across sizes and < 300 MB`, `${fmtBytes(small.run.peakRssBytes)} at ${fmtNum(small.rows)} → ${fmtBytes(big.run.peakRssBytes)} at ${fmtNum(big.rows)}`, peak < 300 * 1024 * 1024 && big.run.peakRssBytes <= small.run.peakRssBytes * 1.5, {
        why:
          `${fmtBytes(startup.run.peakRssBytes)} for an empty load, ${fmtBytes(small.run.peakRssBytes)} at ${fmtNum(small.rows)}, ${fmtBytes(big.run.peakRssBytes)} at ${fmtNum(big.rows)}. The Node side streams (batches are NDJSON files on disk; its V8 heap stays under ~70 MiB)` +
          (variant ? `, and at ${fmtNum(runs[0]!.rows)} rows batch_bytes ${fmtBytes(opts.smallBatchBytes!)} (${variant.batches} batches) peaked at ${fmtBytes(variant.run.peakRssBytes)} vs ${fmtBytes(runs[0]!.run.peakRssBytes)} with the default` : '') +
          '. The rest is DuckDB in the target process: its buffer pool up to duckdb_memory_limit (256MB by default) plus what read_json allocates outside it per batch (JSON buffers per thread, freed memory the C allocator keeps).',
        close:
          'a lower duckdb_memory_limit: 128MB keeps RSS lower but a 100 MiB batch then fails with Out of Memory inside read_json (measured), so the default stays at 256MB; smaller batches (batch_bytes) and an allocator that returns freed memory (MALLOC_TRIM_THRESHOLD_/MALLOC_MMAP_THRESHOLD_ in the environment: 560 → ~500 MiB at 100k rows, measured) each take some off.',
      }),
    ];
    const rowBytes = big.inputBytes / Math.max(1, big.rows);
    const notes = [
      ...(big.rows < 1_000_000
        ? [
            `1,000,000 rows were not run: at the ${fmtNum(rowsPerSec(big))} rows/s measured here it would take ${fmtMs((1_000_000 / rowsPerSec(big)) * 1000)} of the 10-minute budget. A batch of this row shape (~${fmtBytes(rowBytes)} per row) flushes every ~${fmtNum(104_857_600 / rowBytes)} rows at the default batch_bytes, so the ${fmtNum(big.rows)}-row run already covers ${big.batches} flushes. Whether RSS keeps climbing past it is what a 1M run would show; since it follows table size (see above), expect it to.`,
          ]
        : []),
      `0-row run (SCHEMA + STATE only): ${fmtMs(startup.run.wallMs)} wall, ${fmtBytes(startup.run.peakRssBytes)} peak RSS; that is Node + module loading + DuckDB load/open/close, paid once per run.`,
      'The parse-only floor is `node -e` with readline + JSON.parse on the same file through the same stdin pipe; "target ÷ floor" is the fraction of that floor the target reaches.',
    ];
    const findings = [
      `connector/target (loader.ts + duckdb/destination.ts): ${fmtNum(rowsPerSec(big))} insights_ad rows/s at ${fmtNum(big.rows)} rows of ~${fmtBytes(rowBytes)}, ${Math.round(commitShare * 100)} % of it inside DuckDB batch commits (insert straight from the NDJSON batch when its keys are new, else stage + MERGE within the batch's date range); the Node side (read, JSON.parse, ajv, toRow, NDJSON re-serialisation) is the rest. The parse-only floor on the same input is ${fmtNum(big.rows / (floors[floors.length - 1]!.wallMs / 1000))} rows/s.`,
      `connector/target/duckdb/destination.ts (duckdb_memory_limit 256MB, in the target process): peak RSS ${fmtBytes(small.run.peakRssBytes)} at ${fmtNum(small.rows)} rows → ${fmtBytes(big.run.peakRssBytes)} at ${fmtNum(big.rows)} rows` +
        (variant ? ` (batch_bytes ${fmtBytes(opts.smallBatchBytes!)} at ${fmtNum(runs[0]!.rows)} rows: ${fmtBytes(variant.run.peakRssBytes)}, ${fmtRatio(ratio(variant.run.peakRssBytes, runs[0]!.run.peakRssBytes))} of the default).` : '.'),
      `bin/target-bigquery.js: a 0-row input (SCHEMA + STATE) takes ${fmtMs(startup.run.wallMs)} and ${fmtBytes(startup.run.peakRssBytes)}, paid by every run: Node, module loading, loading DuckDB and opening the file.`,
    ];
    return {
      findings,
      title: 'Target: insights rows/s into DuckDB and peak RSS',
      setup: `Synthetic insights_ad records shaped like the tap's output (schema and keys from catalog.json, ${fmtNum(6720)} ads × consecutive days; five engagement actions with their cost per action, conversions split by attribution window on 4 rows in 10, video percentiles on 4 in 7; ~${fmtBytes(runs[runs.length - 1]!.inputBytes / Math.max(1, runs[runs.length - 1]!.rows))} a line) written to a file, then piped into \`target-bigquery --config\` (DuckDB, default config: batch_rows 100k, batch_bytes 100 MiB, duckdb_memory_limit 256MB, validation and history on). Peak RSS is the child's ru_maxrss from GNU time (VmHWM from /proc/<pid>/status, polled, where GNU time is missing).`,
      tables,
      checks,
      notes,
      seconds: (performance.now() - started) / 1000,
      runs,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
