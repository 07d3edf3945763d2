// What DuckDB's buffer pool (memory_limit) must hold while a batch of a table commits, by the table's
// width and the statements the batch runs: the figures behind a wide table's raised memory_limit
// (destination.ts) and behind the out-of-memory hint that names the limit a table needs.
import type { WarehouseField } from '../fields.js';

/** The statements a table's batches run: a plain insert, a MERGE through a stage table, and the same plus the history MERGE. */
export type CommitPath = 'insert' | 'merge' | 'history';

/**
 * DuckDB memory a table's commit needs, by column (kB of 1,000 bytes, as memory_limit's MB). Where it goes (duckdb_memory() sampled while a 2-row batch of 1,007 VARCHAR
 * columns committed; DuckDB 1.5.5, 2026-12-01): execution vectors (ALLOCATOR, 94 MiB beside
 * read_json's 32 MiB buffer) — DuckDB moves rows in chunks of 2,048 values a column, 32 KiB for a
 * VARCHAR, whatever the batch's size, and ~3 chunks are alive between read_json and the insert —
 * and the tables' in-memory blocks (IN_MEMORY_TABLE, ~34 KiB a column for each table the batch
 * writes: the stage, twice that for a MERGE target's uncommitted rows, the history), which stay
 * until DuckDB checkpoints. Neither has a setting: the vector size is compiled into DuckDB and a
 * segment's size follows the block size (the file format, which dbt's DuckDB must keep reading).
 * Smallest memory_limit that loaded two 2-row batches, 8MB steps (columns incl. the target's _sdc_):
 *
 *   columns   insert   merge   history
 *       257     80MB    80MB     112MB
 *       507    120MB   160MB     208MB
 *     1,007    208MB   312MB     416MB
 *     2,007    376MB   624MB     824MB
 *
 * i.e. ~168, ~312 and ~416 kB a column. But a table's blocks of a column grow with its rows up to a
 * whole block (256 KiB), in the stage, in the rows a batch adds and in the table a MERGE scans, and
 * a wide table's batch never fills a row group that DuckDB would write out: the need grows with the
 * batch and the table up to about a block per column per table a batch reads or writes. Two days of
 * rows into the same 1,007 columns, batch_bytes 32 MiB (~1,500 rows a batch), history: 1,000 rows a
 * day needed 600MB, 3,000 1,104MB, 6,000 1,152MB (~1.08 MB a column, 32MB steps); keyless, 6,000
 * rows a day needed more than 1,024MB; both loaded under the 1,280MB this gives. So the figures
 * below are those of full blocks, ~10 % above what was measured: the limit is only a cap on what
 * DuckDB may take (a 2-row batch of 1,007 columns with history peaked at ~234 MiB of its pool,
 * sampled), and the tap's own tables (insights_ad, the widest, 41 columns: 113MB) stay under the default.
 */
const KB_PER_COLUMN: Record<CommitPath, number> = { insert: 1200, merge: 1200, history: 1200 };
const BASE_MB = 64;

/** The memory_limit (MB, a multiple of 32) a commit into a table this wide should run under on this path. */
export function commitMemoryMb(columns: number, path: CommitPath): number {
  return Math.ceil((BASE_MB + (columns * KB_PER_COLUMN[path]) / 1000) / 32) * 32;
}

/** What the table's width alone costs (MB), beside its batch: the part batch_bytes cannot lower. */
export function widthMemoryMb(columns: number, path: CommitPath): number {
  return (columns * KB_PER_COLUMN[path]) / 1000;
}

/** Columns DuckDB stores for these fields: a STRUCT's members each count, as does the STRUCT. */
export const columnCount = (fields: readonly WarehouseField[]): number => fields.reduce((n, f) => n + 1 + (f.fields ? columnCount(f.fields) : 0), 0);

/** duckdb_memory_limit (schemas/target-config.json: a number and KB, MB, GB, KiB, MiB or GiB) in MB. */
export function sizeInMb(limit: string): number | undefined {
  const m = /^([0-9]+(?:\.[0-9]+)?)\s*(KB|MB|GB|KiB|MiB|GiB)$/.exec(limit);
  if (!m) return undefined;
  const unit = { KB: 1e3, MB: 1e6, GB: 1e9, KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30 }[m[2] as 'KB'];
  return (Number(m[1]) * unit) / 1e6;
}
