// The bench's "validate in DuckDB" floor: what a target would pay per row if it handed the Singer
// lines to DuckDB unparsed and let DuckDB check each record (the "validation outside JavaScript"
// design issue 20 asks about). DuckDB reads the file itself (read_json, each record property as
// JSON), checks each property's JSON type, pattern, format and required-ness in SQL, and casts it
// to the column type the target gives it — nothing written. Nested items (the action lists) and
// additionalProperties are NOT checked, and a required property that may be null is not checked
// for presence (DuckDB reads a JSON null and a missing key alike), so full validation costs more:
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
  const valid = parts.length ? parts.join(' AND ') : 'true';
  if (nullable) return `(${v} IS NULL OR (${valid}))`;
  return required ? `(${v} IS NOT NULL AND ${valid})` : `(${v} IS NULL OR (${valid}))`;
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
