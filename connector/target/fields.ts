// The target's neutral column model and the pure mapping from a Singer stream's JSON Schema to it,
// plus the rules that turn untrusted stream and property names into safe identifiers. Types are named
// as in BigQuery's standard SQL (the strictest destination); each destination translates them
// (duckdb/types.ts). No I/O except `loadStreamFields`, which reads schemas/streams.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { readJsonFile, REPO_ROOT } from '../core/config.js';
import { DataError } from '../core/errors.js';

export type FieldType = 'STRING' | 'INT64' | 'FLOAT64' | 'NUMERIC' | 'BOOL' | 'DATE' | 'TIMESTAMP' | 'JSON' | 'RECORD';
export type FieldMode = 'NULLABLE' | 'REQUIRED' | 'REPEATED';

export interface WarehouseField {
  name: string;
  type: FieldType;
  mode: FieldMode;
  fields?: WarehouseField[];
}

/** A column plus the record property it is read from (absent for the _sdc columns the target adds). */
export interface MappedField extends WarehouseField {
  source?: string;
  /** A table column the stream's SCHEMA no longer lists (evolution.ts): NULL in new rows, a re-read row keeps its value. */
  unlisted?: true;
  fields?: MappedField[];
  /**
   * On a JSON column that only BigQuery's nesting cap made JSON (capRecordNesting): the RECORD the
   * closed object maps to. A DuckDB table created before the cap holds it so, and keeps it (evolution.ts).
   */
  uncapped?: MappedField;
}

type Schema = Record<string, unknown>;

/**
 * Metadata columns the target adds to every table (design.md §3). `_sdc_extracted_at` and
 * `_sdc_deleted_at` are taken from the record when the tap sends them.
 */
export const METADATA_FIELDS: readonly WarehouseField[] = [
  { name: '_sdc_extracted_at', type: 'TIMESTAMP', mode: 'NULLABLE' },
  { name: '_sdc_received_at', type: 'TIMESTAMP', mode: 'NULLABLE' },
  { name: '_sdc_batched_at', type: 'TIMESTAMP', mode: 'NULLABLE' },
  { name: '_sdc_deleted_at', type: 'TIMESTAMP', mode: 'NULLABLE' },
  { name: '_sdc_table_version', type: 'INT64', mode: 'NULLABLE' },
];
export const METADATA_NAMES: ReadonlySet<string> = new Set(METADATA_FIELDS.map((f) => f.name));

/** JSON Schema string formats that mean "exact decimal" (the tap writes singer.decimal). */
export const DECIMAL_FORMATS: ReadonlySet<string> = new Set(['singer.decimal', 'decimal', 'x-singer.decimal']);

/**
 * BigQuery column names: letters, digits and underscores, not starting with a digit, at most 300
 * characters, and not starting with a reserved prefix (BigQuery "Column names" docs). Breaking any
 * of these makes the load job fail, so names are mapped before anything is created.
 */
export const MAX_COLUMN_NAME = 300;
/** Table base names are kept shorter so `__history` / `__sdc_stage` suffixes still fit comfortably. */
export const MAX_TABLE_NAME = 200;
const RESERVED_PREFIXES = ['_table_', '_file_', '_partition', '_row_timestamp', '__root__', '_colon_', '_change_type', '_change_sequence_number', '_change_timestamp'];

function shortHash(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 8);
}

function mapName(raw: string, max: number): string {
  let n = raw
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_');
  if (n === '' || /^[0-9]/.test(n)) n = `_${n}`;
  if (RESERVED_PREFIXES.some((p) => n.startsWith(p))) n = `f${n}`;
  // Long names keep a readable prefix plus a hash of the original, so two long names that share
  // their first characters still map to different columns.
  if (n.length > max) n = `${n.slice(0, max - 9)}_${shortHash(raw)}`;
  return n;
}

