// Reads DuckDB's type strings (information_schema) back into BigQuery-shaped fields, so schema
// evolution compares like with like on both destinations.
import type { WarehouseField, FieldType } from '../fields.js';

const SCALARS: Record<string, FieldType> = {
  VARCHAR: 'STRING',
  BIGINT: 'INT64',
  INTEGER: 'INT64',
  HUGEINT: 'NUMERIC',
  DOUBLE: 'FLOAT64',
  FLOAT: 'FLOAT64',
  BOOLEAN: 'BOOL',
  DATE: 'DATE',
  'TIMESTAMP WITH TIME ZONE': 'TIMESTAMP',
  TIMESTAMPTZ: 'TIMESTAMP',
  TIMESTAMP: 'TIMESTAMP',
  JSON: 'JSON',
};

/** Splits "a T, b STRUCT(x U, y V)[]" at top-level commas. */
function splitTop(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === ',' && depth === 0) {
      parts.push(s.slice(start, i).trim());
      start = i + 1;
    }
  }
  if (s.slice(start).trim()) parts.push(s.slice(start).trim());
  return parts;
}

export function parseDuckType(name: string, type: string): WarehouseField {
  let t = type.trim();
  let repeated = false;
  if (t.endsWith('[]')) {
    repeated = true;
    t = t.slice(0, -2);
  }
  const mode = repeated ? 'REPEATED' : 'NULLABLE';
  if (t.startsWith('STRUCT(') && t.endsWith(')')) {
    const fields = splitTop(t.slice(7, -1)).map((member) => {
      const m = /^("(?:[^"]|"")*"|\S+)\s+(.*)$/.exec(member);
      if (!m) throw new Error(`cannot read DuckDB struct member ${member}`);
      const raw = m[1]!;
      const fname = raw.startsWith('"') ? raw.slice(1, -1).replace(/""/g, '"') : raw;
      return parseDuckType(fname, m[2]!);
    });
    return { name, type: 'RECORD', mode, fields };
  }
  if (/^DECIMAL\(/.test(t)) return { name, type: 'NUMERIC', mode };
  const scalar = SCALARS[t];
  // Any other DuckDB type (a column someone added by hand) is treated as text for comparisons.
  return { name, type: scalar ?? 'STRING', mode };
}
