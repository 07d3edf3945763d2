// The embedded default destination: a DuckDB file. A batch file is read with read_json and explicit
// column types into a temp staging table, then MERGEd (and appended to history) inside one
// transaction, so a batch is either fully committed or not at all.
// First: it sets DuckDB's allocator options, which libduckdb reads when it loads.
import './allocator.js';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { ConnectorError } from '../../core/errors.js';
import type { WarehouseField, TableLayout } from '../fields.js';
import type { BatchFile, Destination, StreamTable } from '../destination.js';
import type { EvolutionPlan } from '../evolution.js';
import { unlistedColumns } from '../evolution.js';
import { assertIdentifier, historySql, mergeGuard, mergeSql, softDeleteSql, sqlString, SEQUENCE_COLUMN, VERSION_COLUMN, alterColumnTypeSql, VERSIONS_TABLE, type Dialect, type MergeSpec } from '../sql.js';
import type { TableVersion } from '../../singer/messages.js';
import { castExpr, duckType, loadType, readJsonColumns, ROW_GROUP_ROWS } from './types.js';
import { parseDuckType } from './describe.js';
import { columnCount, commitMemoryMb, sizeInMb, widthMemoryMb, type CommitPath } from './memory.js';
import type { Logger } from '../../core/log.js';
import { KEYS_TABLE, keyFingerprint, type RecordedKey } from '../table-key.js';

export interface DuckDbOptions {
  path: string;
  dataset: string;
  /** DuckDB worker threads (default: DuckDB's own choice, one per core; the target config's is 1: README). */
  threads?: number;
  /**
   * DuckDB's memory_limit (e.g. "256MB"): its buffer pool spills to `<file>.tmp` beyond it. DuckDB's
   * own default is 80 % of RAM, which lets a long load's RSS follow the table's size.
   */
  memoryLimit?: string;
  /**
   * memoryLimit is the target's default, not the user's: a table too wide for it commits under the
   * limit its width needs (memory.ts), set back after each of its batches (raiseMemoryLimit).
   */
  raiseMemoryLimitForWideTables?: boolean;
  /** Where the raised limit is said, once per stream. */
  log?: Pick<Logger, 'info' | 'warn'>;
  /** Rows per row group of what this run writes (default ROW_GROUP_ROWS; 0 = DuckDB's 122,880). */
  rowGroupSize?: number;
  /** Destination.loadPartBytes (default LOAD_PART_BYTES; tests make it small). */
  loadPartBytes?: number;
  /** Rows committed between two re-attachments of the file (default REATTACH_ROWS; tests make it small). */
  reattachRows?: number;
}

/**
 * read_json reads a file through 32 MiB buffers (duckdb_memory()'s ALLOCATOR shows 32.1, then 64.8 MiB
 * while a batch commits, whatever the size of its files), but only what a file fills of them becomes
 * resident: a 32 MiB batch in one file filled them. Parts of ~4 MiB (RECORD line bytes) took a
 * 300k-row load's peak RSS from 291 to 266 MiB at the same CPU (insights rows; DuckDB alone, 14k
 * rows: 198 → 172 MiB; 2026-12-01, issue 20).
 */
export const LOAD_PART_BYTES = 4 * 1024 * 1024;

/**
 * Rows committed between two re-attachments of the DuckDB file. DuckDB describes in memory every
 * row group a run writes (~60 KiB each, outside duckdb_memory_limit: ROW_GROUP_ROWS), so a long
 * load's resident memory grew ~9 MiB per million rows (the 10M-row soak: 247 → 333 MiB); DETACH
 * drops that description. Every 100k rows it did not lower a 1M-row run's peak (250 MiB either
 * way) and costs a checkpoint each time, so it happens once a million rows.
 */
export const REATTACH_ROWS = 1_000_000;

/** Key column types whose batch min..max prunes the table scan (DuckDB keeps min/max per row group). */
const RANGE_TYPES = new Set(['DATE', 'INT64', 'TIMESTAMP']);

