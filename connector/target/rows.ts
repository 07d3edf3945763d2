// Turns a Singer record into a warehouse row: mapped column names, values coerced to the column's
// type without float rounding (decimals stay strings), nested records mapped recursively, and the
// _sdc metadata filled in. Anything that cannot be carried exactly is a DataError, never a guess.
import { DataError } from '../core/errors.js';
import { isLosslessNumber, isSafeNumber, type LosslessNumber } from 'lossless-json';
import type { MappedField } from './fields.js';
import { stringifyExact } from '../singer/exact-json.js';
import { versionJson, type TableVersion } from '../singer/messages.js';

/** Scale of the warehouse decimal type (BigQuery NUMERIC, DuckDB DECIMAL(38,9)). */
export const NUMERIC_SCALE = 9;
/** BigQuery NUMERIC holds 29 integer digits; more cannot be stored exactly. */
export const NUMERIC_INTEGER_DIGITS = 29;
/** Decimal exponents beyond this are refused before any digit is expanded. */
const MAX_DECIMAL_EXPONENT = 100;
/** INT64 bounds (BigQuery INT64, DuckDB BIGINT). */
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
/** Fractional digits a TIMESTAMP holds (microseconds, BigQuery and DuckDB alike). */
const TIMESTAMP_FRACTION_DIGITS = 6;
/** JSON columns store integers as int64/uint64 (BigQuery's JSON type, DuckDB's yyjson), else a double. */
const JSON_INT_MIN = INT64_MIN;
const JSON_INT_MAX = 2n ** 64n - 1n;
/** BigQuery refuses JSON nested deeper than 500 levels; the same limit applies on DuckDB so both agree. */
export const MAX_JSON_DEPTH = 500;
/** Lone UTF-16 surrogates: no UTF-8 form exists, so every warehouse refuses or replaces them. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export interface RowMeta {
  receivedAt: string;
  batchedAt: string;
  extractedAt: string | undefined;
  version: TableVersion | undefined;
  sequence: number;
  /** Whether strings are checked for lone surrogates (false only when mayHoldSurrogates says the line cannot hold one). */
  checkStrings: boolean;
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
  // Beyond this the value cannot fit NUMERIC anyway; refusing early also bounds the work (1e999999999).
  if (Math.abs(exp) > MAX_DECIMAL_EXPONENT && /[1-9]/.test(`${m[2] ?? ''}${m[3] ?? ''}`)) throw new ValueError(path, `${s.slice(0, 60)} is outside what NUMERIC holds (exponent beyond ±${MAX_DECIMAL_EXPONENT})`);
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

/** The literal of a number, exact also for a LosslessNumber, for messages and checks. */
const literal = (v: unknown): string => (isLosslessNumber(v) ? (v as LosslessNumber).value : typeof v === 'number' ? String(v) : (JSON.stringify(v)?.slice(0, 60) ?? String(v)));
const show = (v: unknown): string => literal(v).slice(0, 60);

const SURROGATE_MESSAGE = 'contains a lone UTF-16 surrogate (\\uD800-\\uDFFF without its pair), which has no UTF-8 form';

/**
 * Whether a line's strings need the lone-surrogate check. A string holds a surrogate only through
 * a \\uD800-\\uDFFF escape: the bytes of a line are checked as UTF-8 before parsing, and UTF-8 has
 * no form for a surrogate. So a line without such an escape skips the check for every string.
 */
export const mayHoldSurrogates = (lineText: string): boolean => lineText.includes('\\u') && SURROGATE_ESCAPE.test(lineText);
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

function checkString(v: string, path: string, strings: boolean): string {
  if (strings && LONE_SURROGATE.test(v)) throw new ValueError(path, SURROGATE_MESSAGE);
  return v;
}

function int64(digits: string, path: string, written = digits): string {
  const n = BigInt(digits);
  if (n < INT64_MIN || n > INT64_MAX) throw new ValueError(path, `${written.slice(0, 60)} is outside INT64 (-2^63 to 2^63-1)`);
  return digits.replace(/^\+/, '');
}

