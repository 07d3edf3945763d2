// Turns a Singer record into a warehouse row: mapped column names, values coerced to the column's
// type without float rounding (decimals stay strings), nested records mapped recursively, and the
// _sdc metadata filled in. Anything that cannot be carried exactly is a DataError, never a guess.
import { DataError } from '../core/errors.js';
import type { MappedField } from './bigquery/schema-map.js';

/** Scale of the warehouse decimal type (BigQuery NUMERIC, DuckDB DECIMAL(38,9)). */
export const NUMERIC_SCALE = 9;
/** BigQuery NUMERIC holds 29 integer digits; more cannot be stored exactly. */
export const NUMERIC_INTEGER_DIGITS = 29;

export interface RowMeta {
  receivedAt: string;
  batchedAt: string;
  extractedAt: string | undefined;
  version: number | undefined;
  sequence: number;
}

class ValueError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

const DECIMAL_RE = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/**
 * Normalises a decimal (string or number) to a plain decimal string with at most 9 fractional
 * digits, rounding half away from zero on the decimal digits themselves (no binary float step).
 */
export function normaliseDecimal(v: string | number, path: string): string {
  let s: string;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new ValueError(path, `${v} is not a finite decimal`);
    s = String(v); // shortest round-trip representation: exact for the decimal the producer wrote
  } else s = v.trim();
  const m = DECIMAL_RE.exec(s);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) throw new ValueError(path, `"${String(v).slice(0, 60)}" is not a decimal number`);
  const sign = m[1] === '-' ? '-' : '';
  let intPart = m[2] ?? '';
  let frac = m[3] ?? '';
  const exp = m[4] ? Number(m[4]) : 0;
  if (exp > 0) {
    const take = frac.slice(0, exp).padEnd(exp, '0');
    intPart += take;
    frac = frac.slice(exp);
  } else if (exp < 0) {
    const pad = intPart.padStart(-exp, '0');
    frac = pad.slice(pad.length + exp) + frac;
    intPart = pad.slice(0, pad.length + exp);
  }
  intPart = intPart.replace(/^0+(?=\d)/, '') || '0';
  if (frac.length > NUMERIC_SCALE) {
    const roundUp = frac.charCodeAt(NUMERIC_SCALE) >= 53; // '5'
    frac = frac.slice(0, NUMERIC_SCALE);
    if (roundUp) {
      const digits = (intPart + frac).split('').map(Number);
      let i = digits.length - 1;
      while (i >= 0) {
        if (digits[i]! < 9) {
          digits[i]!++;
          break;
        }
        digits[i] = 0;
        i--;
      }
      let all = digits.join('');
      if (i < 0) all = `1${all}`;
      intPart = all.slice(0, all.length - NUMERIC_SCALE).replace(/^0+(?=\d)/, '') || '0';
      frac = all.slice(all.length - NUMERIC_SCALE);
    }
  }
  frac = frac.replace(/0+$/, '');
  if (intPart.length > NUMERIC_INTEGER_DIGITS) throw new ValueError(path, `${s.slice(0, 60)} has more than ${NUMERIC_INTEGER_DIGITS} integer digits (NUMERIC cannot hold it)`);
  const out = frac ? `${intPart}.${frac}` : intPart;
  return out === '0' ? '0' : `${sign}${out}`;
}

/** RFC 3339 offsets written as +HHMM (Graph style) become +HH:MM, which every warehouse parses. */
function normaliseTimestamp(v: string): string {
  return v.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
}

function convert(field: MappedField, v: unknown, path: string): unknown {
  if (v === null || v === undefined) return null;
  if (field.mode === 'REPEATED') {
    if (!Array.isArray(v)) throw new ValueError(path, `expected a list, got ${typeof v}`);
    return v.map((el, i) => {
      if (el === null || el === undefined) throw new ValueError(`${path}[${i}]`, 'list elements cannot be null in a REPEATED column');
      return convertOne(field, el, `${path}[${i}]`);
    });
  }
  return convertOne(field, v, path);
}

