// BigQuery column types expressed in DuckDB: the embedded destination and the test BigQuery
// emulator both store BigQuery-shaped tables in DuckDB, so the translation lives in one place.
import type { BigQueryField } from '../bigquery/schema-map.js';
import { assertIdentifier } from '../sql.js';

export function duckType(f: BigQueryField): string {
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
export function readJsonColumns(fields: readonly BigQueryField[]): string {
  return `{${fields.map((f) => `'${assertIdentifier(f.name)}': '${duckType(f)}'`).join(', ')}}`;
}
