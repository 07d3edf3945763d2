// The target's message loop: SCHEMA → tables (created or evolved), RECORD → its line kept as it
// came in a per-stream raw batch, batch full/old → mapped to rows (validated, in worker threads when
// big: map-batch.ts) + load + MERGE, ACTIVATE_VERSION → soft delete, STATE → echoed only once every
// batch that preceded it is committed (see "State release" below).
import { rmSync } from 'node:fs';
import os from 'node:os';
import type { Readable } from 'node:stream';
import { ConnectorError, DataError } from '../core/errors.js';
import { makeScratch } from '../core/scratch.js';
import type { Logger } from '../core/log.js';
import { decodeUtf8Line, forEachLine, isBlankLine, parseLineExact, stripInputBom } from '../singer/reader.js';
import { versionJson, type ActivateVersionMessage, type SchemaMessage, type TableVersion } from '../singer/messages.js';
import { clusterColumns, streamFields, tableLayout, toColumnName, toTableName, type FieldType, type MappedField, type TableLayout, type WarehouseField } from './fields.js';
import { RawBatch, type RawBatchFile } from './batch.js';
import type { Destination, StreamTable } from './destination.js';
import { planEvolution, type EvolutionPlan } from './evolution.js';
import { BatchMapper, type MappedBatch } from './batch-mapper.js';
import { RESERVED_TABLE_PREFIX, UPDATED_TIME_COLUMN } from './sql.js';
import { isCurrentRecord, isRecordedKey, keyChange } from './table-key.js';
import { RecordCounts } from '../singer/record-counts.js';
import { compileRecordValidator, newRecordAjv, type RecordValidator } from './validator.js';
import { resyncHow, type Surface } from '../core/surface.js';

/** How to re-read one stream from its start: sync's or serve's full refresh, or Meltano's for a plain target. */

export interface LoaderConfig {
  batch_rows: number;
  batch_bytes: number;
  batch_seconds: number;
  history: boolean;
  validate_records: boolean;
  temp_dir?: string;
  /** Worker threads that map big batches; 0 maps on the reading thread (default: defaultMapWorkers()). */
  map_workers?: number;
}

export interface LoaderOptions {
  config: LoaderConfig;
  destination: Destination;
  log: Logger;
  /** Writes a STATE message (stdout in the CLI). Called only after the data before it is committed. */
  emitState: (value: Record<string, unknown>) => Promise<void>;
  now?: () => Date;
  /** Raw batches smaller than this (RECORD line bytes) are mapped on the reading thread (default 4 MiB). */
  mapInlineBytes?: number;
  /** Where a raw batch may be cut into parts for the workers, about this many bytes apart (default 4 MiB; tests make it small). */
  mapPartBytes?: number;
  /** Whether a last line without its line break is read; false once a stop signal cut the input short (target/stop-input.ts). */
  readTail?: () => boolean;
  /** Where the run was asked for (core/surface.ts): a hint to re-read a stream names what that surface takes. Default the CLI. */
  surface?: Surface;
}

export interface LoadSummary {
  lines: number;
  records: Record<string, number>;
  batches: number;
  statesEmitted: number;
  /** Records whose batch was committed, per stream and account (reported as record_count metrics). */
  committed: RecordCounts;
  /** Stale records dropped: their table version is older than the table's activated version. */
  stale: RecordCounts;
}

interface StreamState {
  schemaKey: string;
  /** The SCHEMA's JSON Schema: records are validated against it when the batch is mapped. */
  schema: Record<string, unknown>;
  table: StreamTable;
  keySources: string[];
  batch: RawBatch | undefined;
  /** The table's activated version (kept in the warehouse, so it holds across runs). */
  activated: TableVersion | undefined;
}

const SCALAR: FieldType[] = ['STRING', 'INT64', 'NUMERIC', 'FLOAT64', 'BOOL', 'DATE', 'TIMESTAMP'];

/** What a SCHEMA maps to: columns, key and order columns, and the tables it writes. */
interface SchemaShape {
  fields: MappedField[];
  keyColumns: string[];
  orderColumn: string | undefined;
  table: string;
  historyTable: string | undefined;
  stageTable: string;
  layout: TableLayout;
}

