// SQL builders shared by both warehouses: the MERGE that upserts a deduplicated batch, the history
// append, the keyless append and the ACTIVATE_VERSION soft delete. Identifiers go through the
// dialect, which refuses anything outside [a-z0-9_]; values never appear here (parameters only).
import type { WarehouseField } from './fields.js';
import { SAFE_IDENTIFIER } from './fields.js';

export interface Dialect {
  /** Fully qualified, quoted table inside the target dataset. */
  table(name: string): string;
  /** Quoted column identifier. */
  ident(name: string): string;
  /** A typed query parameter placeholder. */
  param(name: string, type: 'INT64' | 'TIMESTAMP'): string;
  /** Column type in this warehouse's DDL. */
  type(field: WarehouseField): string;
}

export function assertIdentifier(name: string): string {
  if (!SAFE_IDENTIFIER.test(name)) throw new Error(`refusing unsafe identifier ${JSON.stringify(name)}`);
  return name;
}

/** Column written to staging only: input line number, so "last record wins" follows input order. */
/** A DuckDB string literal (standard SQL: a quote inside is doubled; BigQuery escapes differently). */
export const sqlString = (v: string): string => `'${v.replace(/'/g, "''")}'`;

export const SEQUENCE_COLUMN = '_sdc_sequence';
export const UPDATED_TIME_COLUMN = 'updated_time';

export interface MergeSpec {
  target: string;
  source: string;
  columns: readonly string[];
  keys: readonly string[];
  /** Replication-key column: the newest value wins within the batch and against the table. */
  orderColumn?: string | undefined;
  /**
   * SQL conditions on the target alias T that every row matching a batch key satisfies (the
   * batch's min..max of a key column). They change no match, only let the warehouse skip blocks.
   */
  targetFilter?: readonly string[] | undefined;
  /** Columns the batch has no value for (evolution.ts unlistedColumns): a matched row keeps its own. */
  keep?: readonly string[] | undefined;
}

/** Dedup ordering of a MERGE source: newest table version, then newest replication key, then input order. */
function mergeOrder(m: MergeSpec): string[] {
  return [...(m.columns.includes(VERSION_COLUMN) ? [VERSION_COLUMN] : []), ...(m.orderColumn ? [m.orderColumn] : [])];
}

function dedupedSource(d: Dialect, source: string, columns: readonly string[], partition: readonly string[], order: readonly string[], filter?: string): string {
  const cols = columns.map((c) => `S.${d.ident(c)}`).join(', ');
  const orderBy = [...order.map((c) => `S.${d.ident(c)} DESC`), `S.${d.ident(SEQUENCE_COLUMN)} DESC`].join(', ');
  return `SELECT ${cols} FROM ${d.table(source)} AS S WHERE ${filter ?? 'TRUE'} ` + `QUALIFY ROW_NUMBER() OVER (PARTITION BY ${partition.map((k) => `S.${d.ident(k)}`).join(', ')} ORDER BY ${orderBy}) = 1`;
}

/** Table version column (ACTIVATE_VERSION): a row of an older version never overwrites a newer one. */
export const VERSION_COLUMN = '_sdc_table_version';

/**
 * When a batch row S may overwrite the table's row T of the same key (MERGE's WHEN MATCHED
 * condition; empty = always). A stale record never wins: an older table version never overwrites a
 * newer row, and a row soft-deleted by an activation is revived only by a newer version (the same
 * old version arriving late is stale). Never NULL, so `NOT (…)` picks exactly the stale matches.
 */
export function mergeGuard(d: Dialect, m: Pick<MergeSpec, 'columns' | 'orderColumn'>): string[] {
  const rk = m.orderColumn;
  const v = d.ident(VERSION_COLUMN);
  return [
    ...(rk ? [`(T.${d.ident(rk)} IS NULL OR S.${d.ident(rk)} IS NULL OR S.${d.ident(rk)} >= T.${d.ident(rk)})`] : []),
    ...(m.columns.includes(VERSION_COLUMN) ? [`(S.${v} IS NULL OR T.${v} IS NULL OR S.${v} > T.${v} OR (S.${v} = T.${v} AND T.${d.ident('_sdc_deleted_at')} IS NULL))`] : []),
  ];
}

/**
 * Upsert: one row per key from the batch (newest table version, then newest by replication key,
 * then last by input order); a matched row is updated only when the batch row wins (mergeGuard).
 */