/** Maps a property name to a column name valid in BigQuery and DuckDB (lower case, [a-z0-9_]). */
export function toColumnName(name: string): string {
  return mapName(name, MAX_COLUMN_NAME);
}

/** Maps a stream name to a table name (same alphabet as columns, at most MAX_TABLE_NAME chars). */
export function toTableName(stream: string): string {
  return mapName(stream, MAX_TABLE_NAME);
}

/** Identifiers produced by the mapping; SQL builders refuse anything else (defence in depth). */
export const SAFE_IDENTIFIER = /^[a-z_][a-z0-9_]{0,299}$/;

export interface SchemaMapOptions {
  /** Resolves a non-local `$ref` (e.g. "../fragments/x.json") seen in `baseId`'s schema. */
  resolveRef?: (ref: string, baseId: string | undefined) => Schema;
  /** Stream name, for error messages. */
  stream?: string;
}

const isObj = (v: unknown): v is Schema => !!v && typeof v === 'object' && !Array.isArray(v);

interface Ctx {
  root: Schema;
  opts: SchemaMapOptions;
  baseId: string | undefined;
  depth: number;
}

function deref(s: Schema, ctx: Ctx): { schema: Schema; baseId: string | undefined } {
  let cur = s;
  let baseId = ctx.baseId;
  for (let i = 0; i < 20 && typeof cur['$ref'] === 'string'; i++) {
    const ref = cur['$ref'];
    const { $ref: _drop, ...siblings } = cur;
    let target: Schema;
    if (ref === '#' || ref.startsWith('#/')) {
      target = pointer(ctx.root, ref.slice(1));
    } else if (ref.startsWith('#')) {
      target = anchored(ctx.root, ref) ?? {};
    } else if (ctx.opts.resolveRef) {
      target = ctx.opts.resolveRef(ref, baseId);
      if (typeof target['$id'] === 'string') baseId = target['$id'];
    } else {
      // An unresolvable reference carries no type information: store it losslessly as JSON.
      return { schema: {}, baseId };
    }
    cur = { ...target, ...siblings };
  }
  return { schema: cur, baseId };
}

/**
 * The subschema a plain-name fragment ("#c") names: the one whose `$id` (draft-07) or `id` (draft-04,
 * which the validator accepts too) is that fragment. Read as a JSON pointer, it found nothing, so the
 * column became JSON whatever the type it named.
 */
function anchored(root: Schema, ref: string): Schema | undefined {
  const seen = new Set<unknown>();
  const walk = (v: unknown): Schema | undefined => {
    if (!v || typeof v !== 'object' || seen.has(v)) return undefined;
    seen.add(v);
    if (!Array.isArray(v) && (v as Schema)['$id'] === ref) return v as Schema;
    if (!Array.isArray(v) && (v as Schema)['$id'] === undefined && (v as Schema)['id'] === ref) return v as Schema;
    for (const el of Object.values(v)) {
      const hit = walk(el);
      if (hit) return hit;
    }
    return undefined;
  };
  return walk(root);
}

function pointer(root: Schema, ptr: string): Schema {
  let cur: unknown = root;
  for (const part of ptr.split('/').filter(Boolean)) {
    const key = decodeURIComponent(part).replace(/~1/g, '/').replace(/~0/g, '~');
    cur = isObj(cur) ? cur[key] : undefined;
  }
  return isObj(cur) ? cur : {};
}