/** The changes a SCHEMA needs, planned before any is made. */
interface TablePlan {
  existing: boolean;
  plan: EvolutionPlan | undefined;
  effective: MappedField[] | WarehouseField[];
  existingHistory: boolean;
  historyPlan: EvolutionPlan | undefined;
  /** The table's key is not kept beside it yet (a new table, or one from before the target kept it). */
  recordKey: boolean;
}

/** Runs `fn`; a DataError it throws gets the SCHEMA's line and stream (message and context). */
function withLine<T>(line: number, stream: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof DataError) throw new DataError(`line ${line}: ${err.message}`, { ...(err.hint ? { hint: err.hint } : {}), context: { ...err.context, line, stream } });
    throw err;
  }
}

/**
 * State release: rather than flushing every stream at each STATE (which makes batches as small as
 * the tap's checkpoint interval), each STATE is queued with the set of batches (open or being
 * committed) that hold rows received before it. A committed batch is cleared from every queued
 * set; the newest STATE whose set is empty is emitted. A later STATE's set always contains the
 * still-uncommitted part of an earlier one, so emitting the newest clean one never skips a commit.
 * When any stream's batch is full, every stream is flushed, so STATE is released at least once
 * per full batch. Commits run one at a time, overlapping with reading the next rows.
 */
export class StateQueue {
  private entries: { value: Record<string, unknown>; dirty: Set<number> }[] = [];

  push(value: Record<string, unknown>, dirty: Iterable<number>): void {
    const set = new Set(dirty);
    const last = this.entries[this.entries.length - 1];
    // Same pending set as the previous entry: the newer STATE supersedes it.
    if (last && last.dirty.size === set.size && [...set].every((s) => last.dirty.has(s))) this.entries.pop();
    this.entries.push({ value, dirty: set });
  }

  committed(batchId: number): void {
    for (const e of this.entries) e.dirty.delete(batchId);
  }

  /** The newest STATE now safe to emit (and forgets it and everything older). */
  takeReleasable(): Record<string, unknown> | undefined {
    let idx = -1;
    for (let i = this.entries.length - 1; i >= 0; i--) {
      if (this.entries[i]!.dirty.size === 0) {
        idx = i;
        break;
      }
    }
    if (idx < 0) return undefined;
    const value = this.entries[idx]!.value;
    this.entries = this.entries.slice(idx + 1);
    return value;
  }
}

/**
 * The stream a RECORD line is for, read from its first keys without parsing the line: Singer
 * writers put "type" then "stream" first (singer-python's format_message, the Meltano SDK, this
 * tap). Names of printable ASCII only, so the bytes read as latin1 are the name. Anything else —
 * other key orders, escapes, non-ASCII names — is undefined here and parsed on the reading thread.
 */
