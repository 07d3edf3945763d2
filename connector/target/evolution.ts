// Schema evolution without resets: compares a table's columns with the columns a new SCHEMA asks
// for and plans additions and in-place widenings, or refuses (naming stream and column) before
// anything is written. Rules (README "Schema evolution"):
//  - a new property (top level or inside a RECORD) → a new NULLABLE column / sub-field;
//  - INT64 → NUMERIC or FLOAT64 → the column is widened in place (ALTER … SET DATA TYPE);
//  - the table is already wider (NUMERIC/FLOAT64 holding INT64, STRING or JSON holding anything
//    scalar, JSON holding a RECORD) → the table keeps its type and values are converted to it;
//  - a column the SCHEMA no longer lists (a field deselected in the catalog) stays: NULL in new
//    rows, while a row the batch updates keeps its stored value (the batch has none for it);
//  - anything else (e.g. STRING → INT64, DATE → TIMESTAMP, list ↔ single value) is refused:
//    BigQuery cannot retype it in place and we never silently rebuild a table.
import { DataError } from '../core/errors.js';
import type { WarehouseField, FieldType, MappedField } from './fields.js';

export interface Widening {
  column: string;
  from: FieldType;
  to: FieldType;
}

export interface EvolutionPlan {
  /** Columns (with their final sub-fields) as the table must look afterwards. */
  effective: MappedField[];
  /** Top-level columns to add. */
  added: MappedField[];
  /** Sub-fields to add inside existing RECORD columns: path from the top-level column. */
  addedNested: { path: string[]; field: MappedField }[];
  widened: Widening[];
  changed: boolean;
}

const KEEP_WIDER: Record<FieldType, FieldType[]> = {
  NUMERIC: ['INT64'],
  FLOAT64: ['INT64'],
  STRING: ['INT64', 'FLOAT64', 'NUMERIC', 'BOOL', 'DATE', 'TIMESTAMP'],
  JSON: ['STRING', 'INT64', 'FLOAT64', 'NUMERIC', 'BOOL', 'DATE', 'TIMESTAMP', 'RECORD'],
  INT64: [],
  BOOL: [],
  DATE: [],
  TIMESTAMP: [],
  RECORD: [],
};
const WIDEN_IN_PLACE: Partial<Record<FieldType, FieldType[]>> = { INT64: ['NUMERIC', 'FLOAT64'] };

function refuse(stream: string, column: string, have: WarehouseField, want: WarehouseField): never {
  const show = (f: WarehouseField): string => `${f.mode === 'REPEATED' ? 'REPEATED ' : ''}${f.type}`;
  throw new DataError(`stream "${stream}": column "${column}" is ${show(have)} in the warehouse but the new SCHEMA makes it ${show(want)}; this change cannot be applied in place`, {
    hint: "Keep the property's type in the tap, or rename the property (a new column is added automatically); to retype, migrate the column yourself and re-run.",
    context: { stream, column },
  });
}

function mergeField(stream: string, path: string[], have: WarehouseField, want: MappedField, plan: EvolutionPlan): MappedField {
  const name = path.join('.');
  // A 16th RECORD level a DuckDB table got before the nesting cap (fields.ts) stays one: the closed
  // object still fits it, and refusing it stopped the stream after an upgrade with the SCHEMA unchanged.
  if (want.uncapped && have.type === 'RECORD') return mergeField(stream, path, have, want.uncapped, plan);
  const haveRepeated = have.mode === 'REPEATED';
  const wantRepeated = want.mode === 'REPEATED';
  if (have.type === 'JSON' && !haveRepeated) {
    const { fields: _f, ...rest } = want;
    return { ...rest, type: 'JSON', mode: 'NULLABLE' };
  }
  if (haveRepeated !== wantRepeated) refuse(stream, name, have, want);
  if (have.type === want.type) {
    if (have.type !== 'RECORD') return { ...want, mode: have.mode };
    return { ...want, mode: have.mode, fields: mergeFields(stream, path, have.fields ?? [], want.fields ?? [], plan) };
  }
  if (KEEP_WIDER[have.type].includes(want.type)) {
    const { fields: _f, ...rest } = want;
    return { ...rest, type: have.type, mode: have.mode };
  }
  if (WIDEN_IN_PLACE[have.type]?.includes(want.type) && path.length === 1) {
    plan.widened.push({ column: name, from: have.type, to: want.type });
    return { ...want, mode: have.mode };
  }
  return refuse(stream, name, have, want);
}

function mergeFields(stream: string, parent: string[], have: readonly WarehouseField[], want: readonly MappedField[], plan: EvolutionPlan): MappedField[] {
  const out: MappedField[] = [];
  const wantByName = new Map(want.map((f) => [f.name, f]));
  for (const h of have) {
    const w = wantByName.get(h.name);
    out.push(w ? mergeField(stream, [...parent, h.name], h, w, plan) : stripSource(h));
  }
  const haveNames = new Set(have.map((f) => f.name));
  for (const w of want) {
    if (haveNames.has(w.name)) continue;
    out.push(w);
    if (parent.length === 0) plan.added.push(w);
    else plan.addedNested.push({ path: parent, field: w });
  }
  return out;
}

/** Table columns not in the SCHEMA are kept with no source (always NULL in new rows). */
function stripSource(f: WarehouseField): MappedField {
  return { name: f.name, type: f.type, mode: f.mode, unlisted: true, ...(f.fields ? { fields: f.fields.map(stripSource) } : {}) };
}

/**
 * The table's columns the SCHEMA no longer lists: an upsert leaves them as stored in the rows it
 * updates, so deselecting a field never blanks the values already loaded (only in the rows a
 * lookback re-reads, which would leave one column half filled without a word).
 */
export const unlistedColumns = (fields: readonly MappedField[]): string[] => fields.filter((f) => f.unlisted).map((f) => f.name);

export function planEvolution(stream: string, existing: readonly WarehouseField[], wanted: readonly MappedField[]): EvolutionPlan {
  const plan: EvolutionPlan = { effective: [], added: [], addedNested: [], widened: [], changed: false };
  plan.effective = mergeFields(stream, [], existing, wanted, plan);
  plan.changed = plan.added.length + plan.addedNested.length + plan.widened.length > 0;
  return plan;
}

/** Columns as the warehouse API wants them (no `source`), with sub-fields. */
export function withoutSources(fields: readonly MappedField[]): WarehouseField[] {
  return fields.map((f) => ({ name: f.name, type: f.type, mode: f.mode, ...(f.fields ? { fields: withoutSources(f.fields) } : {}) }));
}
