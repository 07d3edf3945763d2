// The one interface the loader talks to; DuckDB (embedded default) and BigQuery implement it. A
// destination owns DDL, loading a batch file into staging and merging it; the loader owns batching,
// ordering and when STATE may be released.
import type { WarehouseField, MappedField, TableLayout } from './fields.js';
import type { EvolutionPlan } from './evolution.js';
import type { TableVersion } from '../singer/messages.js';
import type { RecordedKey } from './table-key.js';

/** What the loader knows about one stream's table once its SCHEMA is applied. */
export interface StreamTable {
  stream: string;
  /** Final table name (mapped, safe). */
  table: string;
  /** `<table>__history`, when history is kept for this stream. */
  historyTable: string | undefined;
  /** Staging table name (BigQuery) / temp table (DuckDB). */
  stageTable: string;
  /** Effective columns (table types after evolution), in table order. */
  fields: MappedField[];
  keyColumns: string[];
  orderColumn: string | undefined;
  layout: TableLayout;
}

/** A batch of rows as NDJSON, in one or more part files (read in order: their rows are the batch). */
export interface BatchFile {
  paths: string[];
  rows: number;
  bytes: number;
}

export interface Destination {
  readonly kind: 'duckdb' | 'bigquery';
  /**
   * The biggest part file (about, in RECORD line bytes) this destination reads well: a bigger batch
   * is mapped into parts of about this size. Absent: parts only as the map workers need them.
   */
  readonly loadPartBytes?: number;
  /** Opens connections and makes sure the dataset (schema) exists. */
  open(): Promise<void>;
  /** Current columns of a table in the target dataset, or undefined when it does not exist. */
  describe(table: string): Promise<WarehouseField[] | undefined>;
  createTable(table: string, fields: readonly WarehouseField[], layout: TableLayout): Promise<void>;
  /** Applies an evolution plan (computed and checked beforehand) to one table. */
  evolve(table: string, plan: EvolutionPlan): Promise<void>;
  /** Loads the batch into staging and merges it (and its history) into the final table(s). */
  commitBatch(t: StreamTable, batch: BatchFile): Promise<void>;
  /**
   * The table's activated version (the last ACTIVATE_VERSION applied to it), as kept in the
   * warehouse beside the table; undefined when it was never activated (or was dropped since).
   */
  activatedVersion(table: string): Promise<TableVersion | undefined>;
  /**
   * ACTIVATE_VERSION: keeps `version` as the table's activated version, then marks rows of older
   * (or no) versions deleted. The version is stored first, so a crash in between never lets a
   * stale record in later; the soft delete is repeated by the next activation.
   */
  activateVersion(t: StreamTable, version: TableVersion, at: Date): Promise<void>;
  /** The key the table's rows were loaded under, as recordTableKey kept it (table-key.ts); undefined when none was kept (a table from before, or none). */
  tableKey(table: string): Promise<RecordedKey | undefined>;
  /** Keeps keyFingerprint(columns) and the columns beside the table (table-key.ts KEYS_TABLE / KEY_LABEL), replacing what was kept. */
  recordTableKey(table: string, columns: readonly string[]): Promise<void>;
  /** The destination's own memory accounting in bytes by name, for the memory trace (memory-trace.ts); absent when it keeps none in process. */
  memoryStats?(): Promise<Record<string, number>>;
  close(): Promise<void>;
}