export function duckDialect(dataset: string): Dialect {
  return {
    table: (name) => `"${assertIdentifier(dataset)}"."${assertIdentifier(name)}"`,
    ident: (name) => `"${assertIdentifier(name)}"`,
    param: (name, type) => `CAST($${assertIdentifier(name)} AS ${type === 'INT64' ? 'BIGINT' : 'TIMESTAMPTZ'})`,
    type: duckType,
  };
}

/**
 * DuckDB lets one process write a file at a time; a second run gets "Could not set lock on file …
 * Conflicting lock is held in <program> (PID n)". That is not a bug but a run to retry later (exit 7).
 */
export function lockHeldError(err: unknown, file: string): ConnectorError | undefined {
  const msg = err instanceof Error ? err.message : String(err);
  if (!/Could not set lock on file/i.test(msg)) return undefined;
  const pid = /\(PID (\d+)\)/.exec(msg)?.[1];
  // DuckDB names the holder's program: often not a run but a notebook or a shell left open on the file.
  const program = /lock is held in (.+?) \(PID \d+\)/.exec(msg)?.[1];
  return new ConnectorError('transient', `another run holds ${path.resolve(file)}${pid ? ` (pid ${pid}${program ? `: ${program}` : ''})` : ''}`, {
    hint: 'Only one process can write a DuckDB file at a time: wait for that run to finish (or stop it), or close the DuckDB client that has the file open (a notebook, the duckdb shell, even read-only), then re-run. Nothing was written by this one.',
    context: { duckdb_path: path.resolve(file), ...(pid ? { pid: Number(pid) } : {}), ...(program ? { holder: program } : {}) },
  });
}

/** `<alias>.col` of each field in its table type (decimals are read as text), named as the column. */
const typedColumns = (fields: readonly WarehouseField[], alias: string): string => fields.map((f) => `${castExpr(f, `${alias}."${assertIdentifier(f.name)}"`)} AS "${assertIdentifier(f.name)}"`).join(', ');

const columnsOf = (t: StreamTable): string[] => t.fields.map((f) => f.name);

/** The statements a batch of this table runs (the probe may turn a keyed table's MERGE into an insert; never the reverse). */
export const commitPath = (t: Pick<StreamTable, 'keyColumns' | 'historyTable'>): CommitPath => (t.keyColumns.length === 0 ? 'insert' : t.historyTable ? 'history' : 'merge');

/**
 * DuckDB's "Out of Memory Error" while loading a batch: its buffer pool (duckdb_memory_limit) could
 * not hold what the batch needed. Not a bug but a setting to change (exit 1, with the settings
 * named). A COMMIT that fails for memory ("Failed to commit: could not allocate block", a failed
 * checkpoint) is not this: whether its batch reached the WAL is not known, so it stays unexpected.
 * `limit` is the configured limit; `raisedMb` what this table's commit ran under instead (a wide
 * table at the default, see raiseMemoryLimit).
 */
export function outOfMemoryError(err: unknown, t: Pick<StreamTable, 'stream' | 'fields' | 'keyColumns' | 'historyTable'>, batch: BatchFile, limit: string | undefined, raisedMb?: number): ConnectorError | undefined {
  const msg = err instanceof Error ? err.message : String(err);
  if (!/Out of Memory Error/i.test(msg)) return undefined;
  const stream = t.stream;
  const columns = columnCount(t.fields);
  const path = commitPath(t);
  const needMb = commitMemoryMb(columns, path);
  const limitMb = limit === undefined ? undefined : sizeInMb(limit);
  // A wide table needs memory by its columns: batch_bytes barely helps then (from ~55 columns its
  // width alone takes half the default limit).
  const wide = raisedMb === undefined && limitMb !== undefined && widthMemoryMb(columns, path) >= 64 && needMb > limitMb;
  const setting = `duckdb_memory_limit ${limit ?? "DuckDB's default"}${raisedMb === undefined ? '' : `, raised to ${raisedMb}MB for this table's ${columns} columns`}`;
  const nothingLost = 'then re-run: nothing of this batch was committed and the last emitted STATE still stands.';
  return new ConnectorError('unexpected', `DuckDB ran out of memory loading a batch of ${batch.rows} rows of stream "${stream}" (${setting}): ${msg.split('\n')[0]}`, {
    hint: wide
      ? `Its table has ${columns} columns, and DuckDB holds up to a block (256 KiB) per column of every table a batch reads or writes (stage, table, history), which batch_bytes barely lowers: set duckdb_memory_limit to at least "${needMb}MB" in the target config (or leave it out: the target then raises the limit for such a table's commits by itself), ${nothingLost}`
      : `Raise duckdb_memory_limit (e.g. "${Math.max(256, raisedMb === undefined ? 0 : Math.ceil((raisedMb * 1.5) / 32) * 32)}MB") or lower batch_bytes in the target config, ${nothingLost}`,
    context: { stream, rows: batch.rows, columns, ...(limit ? { duckdb_memory_limit: limit } : {}), ...(raisedMb === undefined ? {} : { raised_memory_limit: `${raisedMb}MB` }) },
  });
}

