// The bench's "validate in DuckDB" floor: what a target would pay per row if it handed the Singer
// lines to DuckDB unparsed and let DuckDB check each record (the "validation outside JavaScript"
// design issue 20 asks about). DuckDB reads the file itself (read_json, each record property as
// JSON), checks each property's JSON type, pattern, format and required-ness in SQL, and casts it
// to the column type the target gives it — nothing written. A list's items are checked too (each
// element's JSON type; an object element's value types and required keys, as the action lists
// declare them). additionalProperties is NOT checked, and a required property that may be null is
// not checked for presence (DuckDB reads a JSON null and a missing key alike), so full validation costs more:
// this is a floor. Prints { rows, invalid, cpuMicros } (CPU of the query alone, module loading and
// DuckDB start excluded). Run: node --import tsx bench/duckdb-validate-floor.ts <singer file> [threads].
import { createReadStream } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { duckType } from '../connector/target/duckdb/types.js';
import { DECIMAL_FORMATS, METADATA_NAMES, streamFields } from '../connector/target/fields.js';
import { assertIdentifier, sqlString } from '../connector/target/sql.js';
import { DATE_TIME_FORMAT_PATTERN, DECIMAL_FORMAT_PATTERN } from '../connector/target/validator.js';

type Schema = Record<string, unknown>;

/** JSON Schema type → the json_type() answers that satisfy it (an integer may be written 1.0). */
const JSON_TYPES: Record<string, string[]> = {
  string: ['VARCHAR'],
  integer: ['BIGINT', 'UBIGINT'],
  number: ['BIGINT', 'UBIGINT', 'DOUBLE'],
  boolean: ['BOOLEAN'],
  array: ['ARRAY'],
  object: ['OBJECT'],
};

const typesOf = (p: Schema): string[] => (Array.isArray(p['type']) ? (p['type'] as string[]) : typeof p['type'] === 'string' ? [p['type']] : []);

/** The SQL condition a record property `v` (DuckDB JSON, SQL NULL for null or missing) meets when valid. */
export function propertyCheck(v: string, p: Schema, required: boolean): string {
  const types = typesOf(p);
  const nullable = types.length === 0 || types.includes('null');
  const kinds = types.filter((t) => t !== 'null');
  const parts: string[] = [];
  if (kinds.length) {
    const allowed = [...new Set(kinds.flatMap((t) => JSON_TYPES[t] ?? []))].map(sqlString).join(', ');
    const integral = kinds.includes('integer') && !kinds.includes('number') ? ` OR (json_type(${v}) = 'DOUBLE' AND CAST(${v} AS DOUBLE) = floor(CAST(${v} AS DOUBLE)))` : '';
    parts.push(`(json_type(${v}) IN (${allowed})${integral})`);
  }
  const text = `(${v} ->> '$')`;
  const onString = (cond: string) => `(json_type(${v}) <> 'VARCHAR' OR ${cond})`;
  if (typeof p['pattern'] === 'string') parts.push(onString(`regexp_matches(${text}, ${sqlString(p['pattern'])})`));
  const format = p['format'];
  if (format === 'date') parts.push(onString(`TRY_CAST(${text} AS DATE) IS NOT NULL`));
  else if (format === 'date-time') parts.push(onString(`regexp_matches(${text}, ${sqlString(DATE_TIME_FORMAT_PATTERN.source)})`));
  else if (typeof format === 'string' && DECIMAL_FORMATS.has(format)) parts.push(onString(`regexp_matches(${text}, ${sqlString(DECIMAL_FORMAT_PATTERN.source)})`));
  const items = p['items'];
  if (kinds.includes('array') && items && typeof items === 'object' && !Array.isArray(items)) parts.push(`(json_type(${v}) <> 'ARRAY' OR ${itemsCheck(v, items as Schema)})`);
  const valid = parts.length ? parts.join(' AND ') : 'true';
  if (nullable) return `(${v} IS NULL OR (${valid}))`;
  return required ? `(${v} IS NOT NULL AND ${valid})` : `(${v} IS NULL OR (${valid}))`;
}

/** The json_type() answers a JSON Schema of types only allows ([] when it is not one such: unchecked). */
function allowedJsonTypes(p: Schema): string[] {
  const types = typesOf(p);
  return [...new Set(types.flatMap((t) => (t === 'null' ? ['NULL'] : (JSON_TYPES[t] ?? []))))];
}

/**
 * The SQL condition a JSON array `v` meets when every element matches `items`: elements' JSON types
 * (json_type over $[*]); for objects, every value's type against the properties and
 * additionalProperties (one shared set of types, as the tap's action lists have; otherwise per key)
 * and each required key present in every element (json_extract over $[*].key keeps present keys,
 * a JSON null included).
 */
