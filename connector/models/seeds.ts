// Seeds: CSV files loaded as tables, typed by the seed's `column_types` config (else inferred the
// way dbt's agate does, roughly: integers, decimals, ISO dates, booleans, text). Empty cells are NULL.
import { readFileSync } from 'node:fs';
import { DataError } from '../core/errors.js';

/** RFC 4180 CSV: quoted fields, doubled quotes, CRLF or LF line ends. */
export function parseCsv(text: string, where: string): { header: string[]; rows: string[][] } {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
      continue;
    }
    if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') {
      record.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      record.push(field);
      field = '';
      if (record.some((f) => f !== '') || record.length > 1) records.push(record);
      record = [];
    } else field += ch;
  }
  if (quoted) throw new DataError(`${where}: unterminated quoted field`, { hint: 'Close the quote in the CSV.' });
  if (field !== '' || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  const [header, ...rows] = records;
  if (!header) throw new DataError(`${where}: empty CSV`, { hint: 'A seed needs a header row.' });
  rows.forEach((r, i) => {
    if (r.length !== header.length) {
      throw new DataError(`${where}: line ${i + 2} has ${r.length} fields, header has ${header.length}`, { hint: 'Quote fields that contain commas.' });
    }
  });
  return { header: header.map((h) => h.trim()), rows };
}

function inferType(values: string[]): string {
  const present = values.filter((v) => v !== '');
  if (present.length === 0) return 'varchar';
  if (present.every((v) => /^-?\d{1,18}$/.test(v))) return 'bigint';
  if (present.every((v) => /^-?\d+(\.\d+)?$/.test(v))) return 'double';
  if (present.every((v) => /^\d{4}-\d{2}-\d{2}$/.test(v))) return 'date';
  if (present.every((v) => /^(true|false)$/i.test(v))) return 'boolean';
  return 'varchar';
}

export interface SeedTable {
  columns: Array<{ name: string; type: string }>;
  rows: Array<Array<string | null>>;
}

export function readSeed(file: string, columnTypes: Record<string, unknown> = {}): SeedTable {
  const { header, rows } = parseCsv(readFileSync(file, 'utf8'), file);
  const columns = header.map((name, i) => ({
    name,
    type: typeof columnTypes[name] === 'string' ? (columnTypes[name] as string) : inferType(rows.map((r) => r[i] ?? '')),
  }));
  return { columns, rows: rows.map((r) => r.map((v) => (v === '' ? null : v))) };
}

/** SQL string literal (single quotes doubled). */
export function sqlString(v: string): string {
  return `'${v.replace(/'/g, "''")}'`;
}