/**
 * The digits of a number literal whose value is whole (`9007199254740993.0` → `9007199254740993`,
 * `9.2e18` → `9200000000000000000`), exactly; undefined for a fraction or an exponent beyond what
 * any INT64 could need.
 */
function wholeNumberDigits(lit: string): string | undefined {
  const m = DECIMAL_RE.exec(lit);
  if (!m) return undefined;
  const [, sign, int = '', frac = '', e] = m;
  const exp = e ? Number(e) : 0;
  if (Math.abs(exp) > MAX_DECIMAL_EXPONENT) return undefined;
  const digits = int + frac;
  const point = int.length + exp;
  const whole = point <= 0 ? '' : digits.slice(0, point).padEnd(point, '0');
  if (/[1-9]/.test(point <= 0 ? digits : digits.slice(point))) return undefined;
  const trimmed = whole.replace(/^0+/, '');
  return trimmed === '' ? '0' : `${sign === '-' ? '-' : ''}${trimmed}`;
}

/** A real calendar day within year 0001-9999 (Feb 30 and month 13 are not). */
/** A decimal literal's significant digits: no sign, point, exponent, leading or trailing zeros. */
function significantDigits(lit: string): string | undefined {
  const m = DECIMAL_RE.exec(lit);
  return m ? `${m[2]}${m[3] ?? ''}`.replace(/^0+/, '').replace(/0+$/, '') : undefined;
}

/**
 * Whether the double a decimal literal parses to is written back with the literal's digits. Catches
 * what isSafeNumber refuses though a double holds it exactly: any whole number from 2^53 up
 * (Python's json.dumps writes float 1e16 as 1e+16; 2^53 itself), while 2^53+1 still differs.
 */
function doubleKeeps(lit: string): boolean {
  const digits = significantDigits(lit);
  return digits !== undefined && digits === significantDigits(String(Number(lit)));
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Whether y-m-d is a real calendar day, years from 1 (also fast-row.ts's check, on every date it copies). */
export function isCalendarDay(y: number, m: number, d: number): boolean {
  if (y < 1 || m < 1 || m > 12 || d < 1) return false;
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  return d <= (m === 2 && leap ? 29 : MONTH_DAYS[m - 1]!);
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIMESTAMP_RE = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?$/;

function dateValue(v: unknown, path: string): string {
  // The whole value: a time after the day (2024-01-01T05:00:00Z) was cut off without a word when
  // records were not validated (validate_records false).
  const m = typeof v === 'string' ? DATE_RE.exec(v) : null;
  if (!m || !isCalendarDay(Number(m[1]), Number(m[2]), Number(m[3]))) throw new ValueError(path, `expected a calendar date YYYY-MM-DD, got ${show(v)}`);
  return m[0];
}

function timestampValue(v: unknown, path: string): string {
  const m = typeof v === 'string' ? TIMESTAMP_RE.exec(v) : null;
  const ok = m && isCalendarDay(Number(m[1]), Number(m[2]), Number(m[3])) && Number(m[4]) < 24 && Number(m[5]) < 60 && Number(m[6] ?? 0) < 60;
  if (!ok) {
    // RFC 3339 has leap seconds (23:59:60); neither warehouse does (DuckDB refuses the value), so it is refused as what it is.
    if (m && m[6] === '60' && Number(m[4]) < 24 && Number(m[5]) < 60) throw new ValueError(path, `${show(v)} is a leap second, which a TIMESTAMP cannot hold (it counts none); send the second before or after it`);
    throw new ValueError(path, `expected an RFC 3339 timestamp with a real date and time, got ${show(v)}`);
  }
  // The check below looks only at values that can fail it: a year at either end. A fraction past the
  // microsecond is cut there (micros), as Google's own client reads such a value (below).
  if ((m[1] === '0001' || m[1] === '9999') && outsideTimestampRange(m)) {
    throw new ValueError(path, `${show(v)} is outside the TIMESTAMP range once its offset is applied (0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999Z)`);
  }
  // An offset BigQuery refuses names the same instant in UTC: written so, the value is kept exactly.
  const zone = m[8];
  if (zone !== undefined && zone.length > 1 && Math.abs(offsetMinutes(zone)) > MAX_OFFSET_MINUTES) return `${utcSecond(m).toISOString().slice(0, 19)}${micros(m[7])}Z`;
  return canonicalTimestamp(m);
}

/** A timestamp's offset in minutes east of UTC (0 for Z or none). */
function offsetMinutes(zone: string | undefined): number {
  if (zone === undefined || zone.length === 1) return 0;
  const digits = zone.slice(1).replace(':', '');
  return (zone[0] === '-' ? -1 : 1) * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2)));
}

