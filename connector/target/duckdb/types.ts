// BigQuery column types expressed in DuckDB (and the row groups the target writes them in): the embedded destination and the test BigQuery
// emulator both store BigQuery-shaped tables in DuckDB, so the translation lives in one place.
import type { WarehouseField } from '../fields.js';
import { assertIdentifier } from '../sql.js';

export function duckType(f: WarehouseField): string {
  let base: string;
  switch (f.type) {
    case 'STRING':
      base = 'VARCHAR';
      break;
    case 'INT64':
      base = 'BIGINT';
      break;
    case 'FLOAT64':
      base = 'DOUBLE';
      break;
    case 'NUMERIC':
      base = 'DECIMAL(38,9)';
      break;
    case 'BOOL':
      base = 'BOOLEAN';
      break;
    case 'DATE':
      base = 'DATE';
      break;
    case 'TIMESTAMP':
      base = 'TIMESTAMPTZ';
      break;
    case 'JSON':
      base = 'JSON';
      break;
    case 'RECORD':
      base = `STRUCT(${(f.fields ?? []).map((c) => `"${assertIdentifier(c.name)}" ${duckType(c)}`).join(', ')})`;
      break;
  }
  return f.mode === 'REPEATED' ? `${base}[]` : base;
}

/** The `columns={…}` argument of read_json for these fields (names are safe identifiers). */
export function readJsonColumns(fields: readonly WarehouseField[]): string {
  return `{${fields.map((f) => `'${assertIdentifier(f.name)}': '${duckType(f)}'`).join(', ')}}`;
}

const hasNumeric = (f: WarehouseField): boolean => f.type === 'NUMERIC' || (f.fields ?? []).some(hasNumeric);

/**
 * Column types for read_json: decimals are read as text. DuckDB's JSON→DECIMAL(38,9) and
 * VARCHAR→DECIMAL(38,9) conversions go through a slow 128-bit path (~10 µs a value here, the
 * largest cost of a load); see `castExpr` for the fast exact route.
 */
export function loadType(f: WarehouseField): WarehouseField {
  if (f.type === 'NUMERIC') return { ...f, type: 'STRING' };
  // JSON columns are read as JSON. Read as text and cast on insert (until 2026-12-01), a JSON string
  // value came out unquoted and the cast refused it, failing the whole batch (a union-typed or
  // untyped property holding "abc"); and on DuckDB 1.5.5 reading JSON is the faster of the two
  // (~9.2 against ~10.0 µs a row for the insert of 100k insights rows; the stored text is the same
  // for every row, compared with EXCEPT ALL both ways).
  if (f.fields) return { ...f, fields: f.fields.map(loadType) };
  return f;
}

/** Exact text→DECIMAL(38,9): via DECIMAL(18,9) (64-bit, fast) when it fits, else the wide cast. */
function decimalExpr(x: string): string {
  return `COALESCE(CAST(TRY_CAST(${x} AS DECIMAL(18,9)) AS DECIMAL(38,9)), CAST(${x} AS DECIMAL(38,9)))`;
}

let lambdaDepth = 0;
/** SQL turning the loaded (text-decimal) value `x` into the column's real type. */
export function castExpr(f: WarehouseField, x: string): string {
  if (!hasNumeric(f)) return x;
  const one = (v: string): string => {
    if (f.type === 'NUMERIC') return decimalExpr(v);
    const members = (f.fields ?? []).map((c) => `"${assertIdentifier(c.name)}" := ${castExpr({ ...c }, `${v}."${assertIdentifier(c.name)}"`)}`);
    return `CASE WHEN ${v} IS NULL THEN NULL ELSE struct_pack(${members.join(', ')}) END`;
  };
  if (f.mode === 'REPEATED') {
    // A name no column can take ('-' is outside SAFE_IDENTIFIER): DuckDB binds a name to a column
    // of the FROM before a lambda parameter, so with "e1" a top-level column e1 beside a list of
    // structs holding decimals failed the whole batch ("Cannot extract field … from expression e1").
    const v = `"element-${++lambdaDepth}"`;
    try {
      return `list_transform(${x}, ${v} -> ${one(v)})`;
    } finally {
      lambdaDepth--;
    }
  }
  return one(x);
}

/**
 * Rows per row group the target writes. A batch's whole row groups go to disk as they fill; the
 * remainder is appended to the table's last, partly filled row group, which the checkpoint at
 * COMMIT rewrites whole. With DuckDB's 122,880-row groups of ~2 KB insights rows that rewrite
 * dominated a commit. DuckDB's time for 100k rows in 32 MiB batches (~15k rows), then a re-sync
 * of them: 3.9 + 5.5 s CPU at 122,880 rows, 2.8 + 3.8 s at 16,384, 2.7 + 2.8 s at 8,192, 3.2 + 3.4 s
 * at 4,096. Tables already written keep their row groups; DuckDB and dbt read any mix.
 * Memory pulls both ways (FB_ADS_ELT_MEMORY_TRACE, 2M insights rows, 2026-11-30; issue 20): DuckDB
 * keeps every row group written in the run described in memory (segments and statistics per
 * column, ~60 KiB each here), malloc'd outside its buffer pool and duckdb_memory_limit, so resident
 * memory grows by ~11 MiB per million rows at 8,192 and ~5.6 at 16,384 until the file is re-attached
 * (REATTACH_ROWS in destination.ts, which bounds it);
 * but a batch's rows stay in memory until COMMIT unless they fill a row group, and at 16,384 a
 * 32 MiB batch (~15k rows) never does: its in-memory rows went from ~45 to ~90 MiB and the 1M-row
 * peak from 306 to 313 MiB (bench, a busier machine). The peak is the goal missed by less, so 8,192 stays.
 */
export const ROW_GROUP_ROWS = 8_192;