/** read_json of a batch's part files, in order, with these columns; decimals come as text (see loadType). */
const readBatch = (fields: readonly WarehouseField[], batch: BatchFile): string => `read_json([${batch.paths.map(sqlString).join(', ')}], format = 'newline_delimited', columns = ${readJsonColumns(fields.map(loadType))})`;

export class DuckDbDestination implements Destination {
  readonly kind = 'duckdb' as const;
  readonly loadPartBytes: number;
  private instance: DuckDBInstance | undefined;
  private conn: DuckDBConnection | undefined;
  /** A second connection for memoryStats(): the first one is busy while a batch commits. */
  private statsConn: DuckDBConnection | undefined;
  private readonly d: Dialect;
  /** Rows committed since the file was attached (REATTACH_ROWS). */
  private rowsSinceAttach = 0;
  private reattached = 0;
  /** Rows per row group this run writes; 0: the file is opened directly, with DuckDB's own. */
  private readonly rowGroupSize: number;
  /** Streams whose raised memory_limit was logged (raiseMemoryLimit). */
  private readonly raisedFor = new Set<string>();

  constructor(private readonly opts: DuckDbOptions) {
    this.rowGroupSize = opts.rowGroupSize ?? ROW_GROUP_ROWS;
    this.d = duckDialect(opts.dataset.toLowerCase());
    this.loadPartBytes = opts.loadPartBytes ?? LOAD_PART_BYTES;
  }

  private get c(): DuckDBConnection {
    if (!this.conn) throw new Error('DuckDbDestination used before open()');
    return this.conn;
  }

  async open(): Promise<void> {
    const file = this.opts.path;
    if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    try {
      // The row group size is an ATTACH option only: with one, the instance itself is in memory
      // and the file is attached and made the default catalog (same SQL, same lock error).
      this.instance = await DuckDBInstance.create(this.rowGroupSize ? ':memory:' : file, {
        // DuckDB's allocator keeps freed pages for reuse unless a background thread returns them:
        // without it RSS ratchets up by what each statement touched (~70 MiB for a 100 MB batch's
        // key read) and stays there, far above memory_limit.
        allocator_background_threads: 'true',
        ...(this.rowGroupSize && file !== ':memory:' ? { temp_directory: `${path.resolve(file)}.tmp` } : {}),
        ...(this.opts.threads ? { threads: String(this.opts.threads) } : {}),
        ...(this.opts.memoryLimit ? { memory_limit: this.opts.memoryLimit } : {}),
      });
      this.conn = await this.instance.connect();
      if (this.rowGroupSize) await this.attach();
    } catch (err) {
      await this.close();
      throw lockHeldError(err, file) ?? err;
    }
    await this.c.run(`CREATE SCHEMA IF NOT EXISTS "${assertIdentifier(this.opts.dataset.toLowerCase())}"`);
  }

  /** The file attached as the default catalog, with this run's row group size (open() and reattach()). */
  private async attach(): Promise<void> {
    const file = this.opts.path;
    await this.c.run(`ATTACH ${sqlString(file === ':memory:' ? file : path.resolve(file))} AS warehouse (ROW_GROUP_SIZE ${Math.trunc(this.rowGroupSize)})`);
    await this.c.run('USE warehouse');
    this.rowsSinceAttach = 0;
  }