/** The UTC instant of a matched timestamp, to the whole second (the fraction is carried as text). */
function utcSecond(m: RegExpExecArray): Date {
  const [, y, mo, d, h, mi, sec, , zone] = m;
  // Date.UTC would read years 0-99 as 19xx; setUTCFullYear takes the year as given.
  const at = new Date(0);
  at.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
  at.setUTCHours(Number(h), Number(mi) - offsetMinutes(zone), Number(sec ?? 0));
  return at;
}

/**
 * Whether a timestamp of year 0001 or 9999 falls outside BigQuery's TIMESTAMP range once its offset
 * is applied (0001-01-01T00:30:00+01:00 is in year 0). DuckDB stores such an instant (as year 0 or
 * 10000), BigQuery refuses it; the range is BigQuery's on both, as for every type (fields.ts).
 */
function outsideTimestampRange(m: RegExpExecArray): boolean {
  const year = utcSecond(m).getUTCFullYear();
  return year < 1 || year > 9999;
}

/** BigQuery takes offsets within ±14:00 (ZetaSQL: '…+15:00' is an invalid TIMESTAMP); RFC 3339 allows up to ±23:59. */
const MAX_OFFSET_MINUTES = 14 * 60;

/**
 * A JSON column value, checked: numbers must be ones the warehouse's JSON type stores as written
 * (integers within int64/uint64, or decimals a double carries), strings well-formed (when
 * `strings`), nesting at most MAX_JSON_DEPTH levels.
 */
function checkJson(v: unknown, path: string, strings: boolean): void {
  const problem = jsonProblem(v, 0, strings);
  if (problem) throw new ValueError(`${path}${problem.at}`, problem.message);
}

/**
 * The first problem in a JSON value: where below it (a path suffix) and what; undefined when there
 * is none. The suffix is built only on the way back from a problem: building every element's path
 * up front cost a string per value of every action list (2026-12-01).
 */
function jsonProblem(v: unknown, depth: number, strings: boolean): { at: string; message: string } | undefined {
  if (depth > MAX_JSON_DEPTH) return { at: '', message: `is nested deeper than ${MAX_JSON_DEPTH} levels (BigQuery's JSON limit)` };
  if (typeof v === 'string') return strings && LONE_SURROGATE.test(v) ? { at: '', message: SURROGATE_MESSAGE } : undefined;
  if (v === null || typeof v !== 'object') return undefined;
  if (isLosslessNumber(v)) {
    const lit = (v as LosslessNumber).value;
    const asInt = /^-?\d+$/.test(lit) ? BigInt(lit) : undefined;
    // A literal with a fraction or an exponent is a double when one reads back as written (Python's 1e+16).
    if (asInt === undefined ? !doubleKeeps(lit) : asInt < JSON_INT_MIN || asInt > JSON_INT_MAX) {
      return { at: '', message: `${lit.slice(0, 60)} would be changed by the warehouse's JSON type (not an int64/uint64 and not a double); send it as a string` };
    }
    return undefined;
  }
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const p = jsonProblem(v[i], depth + 1, strings);
      if (p) return { at: `[${i}]${p.at}`, message: p.message };
    }
    return undefined;
  }
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (strings && LONE_SURROGATE.test(k)) return { at: ' (a key)', message: SURROGATE_MESSAGE };
    const p = jsonProblem(o[k], depth + 1, strings);
    if (p) return { at: `.${k}${p.at}`, message: p.message };
  }
  return undefined;
}