/** Non-null JSON types a schema allows, and whether null is allowed (anyOf/oneOf of one branch + null flattened). */
function typesOf(s: Schema, ctx: Ctx): { types: string[]; schema: Schema; baseId: string | undefined } {
  const d = deref(s, ctx);
  let schema = d.schema;
  const branches = (schema['anyOf'] ?? schema['oneOf']) as unknown;
  if (Array.isArray(branches)) {
    const nonNull = branches.filter((b) => isObj(b) && !(b['type'] === 'null' || (Array.isArray(b['type']) && b['type'].every((t) => t === 'null'))));
    if (nonNull.length === 1 && isObj(nonNull[0])) {
      const { anyOf: _a, oneOf: _o, ...rest } = schema;
      return typesOf({ ...rest, ...nonNull[0] }, { ...ctx, baseId: d.baseId });
    }
    return { types: ['__mixed__'], schema, baseId: d.baseId };
  }
  const t = schema['type'];
  let types: string[];
  if (typeof t === 'string') types = [t];
  else if (Array.isArray(t)) types = t.filter((x): x is string => typeof x === 'string');
  else if (isObj(schema['properties'])) types = ['object'];
  else if (schema['items'] !== undefined) types = ['array'];
  else types = [];
  schema = d.schema;
  return { types: types.filter((x) => x !== 'null'), schema, baseId: d.baseId };
}

/** An object is closed (a STRUCT) only when JSON Schema says no other keys may appear. */
function isClosedObject(s: Schema): boolean {
  return s['additionalProperties'] === false && s['patternProperties'] === undefined && isObj(s['properties']);
}

function mapProperty(name: string, prop: unknown, ctx: Ctx): MappedField {
  const column = toColumnName(name);
  // A bound on recursion (a schema referring to itself): each object and each list is a step, so
  // twice BigQuery's RECORD levels; the levels themselves are capped after mapping (capRecordNesting).
  if (ctx.depth > 2 * MAX_RECORD_NESTING + 1) return { name: column, source: name, type: 'JSON', mode: 'NULLABLE' };
  if (!isObj(prop)) return { name: column, source: name, type: 'JSON', mode: 'NULLABLE' };
  const { types, schema, baseId } = typesOf(prop, ctx);
  const inner: Ctx = { ...ctx, baseId, depth: ctx.depth + 1 };
  if (types.length !== 1) {
    // No type (anything goes) or a union such as string|integer: JSON keeps every value as sent.
    // Exception: integer|number is just a number.
    if (types.length === 2 && types.includes('integer') && types.includes('number')) return scalar(column, name, 'FLOAT64');
    return { name: column, source: name, type: 'JSON', mode: 'NULLABLE' };
  }
  const type = types[0]!;
  switch (type) {
    case 'string': {
      const format = schema['format'];
      if (typeof format === 'string' && DECIMAL_FORMATS.has(format)) return scalar(column, name, 'NUMERIC');
      if (format === 'date-time') return scalar(column, name, 'TIMESTAMP');
      if (format === 'date') return scalar(column, name, 'DATE');
      return scalar(column, name, 'STRING');
    }
    case 'integer':
      return scalar(column, name, 'INT64');
    case 'number': {
      const format = schema['format'];
      return scalar(column, name, typeof format === 'string' && DECIMAL_FORMATS.has(format) ? 'NUMERIC' : 'FLOAT64');
    }
    case 'boolean':
      return scalar(column, name, 'BOOL');
    case 'object': {
      if (!isClosedObject(schema)) return { name: column, source: name, type: 'JSON', mode: 'NULLABLE' };
      const fields = mapProperties(schema['properties'] as Schema, inner);
      if (fields.length === 0) return { name: column, source: name, type: 'JSON', mode: 'NULLABLE' };
      return { name: column, source: name, type: 'RECORD', mode: 'NULLABLE', fields };
    }
    case 'array': {
      const items = schema['items'];
      if (!isObj(items)) return { name: column, source: name, type: 'JSON', mode: 'NULLABLE' };
      const it = typesOf(items, inner);
      // BigQuery cannot store NULL elements nor arrays of arrays in a REPEATED column: such arrays
      // stay JSON so no element is lost or rejected at load time.
      const itemNullable = itemAllowsNull(items, inner);
      if (itemNullable || it.types.length !== 1 || it.types[0] === 'array') return { name: column, source: name, type: 'JSON', mode: 'NULLABLE' };
      const element = mapProperty(name, items, inner);
      if (element.type === 'JSON') return { name: column, source: name, type: 'JSON', mode: 'NULLABLE' };
      return { ...element, mode: 'REPEATED' };
    }
    default:
      return { name: column, source: name, type: 'JSON', mode: 'NULLABLE' };
  }
}