  /**
   * Detaches the file (DuckDB checkpoints it) and attaches it again, between two batches, once
   * REATTACH_ROWS rows were committed since the last time. Only a file attached with a row group size;
   * never inside a transaction, so nothing committed depends on it and nothing uncommitted is lost.
   */
  private async reattachIfDue(): Promise<void> {
    const attached = this.rowGroupSize > 0 && this.opts.path !== ':memory:';
    if (!attached || this.rowsSinceAttach < (this.opts.reattachRows ?? REATTACH_ROWS)) return;
    await this.c.run('USE memory');
    await this.c.run('DETACH warehouse');
    await this.attach();
    this.reattached++;
  }

  /** How many times this run re-attached the file (REATTACH_ROWS). */
  get reattachments(): number {
    return this.reattached;
  }

  async describe(table: string): Promise<WarehouseField[] | undefined> {
    const r = await this.c.runAndReadAll(`SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $s AND table_name = $t ORDER BY ordinal_position`, { s: this.opts.dataset.toLowerCase(), t: table });
    const rows = r.getRowObjectsJson() as { column_name: string; data_type: string }[];
    if (rows.length === 0) return undefined;
    return rows.map((row) => parseDuckType(row.column_name, row.data_type));
  }

  async createTable(table: string, fields: readonly WarehouseField[], _layout: TableLayout): Promise<void> {
    // A table created afresh (first run, or dropped by hand since) has no activated version yet:
    // a row left from its predecessor would make every record of the next full sync look stale.
    if (await this.describe(VERSIONS_TABLE)) await this.c.run(`DELETE FROM ${this.d.table(VERSIONS_TABLE)} WHERE table_name = $t`, { t: table });
    // DuckDB has no partitions or clustering; the layout only matters on BigQuery.
    const cols = fields.map((f) => `${this.d.ident(f.name)} ${duckType(f)}`).join(', ');
    await this.c.run(`CREATE TABLE IF NOT EXISTS ${this.d.table(table)} (${cols})`);
  }