const RECORD_HEAD = /^\{\s*"type"\s*:\s*"RECORD"\s*,\s*"stream"\s*:\s*"([\x20\x21\x23-\x5b\x5d-\x7e]{1,300})"\s*,/;
const HEAD_BYTES = 400;
/** The two spellings writers use (compact, and Python's json.dumps default), compared as bytes: no string per line. */
const HEADS = ['{"type":"RECORD","stream":"', '{"type": "RECORD", "stream": "'].map((h) => Buffer.from(h, 'latin1'));

/** The stream names seen, by their bytes (a handful per run): a known name costs no string. */
class StreamNames {
  private readonly known: { bytes: Buffer; name: string }[] = [];

  /** The name in bytes[start, end), if printable ASCII without quote or backslash (else undefined). */
  of(bytes: Buffer, start: number, end: number): string | undefined {
    for (const k of this.known) if (k.bytes.length === end - start && bytes.compare(k.bytes, 0, k.bytes.length, start, end) === 0) return k.name;
    for (let i = start; i < end; i++) {
      const b = bytes[i]!;
      if (b < 0x20 || b > 0x7e || b === 0x5c) return undefined;
    }
    if (end === start || end - start > 300) return undefined;
    const name = bytes.toString('latin1', start, end);
    if (this.known.length < 64) this.known.push({ bytes: Buffer.from(name, 'latin1'), name });
    return name;
  }
}

/**
 * One worker per CPU beside the one DuckDB loads on (duckdb_threads defaults to 1), at least one,
 * at most 4: on 2 cores one worker maps as fast as two (the CPUs are saturated either way) with
 * 14 % less CPU and ~30 MiB less memory (300k rows, measured 2026-11-30).
 */
export function defaultMapWorkers(): number {
  return Math.max(1, Math.min(4, os.availableParallelism() - 1));
}

function recordStreamOf(bytes: Buffer, names: StreamNames): string | undefined {
  if (bytes[0] !== 123) return undefined; // '{'
  for (const head of HEADS) {
    if (bytes.length <= head.length || bytes.compare(head, 0, head.length, 0, head.length) !== 0) continue;
    const end = bytes.indexOf(34, head.length); // the closing quote
    // The key after the name must follow a comma: `"stream":"x"}` alone is not a RECORD with a record.
    if (end < 0 || (bytes[end + 1] !== 44 && !(bytes[end + 1] === 32 && bytes[end + 2] === 44))) return undefined;
    return names.of(bytes, head.length, end);
  }
  return RECORD_HEAD.exec(bytes.toString('latin1', 0, Math.min(bytes.length, HEAD_BYTES)))?.[1];
}

/** A batch closed for mapping, with what committing it needs. */
interface Closed {
  id: number;
  stream: string;
  table: StreamTable;
  activated: TableVersion | undefined;
  raw: RawBatchFile;
  mapping: Promise<MappedBatch>;
}

/** Removes a closed group's raw batch files and, once mapped, their row files. */
async function removeFiles(group: Closed[]): Promise<void> {
  const settled = await Promise.allSettled(group.map((c) => c.mapping));
  for (const [i, c] of group.entries()) {
    rmSync(c.raw.path, { force: true });
    const s = settled[i]!;
    if (s.status === 'fulfilled') for (const p of s.value.file.paths) rmSync(p, { force: true });
  }
}

/** The line an error names (DataError context), or Infinity when it names none. */
function lineOf(err: unknown): number {
  const line = err instanceof ConnectorError ? err.context['line'] : undefined;
  return typeof line === 'number' ? line : Infinity;
}

/** Throws the failure naming the earliest line among settled mappings (the first one when none names a line). */
function throwEarliest(settled: PromiseSettledResult<unknown>[]): void {
  const failed = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected').map((s) => s.reason as unknown);
  if (failed.length === 0) return;
  throw failed.reduce((best, e) => (lineOf(e) < lineOf(best) ? e : best));
}

export class Loader {
  private readonly streams = new Map<string, StreamState>();
  /** Table name → stream that owns it (final, history and stage names). */
  private readonly tableOwners = new Map<string, string>();
  private readonly states = new StateQueue();
  private readonly ajv = newRecordAjv();
  private readonly validators = new Map<string, RecordValidator>();
  /** Streams whose unlisted record properties were logged (noteUnlisted). */
  private readonly unlistedWarned = new Set<string>();
  private readonly now: () => Date;
  private tempDir: string | undefined;
  private batchSeq = 0;
  private readonly summary: LoadSummary = { lines: 0, records: {}, batches: 0, statesEmitted: 0, committed: new RecordCounts(), stale: new RecordCounts() };
  /** RECORD lines received (the batch_seconds check runs every 1024). */
  private received = 0;
  private mapper: BatchMapper | undefined;
  private readonly names = new StreamNames();
  /**
   * Commits running in the background, oldest first: at most two — one batch being mapped while
   * the one before it loads. Each waits for its predecessor before loading, so batches load in
   * order and the newest settles only after all before it. The batch ids they cover.
   */
  private inFlight: Promise<void>[] = [];
  private readonly inFlightIds = new Set<number>();

  constructor(private readonly opts: LoaderOptions) {
    this.now = opts.now ?? (() => new Date());
  }

  async run(input: Readable): Promise<LoadSummary> {
    // Private (0700) and swept at the next start if this process is killed (core/scratch.ts).
    this.tempDir = makeScratch('target', this.opts.config.temp_dir ?? os.tmpdir());
    this.mapper = new BatchMapper({ workers: this.opts.config.map_workers ?? defaultMapWorkers(), inlineBytes: this.opts.mapInlineBytes ?? 4 * 1024 * 1024, maxPartBytes: this.opts.destination.loadPartBytes });
    try {
      try {
        this.summary.lines = await forEachLine(input, (bytes, line) => this.handleLine(bytes, line), this.opts.readTail);
      } catch (err) {
        throw await this.earliestFailure(err);
      }
      await this.flushAll();
      await this.settle();
      await this.releaseStates();
      return this.summary;
    } finally {
      // A failed run still lets the commit in flight finish (or fail) before files go away.
      await Promise.allSettled(this.inFlight);
      await this.mapper.close();
      for (const st of this.streams.values()) st.batch?.discard();
      rmSync(this.tempDir, { recursive: true, force: true });
    }
  }

  /**
   * One line. A RECORD of a known stream is appended to its raw batch as it came (parsed, validated
   * and mapped when the batch is); everything else is parsed here. Returns a promise only when the
   * line needs I/O (a flush, a SCHEMA, a STATE).
   */
  private handleLine(raw: Buffer, line: number): Promise<void> | undefined {
    const bytes = stripInputBom(raw, line);
    const routed = recordStreamOf(bytes, this.names);
    const st = routed === undefined ? undefined : this.streams.get(routed);
    if (st) {
      return this.appendRecord(routed!, st, line, bytes);
    }
    const text = decodeUtf8Line(bytes, line);
    if (isBlankLine(text)) return undefined;
    return this.handleParsedLine(text, bytes, line);
  }

  private async handleParsedLine(text: string, bytes: Buffer, line: number): Promise<void> {
    let message;
    try {
      ({ message } = parseLineExact(text, line));
    } catch (err) {
      // Name the stream only when the broken line itself shows it: the stream of the line before is
      // no clue (a tap's stray print lands anywhere), and naming it sends the user to the wrong stream.
      const stream = /"stream"\s*:\s*"((?:[^"\\]|\\.){1,300})"/.exec(text)?.[1];
      const e = err as ConnectorError;
      throw new DataError(`${e.message}${stream ? ` (stream "${stream}")` : ''}`, { ...(e.hint ? { hint: e.hint } : {}), context: { ...e.context, line, ...(stream ? { stream } : {}) } });
    }
    switch (message.type) {
      case 'SCHEMA':
        return this.handleSchema(message, line);
      case 'RECORD':
        return this.appendRecord(message.stream, this.streamOf(message.stream, line, 'RECORD'), line, bytes);
      case 'STATE':
        this.states.push(message.value, [...[...this.streams.values()].flatMap((s) => (s.batch ? [s.batch.id] : [])), ...this.inFlightIds]);
        await this.releaseStates();
        return this.flushOld();
      case 'ACTIVATE_VERSION':
        return this.handleActivate(message, line);
    }
  }

  private streamOf(stream: string, line: number, what: string): StreamState {
    const st = this.streams.get(stream);
    if (!st) {
      throw new DataError(`line ${line}: ${what} for stream "${stream}" arrived before its SCHEMA`, {
        context: { line, stream },
        hint: 'A Singer tap must emit SCHEMA for a stream before its records.',
      });
    }
    return st;
  }

  private claim(table: string, stream: string, line: number): void {
    const owner = this.tableOwners.get(table);
    if (owner !== undefined && owner !== stream) {
      throw new DataError(`line ${line}: streams "${owner}" and "${stream}" both map to table "${table}"`, {
        context: { line, stream, table },
        hint: 'Table names are lower-cased with non [a-z0-9_] characters replaced by "_"; rename one of the streams.',
      });
    }
    this.tableOwners.set(table, stream);
  }

  /**
   * A SCHEMA message, as steps: map it to columns (refusing what cannot be keyed or named), plan
   * every table change and refuse incompatible ones before anything is written, commit rows buffered
   * under the previous SCHEMA, then create or evolve the tables and register the stream.
   */
  private async handleSchema(msg: SchemaMessage, line: number): Promise<void> {
    const schemaKey = JSON.stringify([msg.schema, msg.key_properties, msg.bookmark_properties ?? null]);
    const prev = this.streams.get(msg.stream);
    if (prev && prev.schemaKey === schemaKey) return;
    await this.settle();
    const shape = withLine(line, msg.stream, () => this.shapeOf(msg));
    for (const t of [shape.table, shape.historyTable, shape.stageTable]) if (t) this.claim(t, msg.stream, line);
    const plan = await this.planTables(msg, line, shape);
    this.checkValidator(msg, line, schemaKey);

    // Rows buffered under the previous SCHEMA are committed with the columns they were built for;
    // every line before this SCHEMA is checked before its DDL runs (flushAll).
    await this.flushAll();
    await this.settle();
    await this.applyPlan(msg.stream, shape, plan);
    this.streams.set(msg.stream, {
      schemaKey,
      schema: msg.schema,
      keySources: msg.key_properties,
      batch: undefined,
      activated: plan.existing ? await this.opts.destination.activatedVersion(shape.table) : undefined,
      table: { stream: msg.stream, table: shape.table, historyTable: shape.historyTable, stageTable: shape.stageTable, fields: plan.effective, keyColumns: shape.keyColumns, orderColumn: shape.orderColumn, layout: shape.layout },
    });
  }

  /** The stream's columns, key and order columns and table names, from its SCHEMA (DataError naming the line otherwise). */
  private shapeOf(msg: SchemaMessage): SchemaShape {
    const fields = streamFields(msg.schema, { stream: msg.stream });
    const top = new Map(fields.filter((f) => f.source !== undefined).map((f) => [f.source!, f]));
    const keyColumns = msg.key_properties.map((k) => {
      const f = top.get(k);
      if (!f || f.mode === 'REPEATED' || !SCALAR.includes(f.type) || f.name.startsWith('_sdc_')) {
        throw new DataError(`stream "${msg.stream}": key property "${k}" must be a top-level scalar property of its SCHEMA`, {
          context: { property: k },
          hint: 'Fix key_properties in the tap, or declare the property with a string/integer/date type.',
        });
      }
      return f.name;
    });
    const rk = msg.bookmark_properties?.[0];
    const rkField = rk === undefined ? undefined : top.get(rk);
    const orderColumn = rkField && rkField.mode !== 'REPEATED' && SCALAR.includes(rkField.type) && keyColumns.length > 0 ? rkField.name : undefined;
    const hasUpdatedTime = fields.some((f) => f.name === UPDATED_TIME_COLUMN && f.mode !== 'REPEATED' && SCALAR.includes(f.type));

    const table = toTableName(msg.stream);
    if (table.startsWith(RESERVED_TABLE_PREFIX)) {
      throw new DataError(`stream "${msg.stream}" maps to table "${table}", but table names starting with "${RESERVED_TABLE_PREFIX}" are the target's own`, {
        context: { table },
        hint: 'Rename the stream in the tap (or with a stream map).',
      });
    }
    const historyTable = this.opts.config.history && keyColumns.length > 0 && hasUpdatedTime ? `${table}__history` : undefined;
    const stageTable = `${table}__sdc_stage`;
    return { fields, keyColumns, orderColumn, table, historyTable, stageTable, layout: tableLayout(keyColumns, fields) };
  }

  /** Every change to the table and its history table, planned and checked before anything is written. */
  private async planTables(msg: SchemaMessage, line: number, shape: SchemaShape): Promise<TablePlan> {
    const dest = this.opts.destination;
    const existing = await dest.describe(shape.table);
    const plan = existing ? withLine(line, msg.stream, () => planEvolution(msg.stream, existing, shape.fields)) : undefined;
    const effective = plan ? plan.effective : shape.fields;
    const existingHistory = shape.historyTable ? await dest.describe(shape.historyTable) : undefined;
    const historyPlan = existingHistory ? withLine(line, msg.stream, () => planEvolution(msg.stream, existingHistory, effective)) : undefined;
    if (historyPlan && historyPlan.effective.length !== effective.length) {
      // The history table has columns the final table lacks: keep them in step by adding them to
      // the final table too would be surprising; refuse with a clear message instead.
      throw new DataError(`line ${line}: stream "${msg.stream}": table "${shape.historyTable}" has columns that "${shape.table}" lacks`, {
        context: { line, stream: msg.stream },
        hint: 'Drop the extra history columns or add them to the main table, then re-run.',
      });
    }
    const recorded = existing ? await dest.tableKey(shape.table) : undefined;
    if (recorded !== undefined && !isRecordedKey(recorded, shape.keyColumns)) {
      // A MERGE on other columns than the rows were loaded under deletes or overwrites rows that
      // are not the record's: a key [ad_id] over rows keyed [ad_id, date_start] keeps one day per ad.
      const was = keyChange(recorded, shape.keyColumns);
      throw new DataError(`line ${line}: stream "${msg.stream}": its key (${shape.keyColumns.length ? shape.keyColumns.join(', ') : 'none'}) is not the key ${was.recorded} the rows of table "${shape.table}" were loaded under: ${was.change}`, {
        context: { line, stream: msg.stream, table: shape.table, key_properties: msg.key_properties },
        hint: `Keep the stream's key_properties as they were, or reload it under the new key: drop table "${shape.table}"${shape.historyTable ? ` and "${shape.historyTable}"` : ''} and re-sync the stream from its start (${resyncHow([msg.stream], this.opts.surface ?? 'cli')}); nothing was written.`,
      });
    }
    // A key recorded by an earlier version (order-bound fingerprint, or no columns) is rewritten in this version's form once matched.
    return { existing: !!existing, plan, effective, existingHistory: !!existingHistory, historyPlan, recordKey: recorded === undefined || !isCurrentRecord(recorded) };
  }

  /**
   * Compiles the SCHEMA's validator once, so a SCHEMA that cannot validate records is refused at its
   * own line (the mappers compile their own copy from the same ajv setup: validator.ts).
   */
  private checkValidator(msg: SchemaMessage, line: number, schemaKey: string): void {
    if (!this.opts.config.validate_records || this.validators.has(schemaKey)) return;
    let validate: RecordValidator;
    try {
      validate = compileRecordValidator(this.ajv, msg.schema);
    } catch (err) {
      const why = (err as Error).message;
      throw new DataError(`line ${line}: stream "${msg.stream}": its SCHEMA cannot be used for validation (${why})`, {
        context: { line, stream: msg.stream },
        // ajv names an unresolved $ref so; anything else is a keyword holding what JSON Schema does not allow.
        hint: /can't resolve reference/.test(why) ? 'Inline external $refs in the SCHEMA message, or set validate_records to false.' : 'Fix the keyword named above in the tap’s SCHEMA, or set validate_records to false.',
      });
    }
    this.validators.set(schemaKey, validate);
  }

  /** Creates or evolves the table and its history table as planned. */
  private async applyPlan(stream: string, shape: SchemaShape, p: TablePlan): Promise<void> {
    const dest = this.opts.destination;
    if (!p.existing) await dest.createTable(shape.table, p.effective, shape.layout);
    else if (p.plan?.changed) await dest.evolve(shape.table, p.plan);
    if (p.recordKey) await dest.recordTableKey(shape.table, shape.keyColumns);
    if (shape.historyTable) {
      // Clustered by its key, as far as BigQuery can (a FLOAT64 key cannot be: the create was refused).
      if (!p.existingHistory) await dest.createTable(shape.historyTable, p.effective, { clusterFields: clusterColumns(shape.keyColumns, p.effective) });
      else if (p.historyPlan?.changed) await dest.evolve(shape.historyTable, p.historyPlan);
    }
    if (p.plan?.changed) {
      this.opts.log.info('table schema evolved', {
        stream,
        table: shape.table,
        added: p.plan.added.map((f) => f.name).concat(p.plan.addedNested.map((n) => [...n.path, n.field.name].join('.'))),
        widened: p.plan.widened,
      });
    }
  }

  /** Appends a RECORD line to its stream's raw batch; flushes when the batch is full (rows or bytes) or, every 1024 lines, old. */
  private appendRecord(stream: string, st: StreamState, line: number, bytes: Buffer): Promise<void> | undefined {
    const now = this.now();
    if (!st.batch) {
      const id = ++this.batchSeq;
      st.batch = new RawBatch(id, this.tempDir!, `${id}-${toColumnName(stream).slice(0, 40)}.singer`, now, this.opts.mapPartBytes);
    }
    st.batch.append(line, now.getTime(), bytes);
    const { batch_rows, batch_bytes } = this.opts.config;
    if (st.batch.rows >= batch_rows || st.batch.bytes >= batch_bytes) return this.flushFull(stream);
    if ((++this.received & 1023) === 0) return this.flushOld();
    return undefined;
  }

  /** A full batch flushes every stream's batch (flushAll), its own first: a slow stream never holds STATE back. */
  private async flushFull(stream: string): Promise<void> {
    await this.flushAll(stream);
    await this.releaseStates();
  }

  /**
   * Records of a table version older than the activated one belong to a run that was superseded
   * (Singer ACTIVATE_VERSION): loading them would revive or overwrite rows, or add rows the newer
   * version does not have. The mapper drops them; they are counted (record_count, status "stale")
   * and logged once per stream.
   */
  private noteStale(stream: string, mapped: MappedBatch, activated: TableVersion | undefined): void {
    if (!mapped.firstStale) return;
    if (!this.summary.stale.entries().some((e) => e.stream === stream)) {
      this.opts.log.warn('stale records dropped: their table version is older than the activated one', { stream, line: mapped.firstStale.line, version: versionJson(mapped.firstStale.version), activated_version: activated === undefined ? undefined : versionJson(activated) });
    }
    this.summary.stale.addAll(mapped.stale);
  }

  /**
   * A record property its SCHEMA does not list has no column and is not loaded; JSON Schema allows
   * it (additionalProperties defaults to true), so it is no data error, but it was dropped without a
   * word. Logged once per stream and run, naming the first record's such properties.
   */
  private noteUnlisted(stream: string, mapped: MappedBatch): void {
    if (!mapped.firstUnlisted || this.unlistedWarned.has(stream)) return;
    this.unlistedWarned.add(stream);
    this.opts.log.warn('record properties its SCHEMA does not list are not loaded', {
      stream,
      line: mapped.firstUnlisted.line,
      properties: mapped.firstUnlisted.properties,
      hint: "Add them to the stream's SCHEMA in the tap (they become new columns): the target loads only what the SCHEMA lists.",
    });
  }

  private async handleActivate(msg: ActivateVersionMessage<TableVersion>, line: number): Promise<void> {
    const st = this.streamOf(msg.stream, line, 'ACTIVATE_VERSION');
    if (st.activated !== undefined && msg.version < st.activated) {
      // A superseded run's activation: applying it would change nothing but the stored version.
      this.opts.log.warn('stale ACTIVATE_VERSION ignored: the table has a newer activated version', { stream: msg.stream, line, version: versionJson(msg.version), activated_version: versionJson(st.activated) });
      return;
    }
    // Every line before the activation is checked and committed first (flushAll).
    await this.flushAll();
    await this.settle();
    await this.opts.destination.activateVersion(st.table, msg.version, this.now());
    st.activated = msg.version;
    this.opts.log.info('version activated', { stream: msg.stream, version: versionJson(msg.version) });
    await this.releaseStates();
  }

  /** Flushes batches older than batch_seconds, so a slow stream does not hold STATE back forever. */
  private async flushOld(): Promise<void> {
    const limit = this.opts.config.batch_seconds * 1000;
    const now = this.now().getTime();
    if ([...this.streams.values()].some((st) => st.batch && now - st.batch.openedAt >= limit)) await this.flushAll();
    await this.releaseStates();
  }

  /**
   * Closes every stream's open batch and maps them all (validating every line) right away, each on
   * the worker pool, before any of them loads: so a bad line stops the run before anything read
   * after it reaches the warehouse, and the error named is the earliest bad line of them all.
   */
  private closeAndMapAll(first?: string): Closed[] {
    const closed: Closed[] = [];
    // The batch that filled up commits first: the STATEs waiting only on it are released soonest.
    const order = [...this.streams].sort(([a], [b]) => Number(b === first) - Number(a === first));
    for (const [stream, st] of order) {
      const batch = st.batch;
      if (!batch) continue;
      st.batch = undefined;
      const raw = batch.close();
      const job = { stream, fields: st.table.fields, keySources: st.keySources, schema: st.schema, schemaKey: st.schemaKey, validate: this.opts.config.validate_records, activated: st.activated, batchedAt: batch.batchedAt };
      const mapping = this.mapper!.map(job, raw);
      // Observed here; awaited (and its failure weighed against the others') by whoever takes the group.
      mapping.catch(() => undefined);
      closed.push({ id: batch.id, stream, table: st.table, activated: st.activated, raw, mapping });
    }
    return closed;
  }

  /**
   * Closes and maps every open batch as one group (closeAndMapAll), then commits them in the
   * background once the group before has committed; reading continues meanwhile. At most two groups
   * are in flight (one mapping while the other loads). Their STATEs are released as they commit.
   */
  private async flushAll(first?: string): Promise<void> {
    if (![...this.streams.values()].some((st) => st.batch)) return;
    while (this.inFlight.length >= 2) await this.inFlight.shift();
    const previous = this.inFlight[this.inFlight.length - 1];
    const group = this.closeAndMapAll(first);
    for (const c of group) this.inFlightIds.add(c.id);
    const started = Date.now();
    const commit = async (): Promise<void> => {
      try {
        const settled = await Promise.allSettled(group.map((c) => c.mapping));
        // The group before holds earlier lines: its failure comes first; then this group's earliest line.
        if (previous) await previous;
        throwEarliest(settled);
        for (const [i, c] of group.entries()) await this.commitMapped(c, (settled[i] as PromiseFulfilledResult<MappedBatch>).value, started);
      } finally {
        await removeFiles(group);
      }
    };
    const p = commit();
    // Observed here so a failure never becomes an unhandled rejection; rethrown by settle().
    p.catch(() => undefined);
    this.inFlight.push(p);
  }

  /** Loads one mapped batch of a group and accounts for it (counts, STATE release, metric). */
  private async commitMapped(c: Closed, mapped: MappedBatch, started: number): Promise<void> {
    this.noteStale(c.stream, mapped, c.activated);
    this.noteUnlisted(c.stream, mapped);
    if (mapped.file.rows > 0) {
      await this.opts.destination.commitBatch(c.table, mapped.file);
      this.summary.batches++;
    }
    this.summary.committed.addAll(mapped.counts);
    this.summary.records[c.stream] = (this.summary.records[c.stream] ?? 0) + mapped.file.rows;
    this.inFlightIds.delete(c.id);
    this.states.committed(c.id);
    this.opts.log.metric('timer', 'batch_commit_ms', Date.now() - started, { stream: c.stream, rows: mapped.file.rows, bytes: mapped.file.bytes, map_ms: mapped.mapMs, map_parts: mapped.parts });
    await this.releaseStates();
  }

  /**
   * The error to report when reading stopped at a bad line: an earlier bad line wins — one in a
   * group in flight, else one in the batches still open (mapped now, never loaded) — since the user
   * must fix the first bad line first.
   */
  private async earliestFailure(err: unknown): Promise<unknown> {
    try {
      await this.settle();
    } catch (earlier) {
      return earlier;
    }
    const line = lineOf(err);
    // A failure that names no line (a load, the warehouse) is not a bad line: nothing to weigh it against.
    if (line === Infinity) return err;
    const open = this.closeAndMapAll();
    const settled = await Promise.allSettled(open.map((c) => c.mapping));
    await removeFiles(open);
    const bad = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected').map((s) => s.reason as unknown);
    const earlier = bad.filter((e) => lineOf(e) < line).sort((a, b) => lineOf(a) - lineOf(b))[0];
    return earlier ?? err;
  }

  /** Waits for every commit in flight; rethrows the first failure (the earliest batch's). */
  private async settle(): Promise<void> {
    while (this.inFlight.length > 0) await this.inFlight.shift();
  }

  private async releaseStates(): Promise<void> {
    const value = this.states.takeReleasable();
    if (value === undefined) return;
    await this.opts.emitState(value);
    this.summary.statesEmitted++;
  }
}