function itemAllowsNull(items: Schema, ctx: Ctx): boolean {
  const s = deref(items, ctx).schema;
  const t = s['type'];
  if (t === 'null' || (Array.isArray(t) && t.includes('null'))) return true;
  const branches = (s['anyOf'] ?? s['oneOf']) as unknown;
  return Array.isArray(branches) && branches.some((b) => isObj(b) && (b['type'] === 'null' || (Array.isArray(b['type']) && b['type'].includes('null'))));
}

const scalar = (name: string, source: string, type: FieldType): MappedField => ({ name, source, type, mode: 'NULLABLE' });

/**
 * BigQuery holds at most 15 levels of nested RECORD columns (a top-level RECORD is level 1, a
 * REPEATED one counts as one level: cloud.google.com/bigquery/quotas, "Maximum nested depth"); a
 * table with a 16th fails at creation. A RECORD deeper than that is kept whole as a JSON column,
 * on DuckDB too, so both destinations have one schema.
 */
export const MAX_RECORD_NESTING = 15;

function capRecordNesting(fields: MappedField[], level: number): MappedField[] {
  return fields.map((f) => {
    if (f.type !== 'RECORD') return f;
    if (level > MAX_RECORD_NESTING) return { name: f.name, ...(f.source === undefined ? {} : { source: f.source }), type: 'JSON', mode: 'NULLABLE', uncapped: f };
    return { ...f, fields: capRecordNesting(f.fields ?? [], level + 1) };
  });
}

function mapProperties(props: Schema, ctx: Ctx): MappedField[] {
  const out: MappedField[] = [];
  const byName = new Map<string, string>();
  for (const [prop, sub] of Object.entries(props)) {
    const field = mapProperty(prop, sub, ctx);
    const other = byName.get(field.name);
    if (other !== undefined) {
      throw new DataError(`stream "${ctx.opts.stream ?? '?'}": properties "${other}" and "${prop}" both map to column "${field.name}"`, {
        hint: 'Rename one of the properties in the tap (column names are lower-cased and non [a-z0-9_] characters become "_").',
        context: { stream: ctx.opts.stream, column: field.name },
      });
    }
    byName.set(field.name, prop);
    out.push(field);
  }
  return out;
}

/**
 * Maps a stream's JSON Schema to the columns of its table: every top-level property (mapped name,
 * type per the rules in README "Types"), then the _sdc metadata columns. Every column is NULLABLE so
 * a tap relaxing a field never needs a table rebuild; key presence is checked per record instead.
 */
export function streamFields(schema: Schema, opts: SchemaMapOptions = {}): MappedField[] {
  const ctx: Ctx = { root: schema, opts, baseId: typeof schema['$id'] === 'string' ? schema['$id'] : undefined, depth: 0 };
  const { types, schema: top } = typesOf(schema, ctx);
  if (!types.includes('object') || !isObj(top['properties'])) {
    throw new DataError(`stream "${opts.stream ?? '?'}": its SCHEMA must describe an object with "properties"`, {
      hint: 'A Singer stream schema is an object schema listing each field under "properties".',
      context: { stream: opts.stream },
    });
  }
  const props = Object.fromEntries(Object.entries(top['properties'] as Schema).filter(([k]) => !METADATA_NAMES.has(k)));
  const fields = capRecordNesting(mapProperties(props, ctx), 1);
  // _sdc_sequence orders rows inside a batch (stage only): a property mapping to it would be overwritten.
  for (const meta of [...METADATA_FIELDS, { name: '_sdc_sequence' }]) {
    const clash = fields.find((f) => f.name === meta.name);
    if (clash) {
      throw new DataError(`stream "${opts.stream ?? '?'}": property "${clash.source ?? clash.name}" maps to the reserved metadata column "${meta.name}"`, {
        hint: 'Rename the property in the tap; _sdc_* columns are written by the target.',
        context: { stream: opts.stream, column: meta.name },
      });
    }
    if (!('type' in meta)) continue;
    // The tap's own _sdc_extracted_at / _sdc_deleted_at values are kept when present.
    const fromRecord = meta.name === '_sdc_extracted_at' || meta.name === '_sdc_deleted_at' || meta.name === '_sdc_table_version';
    fields.push(fromRecord ? { ...meta, source: meta.name } : { ...meta });
  }
  return fields;
}