export function mergeSql(d: Dialect, m: MergeSpec): string {
  const on = [...m.keys.map((k) => `T.${d.ident(k)} = S.${d.ident(k)}`), ...(m.targetFilter ?? [])].join(' AND ');
  const guard = mergeGuard(d, m)
    .map((c) => ` AND ${c}`)
    .join('');
  const set = m.columns
    .filter((c) => !m.keys.includes(c) && !m.keep?.includes(c))
    .map((c) => `${d.ident(c)} = S.${d.ident(c)}`)
    .join(', ');
  const cols = m.columns.map((c) => d.ident(c)).join(', ');
  const vals = m.columns.map((c) => `S.${d.ident(c)}`).join(', ');
  return `MERGE INTO ${d.table(m.target)} AS T USING (${dedupedSource(d, m.source, m.columns.concat(SEQUENCE_COLUMN), m.keys, mergeOrder(m))}) AS S ON ${on} ` + `WHEN MATCHED${guard} THEN UPDATE SET ${set} ` + `WHEN NOT MATCHED THEN INSERT (${cols}) VALUES (${vals})`;
}

/** History: every (key, updated_time) version once; replays of a version are ignored. */
export function historySql(d: Dialect, m: Omit<MergeSpec, 'orderColumn'>): string {
  const keys = [...m.keys, UPDATED_TIME_COLUMN];
  const on = keys.map((k) => `T.${d.ident(k)} = S.${d.ident(k)}`).join(' AND ');
  const cols = m.columns.map((c) => d.ident(c)).join(', ');
  const vals = m.columns.map((c) => `S.${d.ident(c)}`).join(', ');
  const src = dedupedSource(d, m.source, m.columns.concat(SEQUENCE_COLUMN), keys, [], `S.${d.ident(UPDATED_TIME_COLUMN)} IS NOT NULL`);
  return `MERGE INTO ${d.table(m.target)} AS T USING (${src}) AS S ON ${on} WHEN NOT MATCHED THEN INSERT (${cols}) VALUES (${vals})`;
}

/** Streams without key properties append the batch as it came. */
export function appendSql(d: Dialect, target: string, source: string, columns: readonly string[]): string {
  const cols = columns.map((c) => d.ident(c)).join(', ');
  return `INSERT INTO ${d.table(target)} (${cols}) SELECT ${columns.map((c) => `S.${d.ident(c)}`).join(', ')} FROM ${d.table(source)} AS S`;
}

/**
 * Where a table's activated version is kept (ACTIVATE_VERSION), so a later run still knows it:
 * DuckDB keeps one row per table in this table of the dataset (written in the soft delete's
 * transaction, cleared when the target creates the table afresh); BigQuery keeps it as this label
 * on the table itself. Table names starting with `_sdc_` are the target's own (streams cannot use them).
 */
export const VERSIONS_TABLE = '_sdc_table_versions';
export const ACTIVATED_VERSION_LABEL = 'sdc_activated_version';
export const RESERVED_TABLE_PREFIX = '_sdc_';

/** ACTIVATE_VERSION: rows of older (or no) table version are marked deleted, never removed. */
export function softDeleteSql(d: Dialect, target: string): string {
  const v = d.ident(VERSION_COLUMN);
  return `UPDATE ${d.table(target)} SET ${d.ident('_sdc_deleted_at')} = ${d.param('deleted_at', 'TIMESTAMP')} ` + `WHERE ${d.ident('_sdc_deleted_at')} IS NULL AND (${v} IS NULL OR ${v} < ${d.param('version', 'INT64')})`;
}

export function alterColumnTypeSql(d: Dialect, table: string, column: string, field: WarehouseField): string {
  return `ALTER TABLE ${d.table(table)} ALTER COLUMN ${d.ident(column)} SET DATA TYPE ${d.type(field)}`;
}

/** BigQuery column type in DDL, nested STRUCT/ARRAY included. */
export function bigQueryDdlType(f: WarehouseField): string {
  const base = f.type === 'RECORD' ? `STRUCT<${(f.fields ?? []).map((c) => `\`${assertIdentifier(c.name)}\` ${bigQueryDdlType(c)}`).join(', ')}>` : f.type;
  return f.mode === 'REPEATED' ? `ARRAY<${base}>` : base;
}

/**
 * The DDL equivalent of what the BigQuery destination creates through the tables API (same
 * columns, partitioning and clustering): printed by `--print-ddl`-style tooling and analyzed by
 * ZetaSQL in tests so every mapped stream schema is known to be valid BigQuery.
 */
export function createTableSql(d: Dialect, table: string, fields: readonly WarehouseField[], layout: { partitionField?: string; clusterFields: readonly string[] }): string {
  const cols = fields.map((f) => `${d.ident(f.name)} ${bigQueryDdlType(f)}`).join(', ');
  const part = layout.partitionField ? ` PARTITION BY ${d.ident(layout.partitionField)}` : '';
  const cluster = layout.clusterFields.length ? ` CLUSTER BY ${layout.clusterFields.map((c) => d.ident(c)).join(', ')}` : '';
  return `CREATE TABLE IF NOT EXISTS ${d.table(table)} (${cols})${part}${cluster}`;
}
