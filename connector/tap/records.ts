// Graph object → Singer record: keep only the stream's selected columns, coerce Graph's string numbers
// to the schema's types, timestamps to RFC 3339 UTC, minor-unit money to exact major-unit decimals
// (+ `<field>_minor`), and stamp `_sdc_extracted_at`. Pure functions; no I/O.
import { graphTimeToRfc3339 } from '../core/dates.js';
import type { JsonObject } from '../core/config.js';
import type { JsonSchema } from '../singer/messages.js';
import { minorString, minorToMajor, toDecimalString } from './money.js';
import { coercionOf, propertiesOf, type Coercion } from './schemas.js';

export interface Shaper {
  /** Selected column → how to coerce it. */
  columns: Array<[string, Coercion]>;
  minorUnitFields: readonly string[];
}

export function shaperFor(schema: JsonSchema, selected: readonly string[], minorUnitFields: readonly string[] = []): Shaper {
  const props = propertiesOf(schema);
  return {
    columns: selected.filter((c) => c in props).map((c) => [c, coercionOf(props[c] as JsonObject)]),
    minorUnitFields: minorUnitFields.filter((f) => selected.includes(f)),
  };
}

function coerce(value: unknown, how: Coercion): unknown {
  if (value === undefined || value === null) return null;
  switch (how) {
    case 'integer': {
      if (typeof value === 'number') return Number.isInteger(value) ? value : Math.round(value);
      const s = String(value).trim();
      if (s === '') return null;
      const n = Number(s);
      return Number.isFinite(n) ? Math.round(n) : null;
    }
    case 'number': {
      const n = typeof value === 'number' ? value : Number(String(value));
      return Number.isFinite(n) ? n : null;
    }
    case 'decimal':
      return toDecimalString(value);
    case 'datetime':
      return typeof value === 'string' && value !== '' ? graphTimeToRfc3339(value) : null;
    case 'date':
      return typeof value === 'string' && value !== '' ? value.slice(0, 10) : null;
    case 'stat_list':
      return Array.isArray(value) ? value.map(statStrings) : null;
    default:
      return value;
  }
}

/**
 * One AdsActionStats element with every number as a decimal string: Meta documents its values as
 * numeric strings ("12"), and a JSON number (as some answers and proxies re-encode them) must land
 * the same way rather than fail the schema.
 */
function statStrings(item: unknown): unknown {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) return item;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(item)) out[k] = typeof v === 'number' ? toDecimalString(v) : v;
  return out;
}

/**
 * A row of a daily report (time_increment=1) covers exactly one day. A row whose date_stop differs from
 * its date_start sums several days: stored under date_start it would overstate that day and double
 * count the days it covers, so it is refused by the caller with this description.
 */
export function notOneDay(raw: Record<string, unknown>): string | undefined {
  const start = raw['date_start'];
  const stop = raw['date_stop'];
  if (typeof start !== 'string' || typeof stop !== 'string' || start === stop) return undefined;
  return `${start}..${stop}`;
}

/**
 * Builds the record. `extra` holds computed columns (currency, access…), applied before coercion of
 * Graph values so a computed column wins. Columns the API did not return become null.
 */
export function shapeRecord(raw: Record<string, unknown>, shaper: Shaper, opts: { currency?: string | null | undefined; extractedAt: Date; extra?: Record<string, unknown> }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const extra = opts.extra ?? {};
  for (const [col, how] of shaper.columns) {
    if (col === '_sdc_extracted_at') continue;
    if (col in extra) out[col] = extra[col];
    else out[col] = coerce(raw[col], how);
  }
  for (const f of shaper.minorUnitFields) {
    const rawValue = raw[f];
    out[f] = minorToMajor(rawValue, opts.currency);
    if (`${f}_minor` in out || shaper.columns.some(([c]) => c === `${f}_minor`)) out[`${f}_minor`] = minorString(rawValue);
  }
  out['_sdc_extracted_at'] = opts.extractedAt.toISOString();
  return out;
}