/**
 * One spelling of every timestamp the validator accepts: YYYY-MM-DDTHH:MM:SS[.f] with Z or ±HH:MM,
 * or no offset when it had none. Graph writes offsets as +0000; RFC 3339 also allows a lower-case
 * t and z, and the validator a time without seconds: DuckDB's read_json refused those two ("invalid
 * timestamp field format", the whole batch failing as a bug) and BigQuery wants the seconds too.
 */
function canonicalTimestamp(m: RegExpExecArray): string {
  const [, y, mo, d, h, mi, sec, frac, zone] = m;
  const offset = zone === undefined ? '' : /^[Zz]$/.test(zone) ? 'Z' : zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone;
  return `${y}-${mo}-${d}T${h}:${mi}:${sec ?? '00'}${micros(frac)}${offset}`;
}

/**
 * A timestamp's fraction as written, up to the microsecond, which is all a TIMESTAMP holds on both
 * destinations (BigQuery's default precision, google-cloud-bigquery enums.TimestampPrecision.MICROSECOND;
 * DuckDB's TIMESTAMPTZ). Digits past it are cut, never rounded, as Google's client does with an RFC
 * 3339 value of up to nine digits (google-api-core datetime_helpers.from_rfc3339: "truncates such
 * values to microseconds"); rounding could carry into the next second, day or year. The cut is made
 * here, before either load, because BigQuery's SQL refuses a seventh digit (airbytehq/airbyte#75187:
 * 'Invalid timestamp'); the date, time and offset stay as written. Only a fraction longer than six
 * digits is sliced: shorter ones, the usual case, cost nothing more.
 */
const micros = (frac: string | undefined): string => (frac !== undefined && frac.length > 1 + TIMESTAMP_FRACTION_DIGITS ? frac.slice(0, 1 + TIMESTAMP_FRACTION_DIGITS) : (frac ?? ''));

/**
 * A record's own value of `key`: a property the record lacks is absent even when Object.prototype
 * has a member of that name (toString, constructor…), which a plain read would return as a function.
 */
const ownValue = (o: Record<string, unknown>, key: string): unknown => (Object.hasOwn(o, key) ? o[key] : undefined);

function convert(field: MappedField, v: unknown, path: string, strings: boolean): unknown {
  if (v === null || v === undefined) return null;
  if (field.mode === 'REPEATED') {
    if (!Array.isArray(v)) throw new ValueError(path, `expected a list, got ${typeof v}`);
    return v.map((el, i) => {
      if (el === null || el === undefined) throw new ValueError(`${path}[${i}]`, 'list elements cannot be null in a REPEATED column');
      return convertOne(field, el, `${path}[${i}]`, strings);
    });
  }
  return convertOne(field, v, path, strings);
}