/** Physical layout: daily fact tables are partitioned by day and clustered by account and object. */
export interface TableLayout {
  partitionField?: string;
  clusterFields: string[];
}

/** The key column that makes a stream a daily fact table (every insights report's key has it). */
export const DAY_KEY = 'date_start';

/**
 * Partitioning and clustering from what the stream's SCHEMA message declares: a table keyed by day
 * (`date_start` among its key properties) is partitioned by it and clustered by account and the
 * object ids of its key; any other by `id`, else by its key. The stream's name plays no part.
 */
export function tableLayout(keyColumns: readonly string[], fields: readonly WarehouseField[]): TableLayout {
  const has = (n: string, types: readonly FieldType[]): boolean => fields.some((f) => f.name === n && f.mode !== 'REPEATED' && types.includes(f.type));
  if (keyColumns.includes(DAY_KEY)) {
    const cluster = ['account_id', ...keyColumns.filter((k) => k !== 'account_id' && k.endsWith('_id'))].filter((c) => has(c, CLUSTERABLE_TYPES));
    return { ...(has(DAY_KEY, ['DATE', 'TIMESTAMP']) ? { partitionField: DAY_KEY } : {}), clusterFields: [...new Set(cluster)].slice(0, 4) };
  }
  if (has('id', CLUSTERABLE_TYPES)) return { clusterFields: ['id'] };
  return { clusterFields: clusterColumns(keyColumns, fields) };
}

/**
 * Column types BigQuery clusters by (its "Clustered tables" docs): a table created with a FLOAT64,
 * JSON, RECORD or REPEATED clustering column is refused. At most four columns.
 */
const CLUSTERABLE_TYPES: readonly FieldType[] = ['STRING', 'INT64', 'NUMERIC', 'DATE', 'TIMESTAMP', 'BOOL'];
const MAX_CLUSTER_COLUMNS = 4;

/** The first four of `names` BigQuery can cluster by (a history table's key, a keyed table without `id`). */
export function clusterColumns(names: readonly string[], fields: readonly WarehouseField[]): string[] {
  return names.filter((n) => fields.some((f) => f.name === n && f.mode !== 'REPEATED' && CLUSTERABLE_TYPES.includes(f.type))).slice(0, MAX_CLUSTER_COLUMNS);
}

/** Reads schemas/streams/<stream>.json and maps it, resolving "../fragments/*.json" references. */
export function loadStreamFields(stream: string, streamsDir = path.join(REPO_ROOT, 'schemas', 'streams')): MappedField[] {
  const file = path.join(streamsDir, `${stream}.json`);
  const schema = readJsonFile(file, 'Stream schema') as Schema;
  return streamFields(schema, { stream, resolveRef: fileRefResolver(path.dirname(file)) });
}

/** Resolves relative file references against a directory (and nested ones against their own file). */
export function fileRefResolver(baseDir: string): (ref: string, baseId: string | undefined) => Schema {
  const cache = new Map<string, Schema>();
  return (ref) => {
    const [file, frag] = ref.split('#');
    const abs = path.resolve(baseDir, file ?? '');
    let doc = cache.get(abs);
    if (!doc) {
      doc = readJsonFile(abs, 'Schema fragment') as Schema;
      cache.set(abs, doc);
    }
    return frag ? pointer(doc, frag) : doc;
  };
}