export function itemsCheck(v: string, items: Schema): string {
  const parts: string[] = [];
  const elementTypes = allowedJsonTypes(items);
  if (elementTypes.length) parts.push(`len(list_filter(json_type(${v}, '$[*]'), t -> t NOT IN (${elementTypes.map(sqlString).join(', ')}))) = 0`);
  if (typesOf(items).includes('object')) {
    const props = (items['properties'] ?? {}) as Record<string, Schema>;
    const extra = items['additionalProperties'];
    const valueSets = [...Object.values(props), ...(extra && typeof extra === 'object' ? [extra as Schema] : [])].map((s) => allowedJsonTypes(s).sort().join(','));
    const shared = new Set(valueSets);
    if (shared.size === 1 && extra && typeof extra === 'object' && valueSets[0] !== '') {
      parts.push(`len(list_filter(json_type(${v}, '$[*].*'), t -> t NOT IN (${valueSets[0]!.split(',').map(sqlString).join(', ')}))) = 0`);
    } else {
      for (const [k, s] of Object.entries(props)) {
        const allowed = allowedJsonTypes(s);
        if (allowed.length) parts.push(`len(list_filter(json_type(${v}, ${sqlString(`$[*].${k}`)}), t -> t NOT IN (${allowed.map(sqlString).join(', ')}))) = 0`);
      }
    }
    for (const k of (items['required'] as string[] | undefined) ?? []) parts.push(`len(json_extract(${v}, ${sqlString(`$[*].${k}`)})) = json_array_length(${v})`);
  }
  return parts.length ? `(${parts.join(' AND ')})` : 'true';
}

/**
 * The floor's query over a Singer file: one row { rows, invalid, casts… } for the stream's RECORDs.
 * Each valid record's values are cast to their column types and counted, so DuckDB evaluates every
 * cast (a value that passes the checks and still cannot be cast fails the query, as a load would).
 */
export function duckValidateSql(file: string, schema: Schema, stream: string): string {
  const props = (schema['properties'] ?? {}) as Record<string, Schema>;
  const required = new Set((schema['required'] as string[] | undefined) ?? []);
  const names = Object.keys(props);
  const col = (n: string) => `R."${assertIdentifier(n)}"`;
  const struct = `STRUCT(${names.map((n) => `"${assertIdentifier(n)}" JSON`).join(', ')})`;
  const ok = names.map((n) => propertyCheck(col(n), props[n]!, required.has(n))).join(' AND ');
  const fields = streamFields(schema, { stream }).filter((f) => !METADATA_NAMES.has(f.name));
  const casts = fields.map((f) => {
    const t = duckType(f);
    const v = `R."${assertIdentifier(f.source ?? f.name)}"`;
    const cast = /^(VARCHAR|BIGINT|DOUBLE|DECIMAL|BOOLEAN|DATE|TIMESTAMPTZ)/.test(t) ? `CAST(${v} ->> '$' AS ${t})` : `CAST(${v} AS ${t})`;
    return `count(CASE WHEN ok THEN ${cast} END)`;
  });
  const read = `read_json(${sqlString(file)}, format = 'newline_delimited', columns = {type: 'VARCHAR', stream: 'VARCHAR', record: '${struct}'})`;
  const checked = `SELECT *, ${ok} AS ok FROM (SELECT record.* FROM ${read} WHERE type = 'RECORD' AND stream = ${sqlString(stream)}) AS R`;
  return `SELECT count(*) AS rows, count(*) FILTER (WHERE NOT ok) AS invalid, ${casts.join(', ')} FROM (${checked}) AS R`;
}

/** The last SCHEMA message of `stream` before its first RECORD in a Singer file. */
async function schemaOf(file: string, stream: string): Promise<Schema> {
  let schema: Schema | undefined;
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    if (!line.includes(`"${stream}"`)) continue;
    const m = JSON.parse(line) as { type: string; stream: string; schema?: Schema };
    if (m.stream !== stream) continue;
    if (m.type === 'SCHEMA') schema = m.schema;
    else if (m.type === 'RECORD') break;
  }
  if (!schema) throw new Error(`${file}: no SCHEMA for stream "${stream}"`);
  return schema;
}

async function main(): Promise<void> {
  const [file, threads = '1', stream = 'insights_ad'] = process.argv.slice(2);
  if (!file) throw new Error('usage: duckdb-validate-floor.ts <singer file> [threads] [stream]');
  const sql = duckValidateSql(file, await schemaOf(file, stream), stream);
  const instance = await DuckDBInstance.create(':memory:', { threads });
  const c = await instance.connect();
  const cpu0 = process.cpuUsage();
  const row = (await c.runAndReadAll(sql)).getRows()[0] ?? [];
  const cpu = process.cpuUsage(cpu0);
  c.closeSync();
  instance.closeSync();
  process.stdout.write(`${JSON.stringify({ rows: Number(row[0]), invalid: Number(row[1]), cpuMicros: cpu.user + cpu.system })}\n`);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