  async evolve(table: string, plan: EvolutionPlan): Promise<void> {
    await this.c.run('BEGIN TRANSACTION');
    try {
      for (const w of plan.widened) {
        const field = plan.effective.find((f) => f.name === w.column);
        if (field) await this.c.run(alterColumnTypeSql(this.d, table, w.column, field));
      }
      for (const f of plan.added) await this.c.run(`ALTER TABLE ${this.d.table(table)} ADD COLUMN ${this.d.ident(f.name)} ${duckType(f)}`);
      for (const n of plan.addedNested) {
        // DuckDB addresses a field inside a list of structs through the list's "element".
        const segments: string[] = [];
        let level: readonly WarehouseField[] | undefined = plan.effective;
        for (const name of n.path) {
          const f: WarehouseField | undefined = level?.find((x) => x.name === name);
          segments.push(this.d.ident(name));
          if (f?.mode === 'REPEATED') segments.push('element');
          level = f?.fields;
        }
        const target = [...segments, this.d.ident(n.field.name)].join('.');
        await this.c.run(`ALTER TABLE ${this.d.table(table)} ADD COLUMN ${target} ${duckType(n.field)}`);
      }
      await this.c.run('COMMIT');
    } catch (err) {
      await this.c.run('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  async commitBatch(t: StreamTable, batch: BatchFile): Promise<void> {
    const stageFields = [...t.fields, { name: SEQUENCE_COLUMN, type: 'INT64', mode: 'NULLABLE' } as const];
    const stage = `"${assertIdentifier(t.stageTable)}"`;
    // The temp staging table lives in DuckDB's temp catalog; the dialect's table() would qualify it
    // with the dataset, so the SQL builders get a dialect whose stage resolves to temp.
    const d: Dialect = { ...this.d, table: (name) => (name === t.stageTable ? `temp.main.${stage}` : this.d.table(name)) };
    const columns = columnsOf(t);
    const typedRows = `SELECT ${typedColumns(stageFields, 'R')} FROM ${readBatch(stageFields, batch)} AS R`;
    const insertFile = `INSERT INTO ${d.table(t.table)} (${columns.map((c) => d.ident(c)).join(', ')}) SELECT ${columns.map((c) => `S.${d.ident(c)}`).join(', ')} FROM (${typedRows}) AS S`;
    const temps: string[] = [];
    // Before the batch, not after the last one: its STATE is out first, whatever this costs.
    await this.reattachIfDue();
    const raisedMb = await this.raiseMemoryLimit(t);
    await this.c.run('BEGIN TRANSACTION');
    try {
      if (t.keyColumns.length === 0) {
        // Keyless streams append the file as it came: no stage, nothing to join.
        await this.c.run(insertFile);
      } else {
        const probe = t.historyTable ? undefined : await this.probe(d, t, batch, temps);
        const keep = unlistedColumns(t.fields);
        const spec: MergeSpec = { target: t.table, source: t.stageTable, columns, keys: t.keyColumns, orderColumn: t.orderColumn, targetFilter: probe?.targetFilter, keep };
        // Replacing a present row would drop the values of the columns kept from it.
        if (probe?.replace && !(probe.present && keep.length > 0)) {
          // Every key is distinct and no present row would survive a MERGE (see probe): what MERGE
          // would do is delete those rows and insert the file, at about half its cost (no stage,
          // no wide UPDATE). Every key new (a backfill, a new day) deletes nothing.
          if (probe.present) await this.c.run(`DELETE FROM ${d.table(t.table)} AS T USING ${probe.keysTable} AS S WHERE ${probe.on}`);
          await this.c.run(insertFile);
        } else {
          temps.push(`temp.main.${stage}`);
          await this.c.run(`CREATE OR REPLACE TEMP TABLE ${stage} AS ${typedRows}`);
          await this.c.run(mergeSql(d, spec));
          if (t.historyTable) await this.c.run(historySql(d, { target: t.historyTable, source: t.stageTable, columns, keys: t.keyColumns }));
        }
      }
      await this.c.run('COMMIT');
      this.rowsSinceAttach += batch.rows;
    } catch (err) {
      await this.c.run('ROLLBACK').catch(() => undefined);
      throw outOfMemoryError(err, t, batch, this.opts.memoryLimit, raisedMb) ?? err;
    } finally {
      for (const temp of temps) await this.c.run(`DROP TABLE IF EXISTS ${temp}`).catch(() => undefined);
      if (raisedMb !== undefined) await this.restoreMemoryLimit(t, raisedMb);
    }
  }

  /**
   * At the default limit only (raiseMemoryLimitForWideTables): when this table's width needs more
   * than it for a commit (commitMemoryMb), sets DuckDB's memory_limit to that until the commit is
   * over, and says so once per stream. DuckDB only caps its pool with it: a narrow table is never
   * concerned (insights_ad, this tap's widest table at 41 columns, comes to 113MB) and a wide one takes what it uses.
   * Returns the raised limit (MB), or undefined when the configured one stands.
   */
  private async raiseMemoryLimit(t: StreamTable): Promise<number | undefined> {
    const base = this.opts.memoryLimit;
    const baseMb = base === undefined ? undefined : sizeInMb(base);
    if (!this.opts.raiseMemoryLimitForWideTables || baseMb === undefined) return undefined;
    const columns = columnCount(t.fields);
    const path = commitPath(t);
    const needMb = commitMemoryMb(columns, path);
    if (needMb <= baseMb) return undefined;
    await this.c.run(`SET memory_limit = '${needMb}MB'`);
    if (!this.raisedFor.has(t.stream)) {
      this.raisedFor.add(t.stream);
      this.opts.log?.info(
        `DuckDB memory_limit raised to ${needMb}MB while a batch of stream "${t.stream}" commits: its table has ${columns} columns, and DuckDB holds up to a block per column of each table a batch reads or writes, beyond the default duckdb_memory_limit ${base}`,
        {
          stream: t.stream,
          columns,
          path,
          memory_limit: `${needMb}MB`,
          duckdb_memory_limit: base,
          hint: 'Set duckdb_memory_limit in the target config to choose the limit yourself (it is then kept, and a table too wide for it fails with the limit it needs).',
        },
      );
    }
    return needMb;
  }

  /** Back to the configured limit after a raised commit; DuckDB spills what it holds beyond it to its temp directory. */
  private async restoreMemoryLimit(t: StreamTable, raisedMb: number): Promise<void> {
    try {
      await this.c.run(`SET memory_limit = ${sqlString(this.opts.memoryLimit!)}`);
    } catch (err) {
      // Without a temp directory (an in-memory database) DuckDB cannot spill the table's blocks:
      // the raised limit then stays, as the run can go on under it.
      this.opts.log?.warn(`DuckDB memory_limit stays at ${raisedMb}MB after a batch of stream "${t.stream}": DuckDB could not go back to ${this.opts.memoryLimit}`, {
        stream: t.stream,
        memory_limit: `${raisedMb}MB`,
        error: err instanceof Error ? err.message.split('\n')[0] : String(err),
      });
    }
  }

  async activatedVersion(table: string): Promise<TableVersion | undefined> {
    if (!(await this.describe(VERSIONS_TABLE))) return undefined;
    const r = await this.c.runAndReadAll(`SELECT activated_version FROM ${this.d.table(VERSIONS_TABLE)} WHERE table_name = $t`, { t: table });
    const v = r.getRows()[0]?.[0];
    // BIGINT reads back as a bigint: exact, whatever its size.
    return v === undefined || v === null ? undefined : BigInt(v as bigint);
  }

  async tableKey(table: string): Promise<RecordedKey | undefined> {
    if (!(await this.describe(KEYS_TABLE))) return undefined;
    const r = await this.c.runAndReadAll(`SELECT key_fingerprint, key_columns FROM ${this.d.table(KEYS_TABLE)} WHERE table_name = $t`, { t: table });
    const [fingerprint, columns] = r.getRows()[0] ?? [];
    if (typeof fingerprint !== 'string') return undefined;
    // key_columns has been written with every fingerprint (JSON of the columns, in the order listed then).
    const parsed: unknown = typeof columns === 'string' ? JSON.parse(columns) : undefined;
    return { fingerprint, columns: Array.isArray(parsed) && parsed.every((c) => typeof c === 'string') ? parsed : undefined };
  }

  async recordTableKey(table: string, columns: readonly string[]): Promise<void> {
    const keys = this.d.table(KEYS_TABLE);
    // The fingerprint is what the target compares; key_columns says what changed on a re-key, and is for people reading the warehouse.
    await this.c.run(`CREATE TABLE IF NOT EXISTS ${keys} (table_name VARCHAR PRIMARY KEY, key_columns VARCHAR NOT NULL, key_fingerprint VARCHAR NOT NULL)`);
    await this.c.run(`INSERT INTO ${keys} VALUES ($t, $columns, $fp) ON CONFLICT (table_name) DO UPDATE SET key_columns = excluded.key_columns, key_fingerprint = excluded.key_fingerprint`, { t: table, columns: JSON.stringify(columns), fp: keyFingerprint(columns) });
  }

  async activateVersion(t: StreamTable, version: TableVersion, at: Date): Promise<void> {
    const versions = this.d.table(VERSIONS_TABLE);
    await this.c.run(`CREATE TABLE IF NOT EXISTS ${versions} (table_name VARCHAR PRIMARY KEY, activated_version BIGINT NOT NULL, activated_at TIMESTAMPTZ NOT NULL)`);
    // One transaction: the stored version and the rows it deleted never disagree.
    await this.c.run('BEGIN TRANSACTION');
    try {
      await this.c.run(`INSERT INTO ${versions} VALUES ($t, $version, CAST($at AS TIMESTAMPTZ)) ON CONFLICT (table_name) DO UPDATE SET activated_version = excluded.activated_version, activated_at = excluded.activated_at`, { t: t.table, version, at: at.toISOString() });
      await this.c.run(softDeleteSql(this.d, t.table), { deleted_at: at.toISOString(), version });
      await this.c.run('COMMIT');
    } catch (err) {
      await this.c.run('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  /**
   * Reads only the batch's keys (and what mergeGuard compares) into a temp table (registered in
   * `temps` for the caller to drop), and from it: whether keys repeat within the batch, the batch's
   * min..max of each range-prunable key column (DuckDB then skips row groups outside it), and how
   * many table rows share a key with the batch and how many of those a MERGE would keep (stale
   * records). `replace` holds when the keys are distinct and no such row would be kept.
   */
  private async probe(d: Dialect, t: StreamTable, batch: BatchFile, temps: string[]): Promise<{ replace: boolean; present: boolean; on: string; keysTable: string; targetFilter: string[] }> {
    const keyFields = t.keyColumns.map((k) => t.fields.find((f) => f.name === k)!);
    const guardNames = [t.orderColumn, VERSION_COLUMN].filter((n): n is string => n !== undefined && !t.keyColumns.includes(n) && columnsOf(t).includes(n));
    const readFields = [...keyFields, ...guardNames.map((n) => t.fields.find((f) => f.name === n)!)];
    const ranged = keyFields.filter((f) => RANGE_TYPES.has(f.type));
    const keys = keyFields.map((f) => `S.${d.ident(f.name)}`).join(', ');
    const bounds = ranged.flatMap((f) => [`CAST(min(S.${d.ident(f.name)}) AS VARCHAR)`, `CAST(max(S.${d.ident(f.name)}) AS VARCHAR)`]);
    // The file is read once (keys only) into a small temp table that the checks below share.
    const keysTable = `temp.main."${assertIdentifier(`${t.stageTable}_keys`)}"`;
    temps.push(keysTable);
    await this.c.run(`CREATE OR REPLACE TEMP TABLE ${keysTable} AS SELECT ${typedColumns(readFields, 'R')} FROM ${readBatch(readFields, batch)} AS R`);
    const stats = (await this.c.runAndReadAll(`SELECT count(*) = count(DISTINCT (${keys}))${bounds.map((b) => `, ${b}`).join('')} FROM ${keysTable} AS S`)).getRows()[0] ?? [];
    const targetFilter = ranged.flatMap((f, i) => {
      const [lo, hi] = [stats[1 + 2 * i], stats[2 + 2 * i]];
      if (typeof lo !== 'string' || typeof hi !== 'string') return [];
      // Literals, not parameters: DuckDB prunes row groups on constants it sees while planning.
      return [`T.${d.ident(f.name)} BETWEEN CAST(${sqlString(lo)} AS ${duckType(f)}) AND CAST(${sqlString(hi)} AS ${duckType(f)})`];
    });
    const on = [...keyFields.map((f) => `T.${d.ident(f.name)} = S.${d.ident(f.name)}`), ...targetFilter].join(' AND ');
    if (stats[0] !== true) return { replace: false, present: true, on, keysTable, targetFilter };
    const guard = mergeGuard(d, { columns: columnsOf(t), orderColumn: t.orderColumn });
    const kept = guard.length ? `count(*) FILTER (WHERE NOT (${guard.join(' AND ')}))` : '0';
    const [present, stale] = (await this.c.runAndReadAll(`SELECT count(*), ${kept} FROM ${d.table(t.table)} AS T JOIN ${keysTable} AS S ON ${on}`)).getRows()[0] ?? [];
    return { replace: Number(stale) === 0, present: Number(present) > 0, on, keysTable, targetFilter };
  }

  /** Runs a read-only query (tests, models); values go as parameters. */
  async query(sql: string, params: Record<string, string | number | boolean | null> = {}): Promise<Record<string, unknown>[]> {
    return (await this.c.runAndReadAll(sql, params)).getRowObjectsJson() as Record<string, unknown>[];
  }

  /** DuckDB's duckdb_memory(): what its buffer manager holds, by tag (non-zero ones only). */
  async memoryStats(): Promise<Record<string, number>> {
    if (!this.instance) return {};
    this.statsConn ??= await this.instance.connect();
    const rows = (await this.statsConn.runAndReadAll('SELECT tag, memory_usage_bytes, temporary_storage_bytes FROM duckdb_memory()')).getRows();
    const out: Record<string, number> = {};
    for (const [tag, used, temp] of rows) {
      if (Number(used) > 0) out[String(tag)] = Number(used);
      if (Number(temp) > 0) out[`${String(tag)}_spilled`] = Number(temp);
    }
    return out;
  }

  async close(): Promise<void> {
    this.statsConn?.closeSync();
    this.statsConn = undefined;
    this.conn?.closeSync();
    this.instance?.closeSync();
    this.conn = undefined;
    this.instance = undefined;
  }
}