function convertOne(field: MappedField, v: unknown, path: string): unknown {
  switch (field.type) {
    case 'STRING':
      if (typeof v === 'string') return v;
      if (typeof v === 'number' || typeof v === 'boolean') return String(v);
      return JSON.stringify(v);
    case 'INT64':
      if (typeof v === 'number') {
        if (!Number.isSafeInteger(v)) throw new ValueError(path, `${v} is not an integer that JSON numbers carry exactly (|n| <= 2^53); send it as a string`);
        return v;
      }
      if (typeof v === 'string' && /^[+-]?\d{1,19}$/.test(v)) return v;
      throw new ValueError(path, `expected an integer, got ${JSON.stringify(v)?.slice(0, 60)}`);
    case 'NUMERIC':
      if (typeof v === 'string' || typeof v === 'number') return normaliseDecimal(v, path);
      throw new ValueError(path, `expected a decimal, got ${typeof v}`);
    case 'FLOAT64':
      if (typeof v === 'number') return v;
      if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
      throw new ValueError(path, `expected a number, got ${JSON.stringify(v)?.slice(0, 60)}`);
    case 'BOOL':
      if (typeof v === 'boolean') return v;
      if (v === 'true' || v === 'false') return v === 'true';
      throw new ValueError(path, `expected a boolean, got ${JSON.stringify(v)?.slice(0, 60)}`);
    case 'DATE': {
      const m = typeof v === 'string' ? /^\d{4}-\d{2}-\d{2}/.exec(v) : null;
      if (!m) throw new ValueError(path, `expected a date YYYY-MM-DD, got ${JSON.stringify(v)?.slice(0, 60)}`);
      return m[0];
    }
    case 'TIMESTAMP':
      if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}/.test(v) && !Number.isNaN(Date.parse(normaliseTimestamp(v)))) return normaliseTimestamp(v);
      throw new ValueError(path, `expected an RFC 3339 timestamp, got ${JSON.stringify(v)?.slice(0, 60)}`);
    case 'JSON':
      return v;
    case 'RECORD': {
      if (typeof v !== 'object' || Array.isArray(v)) throw new ValueError(path, `expected an object, got ${Array.isArray(v) ? 'a list' : typeof v}`);
      const src = v as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const f of field.fields ?? []) out[f.name] = f.source === undefined ? null : convert(f, src[f.source], `${path}.${f.source}`);
      return out;
    }
  }
}

/**
 * Builds the NDJSON row for one record. `fields` are the table's effective columns (after schema
 * evolution); `keyColumns` must be present and non-null. Errors name the stream, line and property.
 */
export function toRow(stream: string, line: number, record: Record<string, unknown>, fields: readonly MappedField[], keySources: readonly string[], meta: RowMeta): Record<string, unknown> {
  for (const k of keySources) {
    const v = record[k];
    if (v === null || v === undefined || v === '') {
      throw new DataError(`line ${line}: stream "${stream}": key property "${k}" is missing or null`, {
        context: { line, stream, property: k },
        hint: 'Every record must carry its key properties; fix the tap or its SCHEMA key_properties.',
      });
    }
  }
  const row: Record<string, unknown> = {};
  try {
    for (const f of fields) {
      switch (f.name) {
        case '_sdc_received_at':
          row[f.name] = meta.receivedAt;
          continue;
        case '_sdc_batched_at':
          row[f.name] = meta.batchedAt;
          continue;
        case '_sdc_extracted_at':
          row[f.name] = convert(f, record['_sdc_extracted_at'] ?? meta.extractedAt, '_sdc_extracted_at');
          continue;
        case '_sdc_table_version':
          row[f.name] = meta.version ?? convert(f, record['_sdc_table_version'], '_sdc_table_version');
          continue;
        default:
          row[f.name] = f.source === undefined ? null : convert(f, record[f.source], f.source);
      }
    }
  } catch (err) {
    if (!(err instanceof ValueError)) throw err;
    throw new DataError(`line ${line}: stream "${stream}": property ${err.path}: ${err.message}`, {
      context: { line, stream, property: err.path },
      hint: 'Fix the value in the tap, or widen the property type in its SCHEMA.',
    });
  }
  row['_sdc_sequence'] = meta.sequence;
  return row;
}