function convertOne(field: MappedField, v: unknown, path: string, strings: boolean): unknown {
  switch (field.type) {
    case 'STRING':
      if (typeof v === 'string') return checkString(v, path, strings);
      if (typeof v === 'number' || typeof v === 'boolean' || isLosslessNumber(v)) return literal(v);
      checkJson(v, path, strings);
      return stringifyExact(v);
    case 'INT64':
      if (typeof v === 'number') {
        if (!Number.isInteger(v)) throw new ValueError(path, `expected an integer, got ${v}`);
        return v;
      }
      if (isLosslessNumber(v)) {
        const lit = literal(v);
        if (/^-?\d+$/.test(lit)) return int64(lit, path);
        // JSON Schema's integer is any number whose fraction is zero, however written (9007199254740993.0, 9.2e18).
        const whole = wholeNumberDigits(lit);
        if (whole !== undefined) return int64(whole, path, lit);
      }
      if (typeof v === 'string' && /^[+-]?\d{1,19}$/.test(v)) return int64(v, path);
      throw new ValueError(path, `expected an integer, got ${show(v)}`);
    case 'NUMERIC':
      if (typeof v === 'string' || typeof v === 'number') return normaliseDecimal(v, path);
      if (isLosslessNumber(v)) return normaliseDecimal(literal(v), path);
      throw new ValueError(path, `expected a decimal, got ${typeof v}`);
    case 'FLOAT64': {
      // A FLOAT64 keeps what a double carries; anything it would round, overflow or underflow is refused.
      const text = typeof v === 'number' ? String(v) : isLosslessNumber(v) ? literal(v) : typeof v === 'string' ? v.trim() : undefined;
      if (text === undefined || text === '' || Number.isNaN(Number(text))) throw new ValueError(path, `expected a number, got ${show(v)}`);
      if (!Number.isFinite(Number(text)) || !(isSafeNumber(text) || doubleKeeps(text))) throw new ValueError(path, `${text.slice(0, 60)} cannot be stored in FLOAT64 without changing it; declare the property as a decimal string (format singer.decimal)`);
      return Number(text);
    }
    case 'BOOL':
      if (typeof v === 'boolean') return v;
      if (v === 'true' || v === 'false') return v === 'true';
      throw new ValueError(path, `expected a boolean, got ${show(v)}`);
    case 'DATE':
      return dateValue(v, path);
    case 'TIMESTAMP':
      return timestampValue(v, path);
    case 'JSON':
      checkJson(v, path, strings);
      return v;
    case 'RECORD': {
      if (typeof v !== 'object' || Array.isArray(v) || isLosslessNumber(v)) throw new ValueError(path, `expected an object, got ${Array.isArray(v) ? 'a list' : typeof v}`);
      const src = v as Record<string, unknown>;
      // No prototype: a column named __proto__ is an ordinary key here, never the object's prototype.
      const out = Object.create(null) as Record<string, unknown>;
      for (const f of field.fields ?? []) out[f.name] = f.source === undefined ? null : convert(f, ownValue(src, f.source), `${path}.${f.source}`, strings);
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
    const v = ownValue(record, k);
    if (v === null || v === undefined || v === '') {
      throw new DataError(`line ${line}: stream "${stream}": key property "${k}" is missing or null`, {
        context: { line, stream, property: k },
        hint: 'Every record must carry its key properties; fix the tap or its SCHEMA key_properties.',
      });
    }
  }
  const row = Object.create(null) as Record<string, unknown>;
  const strings = meta.checkStrings;
  try {
    for (const f of fields) {
      switch (f.name) {
        case '_sdc_received_at':
          row[f.name] = meta.receivedAt;
          continue;
        case '_sdc_batched_at':
          row[f.name] = meta.batchedAt;
          continue;
        case '_sdc_extracted_at': {
          // A problem is named where the value came from: the record's own column or the RECORD's time_extracted.
          const own = ownValue(record, '_sdc_extracted_at');
          row[f.name] = own !== undefined && own !== null ? convert(f, own, '_sdc_extracted_at', strings) : convert(f, meta.extractedAt, 'time_extracted', strings);
          continue;
        }
        case '_sdc_table_version':
          row[f.name] = meta.version !== undefined ? versionJson(meta.version) : convert(f, ownValue(record, '_sdc_table_version'), '_sdc_table_version', strings);
          continue;
        default:
          row[f.name] = f.source === undefined ? null : convert(f, ownValue(record, f.source), f.source, strings);
      }
    }
  } catch (err) {
    if (!(err instanceof ValueError)) throw err;
    const property = err.path.length > 120 ? `${err.path.slice(0, 120)}…` : err.path;
    throw new DataError(`line ${line}: stream "${stream}": property ${property}: ${err.message}`, {
      context: { line, stream, property },
      hint: 'Fix the value in the tap, or widen the property type in its SCHEMA.',
    });
  }
  row['_sdc_sequence'] = meta.sequence;
  return row;
}
