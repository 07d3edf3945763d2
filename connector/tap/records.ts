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
    default:
      return value;
  }
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
