// Target throughput and memory: insights_ad-shaped Singer input written to a file first, then
// `target-bigquery --config` (DuckDB) reads it from stdin as a child process. Baselines from the
// same run on the same file: a bare Node reader that only JSON.parses each line (the floor any
// target pays), one that also validates each record against its SCHEMA (bench/validate-floor.ts:
// the floor any validating target pays), DuckDB's own bare load of the records into the table the
// target created (the ceiling no DuckDB target can pass on this machine; also on one DuckDB thread,
// its least CPU per row), DuckDB's write alone of those rows already in its memory (what any way of
// handing rows to DuckDB — read_json, an Appender, Arrow — still pays), DuckDB reading and checking
// the records itself (bench/duckdb-validate-floor.ts: the floor of validating outside JavaScript),
// DuckDB loading the Singer lines itself in the target's batches at its memory limit
// (bench/duckdb-batched-load.mjs: the floor of letting DuckDB map the records), and the target on a 0-row input (its fixed start-up cost).
import { copyFileSync, createReadStream, createWriteStream, existsSync, mkdtempSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import os from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../connector/core/config.js';
import { DEFAULT_DUCKDB_MEMORY_LIMIT, loadTargetConfig, type TargetConfig } from '../../connector/target/config.js';
import { duckType, ROW_GROUP_ROWS } from '../../connector/target/duckdb/types.js';
import { METADATA_NAMES, streamFields, toTableName } from '../../connector/target/fields.js';
import { assertIdentifier } from '../../connector/target/sql.js';
import { runChild, type ChildRun } from '../proc.js';
import { check, fmtBytes, fmtMs, fmtNum, fmtRatio, ratio, type Section } from '../report.js';
import { insightsAdSchema, writeInsightsInput } from '../singer-input.js';
import { TARGET_ARGS, TARGET_NODE } from '../target-command.js';

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

/** DuckDB's own bare load of one input file (CEILING_LOADER: bench/duckdb-bare-load.mjs). */
export interface CeilingRun {
  rows: number;
  run: ChildRun;
  /** DuckDB's version() as the loader saw it (the target's own @duckdb/node-api). */
  duckdb: string;
  /** DuckDB's threads setting for the load (undefined: DuckDB's default, one per core). */
  threads: number | undefined;
}

/** DuckDB writing rows it already holds in memory into the table, in the target's batches (WRITE_ONLY_LOADER: bench/duckdb-write-only.mjs). */
export interface WriteOnlyRun {
  rows: number;
  /** CPU (user + system, the whole process) spent on the INSERTs, COMMITs and the final CHECKPOINT only. */
  cpuMicros: number;
  batchRows: number;
  run: ChildRun;
}

/** bench/validate-floor.ts (or bench/duckdb-validate-floor.ts) on one input file: records parsed + validated, CPU spent on them. */
export interface ValidateFloorRun {
  rows: number;
  invalid: number;
  cpuMicros: number;
  run: ChildRun;
}

const FLOOR_READER = `const rl=require('node:readline').createInterface({input:process.stdin,crlfDelay:Infinity});let n=0;rl.on('line',(l)=>{if(l)JSON.parse(l);n++});rl.on('close',()=>process.stdout.write(n+'\\n'));`;

/**
 * The DuckDB loaders of the ceiling and the write-alone bound, each a plain .mjs file started by path
 * with plain node (no tsx), so their wall time and RSS are DuckDB's: argv and output in each file's header.
 */
export const CEILING_LOADER = join(REPO_ROOT, 'bench', 'duckdb-bare-load.mjs');
export const WRITE_ONLY_LOADER = join(REPO_ROOT, 'bench', 'duckdb-write-only.mjs');
export const BATCHED_LOADER = join(REPO_ROOT, 'bench', 'duckdb-batched-load.mjs');

/** The insights_ad columns the target created (no metadata columns) and its read_json of a Singer file's records. */
function recordsOf(singerFile: string, dataset: string, schema: Record<string, unknown>, stream: string): { table: string; columns: string; read: string } {
  const fields = streamFields(schema, { stream }).filter((f) => !METADATA_NAMES.has(f.name));
  const record = `STRUCT(${fields.map((f) => `"${assertIdentifier(f.name)}" ${duckType(f)}`).join(', ')})`;
  const table = `"${assertIdentifier(dataset.toLowerCase())}"."${assertIdentifier(toTableName(stream))}"`;
  const file = singerFile.replace(/'/g, "''");
  const read = `read_json('${file}', format = 'newline_delimited', columns = {type: 'VARCHAR', stream: 'VARCHAR', record: '${record}'}) WHERE type = 'RECORD'`;
  return { table, columns: fields.map((f) => `"${f.name}"`).join(', '), read };
}

/** The write-only loader's two statements: the records into temp table `m` (numbered), then one batch ($lo, $hi] of them into the table. */
export function writeOnlySql(singerFile: string, dataset: string, schema: Record<string, unknown>, stream = 'insights_ad'): { stage: string; insert: string } {
  const r = recordsOf(singerFile, dataset, schema, stream);
  return {
    stage: `CREATE TEMP TABLE m AS SELECT row_number() OVER () AS rn, record.* FROM ${r.read}`,
    insert: `INSERT INTO ${r.table} (${r.columns}) SELECT ${r.columns} FROM temp.main.m WHERE rn > $lo AND rn <= $hi`,
  };
}

/**
 * The ceiling's SQL: the insights_ad records of a Singer file straight into `table` (the one the
 * target created, its columns typed by the target's own mapping), nothing else — no validation,
 * no exactly-once bookkeeping, no metadata columns.
 */
export function bareLoadSql(singerFile: string, dataset: string, schema: Record<string, unknown>, stream = 'insights_ad'): string {
  const r = recordsOf(singerFile, dataset, schema, stream);
  return `INSERT INTO ${r.table} (${r.columns}) SELECT record.* FROM ${r.read}`;
}

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

/** CPU microseconds (user + system) per row, or undefined without GNU time or rows. */
export function cpuMicrosPerRow(run: ChildRun, rows: number): number | undefined {
  return run.cpuSeconds === undefined || rows <= 0 ? undefined : (run.cpuSeconds * 1e6) / rows;
}

const fmtMicros = (us: number | undefined): string => (us === undefined ? 'n/a' : `${fmtNum(us)} µs`);

/** The database a target run left, and the configuration it ran with (defaults filled in). */
interface TargetDb {
  path: string;
  config: TargetConfig;
}

async function runTarget(dir: string, input: string, rows: number, inputBytes: number, extra: Record<string, unknown>, timeoutMs: number, keep?: (db: TargetDb) => void): Promise<TargetRun> {
  const db = join(dir, `w-${rows}-${Object.keys(extra).length}.duckdb`);
  const cfg = join(dir, `target-${rows}.json`);
  writeFileSync(cfg, JSON.stringify({ destination: 'duckdb', duckdb_path: db, temp_dir: dir, ...extra }));
  const run = await runChild(TARGET_NODE, { args: [...TARGET_ARGS, '--config', cfg], stdinFile: input, cwd: REPO_ROOT, timeoutMs });
  if (run.code !== 0) throw new Error(`target-bigquery exited ${run.code ?? run.signal} on ${rows} rows: ${run.stderr.slice(-2000)}`);
  if (keep) keep({ path: db, config: loadTargetConfig(cfg).config });
  else {
    rmSync(db, { force: true });
    rmSync(`${db}.wal`, { force: true });
  }
  const c = commitTime(run.stderr);
  return { rows, inputBytes, run, commitMs: c.ms, batches: c.batches };
}

/** DuckDB's bare load of `input` into a copy of the database the 0-row target run left (its empty table). */
async function runCeiling(dir: string, empty: TargetDb, input: string, rows: number, timeoutMs: number, threads?: number): Promise<CeilingRun> {
  const db = join(dir, `ceiling-${rows}-${threads ?? 'default'}.duckdb`);
  copyFileSync(empty.path, db);
  if (existsSync(`${empty.path}.wal`)) copyFileSync(`${empty.path}.wal`, `${db}.wal`);
  const sql = bareLoadSql(input, empty.config.dataset, insightsAdSchema().schema);
  let out = '';
  const run = await runChild(process.execPath, { args: [CEILING_LOADER, db, sql, ...(threads ? [String(threads)] : [])], cwd: REPO_ROOT, timeoutMs, onLine: (l) => (out ||= l) });
  rmSync(db, { force: true });
  rmSync(`${db}.wal`, { force: true });
  if (run.code !== 0) throw new Error(`DuckDB's bare load exited ${run.code ?? run.signal} on ${rows} rows: ${run.stderr.slice(-2000)}`);
  const result = JSON.parse(out) as { rows: number; version: string };
  if (result.rows !== rows) throw new Error(`DuckDB's bare load inserted ${result.rows} rows of ${rows}`);
  return { rows, run, duckdb: result.version, threads };
}

/** DuckDB's write alone of `input`'s records, in batches of `batchRows`, into a copy of the 0-row run's database. */
async function runWriteOnly(dir: string, empty: TargetDb, input: string, rows: number, batchRows: number, timeoutMs: number): Promise<WriteOnlyRun> {
  const db = join(dir, `write-only-${rows}.duckdb`);
  copyFileSync(empty.path, db);
  if (existsSync(`${empty.path}.wal`)) copyFileSync(`${empty.path}.wal`, `${db}.wal`);
  const sql = writeOnlySql(input, empty.config.dataset, insightsAdSchema().schema);
  let out = '';
  const run = await runChild(process.execPath, { args: [WRITE_ONLY_LOADER, db, String(ROW_GROUP_ROWS), sql.stage, sql.insert, String(batchRows)], cwd: REPO_ROOT, timeoutMs, onLine: (l) => (out ||= l) });
  rmSync(db, { force: true });
  rmSync(`${db}.wal`, { force: true });
  if (run.code !== 0) throw new Error(`DuckDB's write-only load exited ${run.code ?? run.signal} on ${rows} rows: ${run.stderr.slice(-2000)}`);
  const result = JSON.parse(out) as { rows: number; cpuMicros: number };
  if (result.rows !== rows) throw new Error(`DuckDB's write-only load inserted ${result.rows} rows of ${rows}`);
  return { rows, cpuMicros: result.cpuMicros, batchRows, run };
}

/** DuckDB's bare load of `input`'s records in the target's batches (files of `batchRows` RECORD lines), one thread, under `memoryLimit`. */
async function runBatchedCeiling(dir: string, empty: TargetDb, input: string, rows: number, batchRows: number, memoryLimit: string, timeoutMs: number): Promise<WriteOnlyRun> {
  const db = join(dir, `batched-${rows}.duckdb`);
  copyFileSync(empty.path, db);
  if (existsSync(`${empty.path}.wal`)) copyFileSync(`${empty.path}.wal`, `${db}.wal`);
  const files = await splitRecords(input, join(dir, `batched-${rows}`), batchRows);
  const schema = insightsAdSchema().schema;
  const statements = files.map((f) => bareLoadSql(f, empty.config.dataset, schema));
  let out = '';
  const run = await runChild(process.execPath, { args: [BATCHED_LOADER, db, String(ROW_GROUP_ROWS), memoryLimit, JSON.stringify(statements)], cwd: REPO_ROOT, timeoutMs, onLine: (l) => (out ||= l) });
  for (const f of [...files, db, `${db}.wal`, `${db}.tmp`]) rmSync(f, { recursive: true, force: true });
  if (run.code !== 0) throw new Error(`DuckDB's batched bare load exited ${run.code ?? run.signal} on ${rows} rows: ${run.stderr.slice(-2000)}`);
  const result = JSON.parse(out) as { rows: number; cpuMicros: number };
  if (result.rows !== rows) throw new Error(`DuckDB's batched bare load inserted ${result.rows} rows of ${rows}`);
  return { rows, cpuMicros: result.cpuMicros, batchRows, run };
}

/** Writes the RECORD lines of a Singer file into files of `perFile` lines (`<prefix>-<k>.jsonl`); returns their paths. */
export async function splitRecords(input: string, prefix: string, perFile: number): Promise<string[]> {
  const paths: string[] = [];
  let out: WriteStream | undefined;
  let inFile = 0;
  for await (const line of createInterface({ input: createReadStream(input), crlfDelay: Infinity })) {
    if (!line.startsWith('{"type":"RECORD"')) continue;
    if (!out || inFile === perFile) {
      if (out) await closeStream(out);
      paths.push(`${prefix}-${paths.length}.jsonl`);
      out = createWriteStream(paths[paths.length - 1]!);
      inFile = 0;
    }
    if (!out.write(`${line}\n`)) await once(out, 'drain');
    inFile++;
  }
  if (out) await closeStream(out);
  return paths;
}

const closeStream = (s: WriteStream): Promise<void> => new Promise((res, rej) => s.end((err?: Error | null) => (err ? rej(err) : res())));

/**
 * A floor script on `input` (through tsx, as the bench itself runs): bench/validate-floor.ts reads
 * it on stdin, bench/duckdb-validate-floor.ts (`inDuckDb`) has DuckDB read the file on one thread.
 * Throws unless every record was read and valid.
 */
async function runValidateFloor(input: string, rows: number, timeoutMs: number, how: 'js' | 'fast' | 'duckdb' = 'js'): Promise<ValidateFloorRun> {
  let out = '';
  const inDuckDb = how === 'duckdb';
  const what = inDuckDb ? 'the validate-in-DuckDB floor' : how === 'fast' ? "the target's fast path alone" : 'the parse + validate floor';
  const args = inDuckDb ? ['--import', 'tsx', join(REPO_ROOT, 'bench', 'duckdb-validate-floor.ts'), input, '1'] : ['--import', 'tsx', join(REPO_ROOT, 'bench', 'validate-floor.ts'), ...(how === 'fast' ? ['--fast'] : [])];
  const run = await runChild(process.execPath, { args, ...(inDuckDb ? {} : { stdinFile: input }), cwd: REPO_ROOT, timeoutMs, onLine: (l) => (out ||= l) });
  if (run.code !== 0) throw new Error(`${what} exited ${run.code ?? run.signal} on ${rows} rows: ${run.stderr.slice(-2000)}`);
  const r = JSON.parse(out) as { rows: number; invalid: number; cpuMicros: number };
  if (r.rows !== rows || r.invalid !== 0) throw new Error(`${what} read ${r.rows} records of ${rows}, ${r.invalid} invalid`);
  return { ...r, run };
}

export async function targetBench(opts: TargetBenchOptions): Promise<Section & { runs: TargetRun[]; ceilings: CeilingRun[] }> {
  const started = performance.now();
  const dir = mkdtempSync(join(os.tmpdir(), 'fb-ads-elt-bench-target-'));
  const timeoutMs = opts.timeoutMs ?? 300_000;
  const cores = os.availableParallelism();
  try {
    const empty = join(dir, 'in-0.jsonl');
    const emptyBytes = await writeInsightsInput(empty, 0);
    let emptyDb: TargetDb | undefined;
    const startup = await runTarget(dir, empty, 0, emptyBytes, {}, timeoutMs, (db) => (emptyDb = db));
    const defaults = emptyDb!.config;
    const runs: TargetRun[] = [];
    const floors: ChildRun[] = [];
    const ceilings: CeilingRun[] = [];
    const oneThread: CeilingRun[] = [];
    const validating: ValidateFloorRun[] = [];
    const validatingInDuckDb: ValidateFloorRun[] = [];
    const fastPath: ValidateFloorRun[] = [];
    const writeOnly: WriteOnlyRun[] = [];
    const batched: WriteOnlyRun[] = [];
    const memoryLimit = defaults.duckdb_memory_limit ?? DEFAULT_DUCKDB_MEMORY_LIMIT;
    let variant: TargetRun | undefined;
    const smallest = Math.min(...opts.sizes);
    for (const n of opts.sizes) {
      const input = join(dir, `in-${n}.jsonl`);
      const bytes = await writeInsightsInput(input, n);
      floors.push(await runChild(process.execPath, { args: ['-e', FLOOR_READER], stdinFile: input, timeoutMs }));
      validating.push(await runValidateFloor(input, n, timeoutMs));
      validatingInDuckDb.push(await runValidateFloor(input, n, timeoutMs, 'duckdb'));
      fastPath.push(await runValidateFloor(input, n, timeoutMs, 'fast'));
      ceilings.push(await runCeiling(dir, emptyDb!, input, n, timeoutMs));
      oneThread.push(await runCeiling(dir, emptyDb!, input, n, timeoutMs, 1));
      // The target's batches of this row shape: whichever of batch_rows and batch_bytes fills first.
      const batchRows = Math.max(1, Math.min(defaults.batch_rows, Math.floor(defaults.batch_bytes / Math.max(1, bytes / Math.max(1, n)))));
      writeOnly.push(await runWriteOnly(dir, emptyDb!, input, n, batchRows, timeoutMs));
      batched.push(await runBatchedCeiling(dir, emptyDb!, input, n, batchRows, memoryLimit, timeoutMs));
      runs.push(await runTarget(dir, input, n, bytes, {}, timeoutMs));
      if (n === smallest && opts.smallBatchBytes) variant = await runTarget(dir, input, n, bytes, { batch_bytes: opts.smallBatchBytes }, timeoutMs);
      rmSync(input, { force: true });
    }
    const GOAL = 50_000;
    // Issue 20's goal is in MB (10^6 bytes), as written: 286 MiB, the unit the tables report in.
    const PEAK_GOAL_BYTES = 300e6;
    const rate = (rows: number, run: ChildRun) => rows / (run.wallMs / 1000);
    const rowsPerSec = (r: TargetRun) => rate(r.rows, r.run);
    const steady = (r: TargetRun) => r.rows / (Math.max(1, r.run.wallMs - startup.run.wallMs) / 1000);
    const table = {
      head: ['rows', 'input', 'wall', 'rows/s (wall)', 'rows/s (minus start-up)', 'CPU per row', 'in batch commits (map + load; two overlap)', 'batches', 'peak RSS', 'parse-only floor rows/s', 'target ÷ floor', 'RSS ÷ 0-row run'],
      rows: runs.map((r, i) => {
        const floorRate = rate(r.rows, floors[i]!);
        return [
          fmtNum(r.rows),
          fmtBytes(r.inputBytes),
          fmtMs(r.run.wallMs),
          fmtNum(rowsPerSec(r)),
          fmtNum(steady(r)),
          fmtMicros(cpuMicrosPerRow(r.run, r.rows)),
          `${fmtMs(r.commitMs)} (${Math.round((100 * r.commitMs) / r.run.wallMs)} %)`,
          String(r.batches),
          fmtBytes(r.run.peakRssBytes),
          fmtNum(floorRate),
          fmtRatio(ratio(rowsPerSec(r), floorRate)),
          fmtRatio(ratio(r.run.peakRssBytes, startup.run.peakRssBytes)),
        ];
      }),
    };
    const ceilingTable = {
      head: ['rows', 'target rows/s', "DuckDB's bare load rows/s", 'target ÷ bare load (rows/s)', 'target CPU per row', 'bare load CPU per row', 'target CPU ÷ bare load', 'target peak RSS', 'bare load peak RSS'],
      rows: runs.map((r, i) => {
        const c = ceilings[i]!;
        const [tc, cc] = [cpuMicrosPerRow(r.run, r.rows), cpuMicrosPerRow(c.run, c.rows)];
        return [
          fmtNum(r.rows),
          fmtNum(rowsPerSec(r)),
          fmtNum(rate(c.rows, c.run)),
          fmtRatio(ratio(rowsPerSec(r), rate(c.rows, c.run))),
          fmtMicros(tc),
          fmtMicros(cc),
          fmtRatio(tc === undefined ? undefined : ratio(tc, cc)),
          fmtBytes(r.run.peakRssBytes),
          fmtBytes(c.run.peakRssBytes),
        ];
      }),
    };
    /** CPU per row the goal allows when every core is busy all the time. */
    const budget = (cores * 1e6) / GOAL;
    /** The bound's parts at size i: parse + validate, and DuckDB's write alone (rows already in its memory). */
    const floorCpu = (i: number): { validate: number; fast: number; duck: number; sum: number; fastSum: number; bareLoad: number | undefined } => {
      const validate = validating[i]!.cpuMicros / Math.max(1, validating[i]!.rows);
      const fast = fastPath[i]!.cpuMicros / Math.max(1, fastPath[i]!.rows);
      const duck = writeOnly[i]!.cpuMicros / Math.max(1, writeOnly[i]!.rows);
      return { validate, fast, duck, sum: validate + duck, fastSum: fast + duck, bareLoad: cpuMicrosPerRow(oneThread[i]!.run, oneThread[i]!.rows) };
    };
    const boundTable = {
      head: [
        'rows',
        'parse + validate, one thread (CPU per row)',
        "DuckDB's write alone, one thread (CPU per row)",
        'lower bound (sum)',
        `most rows/s the bound allows on ${cores} cores`,
        "the target's fast path instead: validation + the row written from the line's bytes, one thread (CPU per row)",
        'its bound (fast path + write alone)',
        `most rows/s it allows on ${cores} cores`,
        'target CPU per row',
        'target ÷ fast-path bound (CPU)',
        "for reference: DuckDB's bare load from the file, one thread",
        'rows per batch of the write alone',
      ],
      rows: runs.map((r, i) => {
        const f = floorCpu(i);
        const tc = cpuMicrosPerRow(r.run, r.rows);
        return [
          fmtNum(r.rows),
          fmtMicros(f.validate),
          fmtMicros(f.duck),
          fmtMicros(f.sum),
          fmtNum((cores * 1e6) / f.sum),
          fmtMicros(f.fast),
          fmtMicros(f.fastSum),
          fmtNum((cores * 1e6) / f.fastSum),
          fmtMicros(tc),
          fmtRatio(tc === undefined ? undefined : ratio(tc, f.fastSum)),
          fmtMicros(f.bareLoad),
          fmtNum(writeOnly[i]!.batchRows),
        ];
      }),
    };
    /** The same bound when DuckDB, not JavaScript, parses and checks the records. */
    const duckFloorCpu = (i: number): { validate: number; sum: number } => {
      const validate = validatingInDuckDb[i]!.cpuMicros / Math.max(1, validatingInDuckDb[i]!.rows);
      return { validate, sum: validate + floorCpu(i).duck };
    };
    const duckBoundTable = {
      head: ['rows', "validated in DuckDB instead: DuckDB's read + checks + casts, one thread (CPU per row)", "DuckDB's write alone, one thread (CPU per row)", 'lower bound (sum)', `most rows/s it allows on ${cores} cores`, 'JavaScript bound (sum, above)'],
      rows: runs.map((r, i) => {
        const f = duckFloorCpu(i);
        return [fmtNum(r.rows), fmtMicros(f.validate), fmtMicros(floorCpu(i).duck), fmtMicros(f.sum), fmtNum((cores * 1e6) / f.sum), fmtMicros(floorCpu(i).sum)];
      }),
    };
    /**
     * Letting DuckDB map the Singer lines itself, in the target's batches at its memory limit: the
     * load alone (no validation), then with each way of validating. The SQL checks' cost is what
     * the validate-in-DuckDB floor spends beyond DuckDB's plain read of the same file (its one-thread
     * bare load minus its write alone), as both read the file once.
     */
    const mapInDuckCpu = (i: number): { load: number; withJs: number; sqlChecks: number | undefined; withSql: number | undefined } => {
      const load = batched[i]!.cpuMicros / Math.max(1, batched[i]!.rows);
      const f = floorCpu(i);
      const sqlChecks = f.bareLoad === undefined ? undefined : Math.max(0, duckFloorCpu(i).validate - (f.bareLoad - f.duck));
      return { load, withJs: load + f.validate, sqlChecks, withSql: sqlChecks === undefined ? undefined : load + sqlChecks };
    };
    const mapInDuckTable = {
      head: [
        'rows',
        `DuckDB maps the Singer lines itself: its bare load in the target's batches at duckdb_memory_limit ${memoryLimit}, one thread (CPU per row)`,
        '+ validation in JavaScript (parse + ajv, above)',
        `most rows/s it allows on ${cores} cores`,
        "+ validation in SQL instead (the checks' share of the DuckDB floor above)",
        `most rows/s it allows on ${cores} cores`,
      ],
      rows: runs.map((r, i) => {
        const m = mapInDuckCpu(i);
        return [fmtNum(r.rows), fmtMicros(m.load), fmtMicros(m.withJs), fmtNum((cores * 1e6) / m.withJs), fmtMicros(m.withSql), m.withSql === undefined ? 'n/a' : fmtNum((cores * 1e6) / m.withSql)];
      }),
    };
    const tables = [table, ceilingTable, boundTable, duckBoundTable, mapInDuckTable];
    if (variant) {
      tables.push({
        head: [`${fmtNum(runs[0]!.rows)} rows, batch_bytes`, 'wall', 'rows/s', 'batches', 'peak RSS', 'RSS ÷ default batch_bytes run'],
        rows: [
          [`default (${fmtBytes(defaults.batch_bytes)})`, fmtMs(runs[0]!.run.wallMs), fmtNum(rowsPerSec(runs[0]!)), String(runs[0]!.batches), fmtBytes(runs[0]!.run.peakRssBytes), '1.00×'],
          [fmtBytes(opts.smallBatchBytes!), fmtMs(variant.run.wallMs), fmtNum(rowsPerSec(variant)), String(variant.batches), fmtBytes(variant.run.peakRssBytes), fmtRatio(ratio(variant.run.peakRssBytes, runs[0]!.run.peakRssBytes))],
        ],
      });
    }
    const last = runs.length - 1;
    const big = runs[last]!;
    const bigCeiling = ceilings[last]!;
    const bigRate = rowsPerSec(big);
    const ceilingRate = rate(bigCeiling.rows, bigCeiling.run);
    const floorRate = rate(big.rows, floors[last]!);
    const bestRate = Math.max(...runs.map(steady));
    const peak = Math.max(...runs.map((r) => r.run.peakRssBytes));
    const small = runs[0]!;
    const commitShare = big.commitMs / big.run.wallMs;
    const targetCpu = cpuMicrosPerRow(big.run, big.rows);
    const ceilingCpu = cpuMicrosPerRow(bigCeiling.run, bigCeiling.rows);
    const rowBytes = big.inputBytes / Math.max(1, big.rows);
    const bound = floorCpu(last);
    const boundRate = (cores * 1e6) / bound.sum;
    const duckBound = duckFloorCpu(last);
    const duckBoundRate = (cores * 1e6) / duckBound.sum;
    const bigMap = mapInDuckCpu(last);
    const mapBest = Math.min(bigMap.withJs, bigMap.withSql ?? Infinity);
    /** Any target reads stdin and cuts it into batches: the target's reading thread, profiled on 2026-12-01 (--cpu-prof, 300k rows). */
    const READING_US = 4;
    const mapRateRead = (cores * 1e6) / (mapBest + READING_US);
    const boundText =
      `A lower bound measured in this run on the same file: parsing and validating each record (the target's full path: its lossless parse and ajv, nothing else, one thread) costs ${fmtMicros(bound.validate)} of CPU per row, and DuckDB writing those rows into the table when it already holds them in memory, typed, in the target's batches (one thread; no JSON to parse, so whatever hands rows to DuckDB — read_json, an Appender, Arrow — pays at least this) ${fmtMicros(bound.duck)}: ${fmtMicros(bound.sum)} per row before any hand-over, mapping, bookkeeping or MERGE, while ${fmtNum(GOAL)} rows/s on ${cores} cores allows ${fmtMicros(budget)} with every core busy` +
      (boundRate < GOAL ? ` (at most ${fmtNum(boundRate)} rows/s)` : '') +
      `. The target's fast path validates each line and writes its row from the line's bytes, with no parse at all, for ${fmtMicros(bound.fast)} a row (bench/validate-floor.ts --fast: every line of this file taken by it): ${fmtMicros(bound.fastSum)} with DuckDB's write alone` +
      `. Validating outside JavaScript instead — DuckDB reading the Singer lines itself and checking each record property's JSON type, pattern, format and required-ness in SQL before casting it (bench/duckdb-validate-floor.ts, one thread; the action lists' items checked too, unknown keys left unchecked, so a floor) — costs ${fmtMicros(duckBound.validate)} per row, ${fmtMicros(duckBound.sum)} with DuckDB's write alone` +
      (duckBoundRate < GOAL ? `: at most ${fmtNum(duckBoundRate)} rows/s here, so that design does not reach the goal either` : `: up to ${fmtNum(duckBoundRate)} rows/s, inside the budget before any hand-over, bookkeeping or MERGE`);
    const fastBoundRate = (cores * 1e6) / bound.fastSum;
    const closeText =
      fastBoundRate < GOAL
        ? `not reachable on ${cores} cores with this design: the target's fast path (validation and the row written straight from each line's bytes: ${fmtMicros(bound.fast)} a row) plus DuckDB's write alone (${fmtMicros(bound.duck)}) allow ${fmtNum(fastBoundRate)} rows/s at most, before reading stdin, DuckDB's read of the rows, bookkeeping or MERGE; it needs about ${Math.ceil((GOAL * bound.fastSum) / 1e6)} cores of this speed. ` +
          `Validating in DuckDB instead (the fourth table) allows ${fmtNum(duckBoundRate)} rows/s, and DuckDB mapping the Singer lines itself (the last table) ${fmtNum(mapRateRead)} once reading stdin (~${READING_US} µs a row) is counted.`
        : `${fmtNum(GOAL)} rows/s on ${cores} cores leaves ${fmtMicros(budget)} of CPU per row with every core busy; the target used ${fmtMicros(targetCpu)}, against a bound of ${fmtMicros(bound.fastSum)} (its fast path ${fmtMicros(bound.fast)} + DuckDB's write alone ${fmtMicros(bound.duck)}: up to ${fmtNum(fastBoundRate)} rows/s). ` +
          `The rest is reading stdin into batches (~${READING_US} µs a row), DuckDB's read_json of the NDJSON rows (${fmtMicros(bound.bareLoad === undefined ? undefined : Math.max(0, bound.bareLoad - bound.duck))} here: its one-thread bare load minus its write alone), the key probe and COMMIT of each batch, and the garbage collector; the three threads (reading, mapping, DuckDB) overlap on ${cores} cores, so the wall follows the busiest one and the machine's other load. ` +
          `Measured on 2026-12-01 (300,000 rows, per-thread CPU from /proc, machine loaded by other work): ~33 µs a row in all — DuckDB ~18 (on libuv's threads), the map worker ~11, the reading thread ~3.6, V8's GC helpers ~2.`;
    const checks = [
      check(
        `≥ ${fmtNum(GOAL)} insights rows/s into DuckDB (${cores}-core machine)`,
        `${fmtNum(bigRate)} rows/s at ${fmtNum(big.rows)} rows (${fmtNum(bestRate)} best without start-up); DuckDB's bare load of the same file: ${fmtNum(ceilingRate)} rows/s (target ${fmtRatio(ratio(bigRate, ceilingRate))} of it)`,
        bigRate >= GOAL,
        {
          why:
            `the target reads lines on one thread and appends each RECORD line to its batch unparsed; a closed batch is validated and written as NDJSON rows by a worker thread — straight from each line's bytes by its fast path (connector/target/fast-row.ts), through parse, ajv and the row mapper for the lines it leaves to the full path — while DuckDB loads the batch before it (batch commits, mapping + load, add up to ${Math.round(commitShare * 100)} % of the wall time because two overlap): ${fmtMicros(targetCpu)} of CPU per row in all; each row is ~${fmtBytes(rowBytes)} of JSON (tap-shaped insights_ad lines). ` +
            `On the same file in this run, DuckDB's own bare load (read_json + INSERT, nothing else) reaches ${fmtNum(ceilingRate)} rows/s with ${fmtMicros(ceilingCpu)} of CPU per row${ceilingRate < GOAL ? `, itself below ${fmtNum(GOAL)} at this size` : ''}, and the parse-only floor (JSON.parse alone) ${fmtNum(floorRate)} rows/s` +
            '. ' +
            boundText,
          close: closeText,
        },
      ),
      check(
        `peak RSS flat across sizes and < 300 MB (${fmtBytes(PEAK_GOAL_BYTES)})`,
        `${fmtBytes(small.run.peakRssBytes)} at ${fmtNum(small.rows)} → ${fmtBytes(big.run.peakRssBytes)} at ${fmtNum(big.rows)}`,
        peak < PEAK_GOAL_BYTES && big.run.peakRssBytes <= small.run.peakRssBytes * 1.5,
        {
          why:
            `${fmtBytes(startup.run.peakRssBytes)} for an empty load, ${fmtBytes(small.run.peakRssBytes)} at ${fmtNum(small.rows)}, ${fmtBytes(big.run.peakRssBytes)} at ${fmtNum(big.rows)}; DuckDB's bare load of the same files (DuckDB's default memory_limit) peaked at ${ceilings.map((c) => fmtBytes(c.run.peakRssBytes)).join(' → ')}. The Node side streams (batches are NDJSON files on disk)` +
            (variant ? `, and at ${fmtNum(runs[0]!.rows)} rows batch_bytes ${fmtBytes(opts.smallBatchBytes!)} (${variant.batches} batches) peaked at ${fmtBytes(variant.run.peakRssBytes)} vs ${fmtBytes(runs[0]!.run.peakRssBytes)} with the default` : '') +
            ". The rest is DuckDB in the target process. Measured on 2026-11-30 at the peak of a 300,000-row run, before the target read each batch in ~4 MiB part files and ran with MALLOC_ARENA_MAX=2 (2026-12-01: 291 → 246 MiB at 300,000 rows) (RSS ~295 MiB; DuckDB's own duckdb_memory() sampled every 100 ms beside process.memoryUsage()): the reading thread's JavaScript ~40 MiB (heap 27, external 10), the map worker ~25 MiB (map_workers 0 lowers the baseline by that), Node + the loaded DuckDB library ~105 MiB (the 0-row run), and DuckDB's working memory while a batch commits: ~45 MiB of the batch's uncommitted rows (IN_MEMORY_TABLE) and ~65 MiB its allocator holds during read_json + INSERT (ALLOCATOR). Neither a lower duckdb_memory_limit (100MB), DuckDB's checkpoint_threshold, preserve_insertion_order nor a smaller read_json maximum_object_size moved the peak by more than a few MiB; 8 MiB batches took ~10 MiB off at ~40 % more time. Outside DuckDB's pool (and so outside duckdb_memory_limit), memory malloc'd by DuckDB's and Node's threads was ~50–60 MiB at 1M rows (FB_ADS_ELT_MEMORY_TRACE, 2026-11-30), part of it DuckDB's description of every row group written in the run (~60 KiB each), which grows with the table (the memory soak below).",
          close: `a lower duckdb_memory_limit takes some off but risks Out of Memory (measured 2026-11-30: 96MB failed on 16 MiB batches of these rows after ~116k rows), as do smaller batches (batch_bytes; the batch_bytes table above measures it in this run); the target already sets DuckDB's allocator to return freed memory at once (DUCKDB_JE_MALLOC_CONF=dirty_decay_ms:0), hands DuckDB each batch in ~4 MiB part files (read_json's 32 MiB buffers are resident only as far as a file fills them), caps glibc at two malloc arenas (MALLOC_ARENA_MAX=2 on the bin's shebang) and gives V8 1 MiB semi-spaces and its map worker a 6 MiB young generation. Closing and re-attaching the DuckDB file every 100,000 rows (dropping its in-memory description of the row groups written) did not lower the 1M-row peak (250 MiB either way, 2026-12-01).`,
        },
      ),
    ];
    const duckdb = bigCeiling.duckdb;
    const notes = [
      ...(big.rows < 1_000_000
        ? [
            `1,000,000 rows were not run: at the ${fmtNum(bigRate)} rows/s measured here it would take ${fmtMs((1_000_000 / bigRate) * 1000)}. A batch of this row shape (~${fmtBytes(rowBytes)} per row) flushes every ~${fmtNum(Math.min(defaults.batch_rows, defaults.batch_bytes / rowBytes))} rows at the default batch_rows and batch_bytes, so the ${fmtNum(big.rows)}-row run already covers ${big.batches} flushes. Whether RSS keeps climbing past it is what a 1M run would show.`,
          ]
        : []),
      `0-row run (SCHEMA + STATE only): ${fmtMs(startup.run.wallMs)} wall, ${fmtBytes(startup.run.peakRssBytes)} peak RSS; that is Node + module loading + DuckDB load/open/close, paid once per run.`,
      'The parse-only floor is `node -e` with readline + JSON.parse on the same file through the same stdin pipe; "target ÷ floor" is the fraction of that floor the target reaches.',
      "The lower bound's two parts run on the same file: bench/validate-floor.ts (readline, the target's lossless parse of each line and its ajv validation of each RECORD against the SCHEMA, nothing written; CPU counted from the first line to the last, module loading excluded) and DuckDB's write alone with `threads` 1 (one thread spends the least CPU per row): a `node` child attaches a copy of the 0-row run's database as the target does (its row group size), reads the records into an in-memory temp table first (not counted), then INSERTs them into the table in the target's batches, one transaction each, and checkpoints — only that part's CPU counts. Both are work any target that parses and validates in JavaScript and writes through DuckDB must do for each row, whatever API hands the rows over; the hand-over itself, mapping, STATE bookkeeping, MERGE and history come on top. The fast-path columns swap the first part for the target's own fast path (bench/validate-floor.ts --fast: connector/target/fast-row.ts on each RECORD line's bytes, compiled from the SCHEMA as the target compiles it — validation and the NDJSON row written into a buffer, no file; lines it left to the full path would be counted and fail the bench). The last column is DuckDB's bare load from the file on one thread (read_json + INSERT), the previous form of this bound.",
      "The bound with validation in DuckDB (the fourth table) swaps the first part for bench/duckdb-validate-floor.ts: one DuckDB thread reads the file with read_json, each record property as JSON, and evaluates for every record its JSON Schema checks as SQL (json_type against the property's types, regexp_matches for its pattern and its date-time or decimal format, a DATE cast for a date, NOT NULL where required and not nullable; for a list, each element's JSON type over $[*] and, for the action lists' objects, every value's type over $[*].* and action_type present in each) and the cast of each value to the column type the target gives it; nothing is written, and unknown keys and a missing key that may be null are not checked (DuckDB reads a JSON null and a missing key alike), so full validation this way costs more. The write alone is the same measurement as in the JavaScript bound.",
      `The last table is what a target that let DuckDB map the Singer lines itself (read_json straight from them, no re-serialised rows) would pay at least: bench/duckdb-batched-load.mjs, one DuckDB thread under the target's duckdb_memory_limit (${memoryLimit}), attaches a copy of the 0-row run's database as the target does (its row group size) and runs the bare load's INSERT on the file split into the target's batches (${fmtNum(batched[last]!.batchRows)} RECORD lines each), one transaction each, then checkpoints; only that part's CPU counts. Its validation columns add the JavaScript floor (parse + ajv) or the SQL checks' share of the validate-in-DuckDB floor (that floor minus DuckDB's plain read of the same file: its one-thread bare load minus its write alone). Reading stdin, batching, STATE bookkeeping and MERGE come on top.`,
      `DuckDB's bare load (DuckDB ${duckdb}, the target's own @duckdb/node-api, DuckDB's default settings) is a \`node\` child with one connection running \`INSERT INTO <the insights_ad table the 0-row run created> (<its stream columns>) SELECT record.* FROM read_json(<the same file>, format='newline_delimited', columns={type, stream, record: STRUCT(<those columns, typed as the target types them>)}) WHERE type='RECORD'\` into a fresh copy of that database: no validation, no exactly-once bookkeeping, no metadata columns, no history. Its wall includes Node and DuckDB start-up, as the target's does. "CPU per row" is user + system CPU seconds (GNU time) over the rows.`,
    ];
    const findings = [
      `connector/target (loader.ts + duckdb/destination.ts): ${fmtNum(bigRate)} insights_ad rows/s at ${fmtNum(big.rows)} rows of ~${fmtBytes(rowBytes)}, ${fmtMicros(targetCpu)} CPU per row, ${Math.round(commitShare * 100)} % of the wall in batch commits (map + load, two overlapping); DuckDB's bare load of the same file: ${fmtNum(ceilingRate)} rows/s, ${fmtMicros(ceilingCpu)} CPU per row (target ÷ bare load: ${fmtRatio(ratio(bigRate, ceilingRate))}). The parse-only floor on the same input is ${fmtNum(floorRate)} rows/s.`,
      `connector/target/duckdb/destination.ts (duckdb_memory_limit, in the target process): peak RSS ${fmtBytes(small.run.peakRssBytes)} at ${fmtNum(small.rows)} rows → ${fmtBytes(big.run.peakRssBytes)} at ${fmtNum(big.rows)} rows` +
        (variant ? ` (batch_bytes ${fmtBytes(opts.smallBatchBytes!)} at ${fmtNum(runs[0]!.rows)} rows: ${fmtBytes(variant.run.peakRssBytes)}, ${fmtRatio(ratio(variant.run.peakRssBytes, runs[0]!.run.peakRssBytes))} of the default).` : '.'),
      `bin/target-bigquery.js: a 0-row input (SCHEMA + STATE) takes ${fmtMs(startup.run.wallMs)} and ${fmtBytes(startup.run.peakRssBytes)}, paid by every run: Node, module loading, loading DuckDB and opening the file.`,
    ];
    return {
      findings,
      title: 'Target: insights rows/s into DuckDB and peak RSS',
      setup: `Synthetic insights_ad records shaped like the tap's output (schema and keys from catalog.json, ${fmtNum(6720)} ads × consecutive days; five engagement actions with their cost per action, conversions split by attribution window on 4 rows in 10, video percentiles on 4 in 7; ~${fmtBytes(rowBytes)} a line) written to a file, then piped into \`target-bigquery --config\` (DuckDB, default config: batch_rows ${fmtNum(defaults.batch_rows)}, batch_bytes ${fmtBytes(defaults.batch_bytes)}, duckdb_memory_limit ${defaults.duckdb_memory_limit ?? DEFAULT_DUCKDB_MEMORY_LIMIT}, validation ${defaults.validate_records ? 'on' : 'off'}, history ${defaults.history ? 'on' : 'off'}). Side by side on each same file: DuckDB's own bare load of its records (DuckDB ${duckdb}; the ceiling for any DuckDB target here) and a parse-only floor. Peak RSS is the child's ru_maxrss from GNU time (VmHWM from /proc/<pid>/status, polled, where GNU time is missing).`,
      tables,
      checks,
      notes,
      seconds: (performance.now() - started) / 1000,
      runs,
      ceilings,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
