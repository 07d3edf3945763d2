// The Singer message shapes (SCHEMA, RECORD, STATE, ACTIVATE_VERSION), typed, plus the structural
// check the target applies to every parsed line before trusting it.
import { DataError } from '../core/errors.js';
import { approximate, isLosslessNumber } from './exact-json.js';

export type JsonSchema = Record<string, unknown>;
export type SingerRecord = Record<string, unknown>;

export interface SchemaMessage {
  type: 'SCHEMA';
  stream: string;
  schema: JsonSchema;
  key_properties: string[];
  bookmark_properties?: string[];
}
/**
 * A table version (RECORD and ACTIVATE_VERSION `version`): a whole number, compared exactly. This tap
 * writes a millisecond timestamp (a number); a message read carries a bigint, since a tap may use
 * any int64 and a double cannot tell 2^53 from 2^53+1.
 */
export type TableVersion = bigint;
/** The largest table version: the warehouse keeps it in INT64 (BigQuery INT64, DuckDB BIGINT). */
export const MAX_TABLE_VERSION = 2n ** 63n - 1n;

/** A version for JSON (log fields, row values): a number while a double carries it, else its digits. */
export const versionJson = (v: TableVersion): number | string => (v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString());

export interface RecordMessage<V = number> {
  type: 'RECORD';
  stream: string;
  record: SingerRecord;
  version?: V;
  /** RFC 3339 */
  time_extracted?: string;
}
export interface StateMessage {
  type: 'STATE';
  value: Record<string, unknown>;
}
export interface ActivateVersionMessage<V = number> {
  type: 'ACTIVATE_VERSION';
  stream: string;
  version: V;
}
/** A message as written (versions are numbers); `SingerMessage<TableVersion>` is one as read. */
export type SingerMessage<V = number> = SchemaMessage | RecordMessage<V> | StateMessage | ActivateVersionMessage<V>;
export type ReadMessage = SingerMessage<TableVersion>;
export const MESSAGE_TYPES = ['SCHEMA', 'RECORD', 'STATE', 'ACTIVATE_VERSION'] as const;

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * A table version as parsed (a number, or a LosslessNumber beyond 2^53: exact-json.ts) as an exact
 * bigint, or a DataError: a whole number from 0 to 2^63-1, the INT64 the warehouse keeps it in.
 */
function tableVersion(v: unknown, what: string): TableVersion {
  const literal = typeof v === 'number' && Number.isInteger(v) ? v : isLosslessNumber(v) ? (v as { value: string }).value : undefined;
  const version = typeof literal === 'number' ? BigInt(literal) : literal !== undefined && /^-?\d+$/.test(literal) ? BigInt(literal) : undefined;
  if (version === undefined || version < 0n || version > MAX_TABLE_VERSION) {
    const shown = isLosslessNumber(v) ? (v as { value: string }).value.slice(0, 40) : JSON.stringify(v)?.slice(0, 40);
    throw new DataError(`${what} must be a whole number from 0 to 2^63-1 (a table version, e.g. a millisecond timestamp), got ${shown}`);
  }
  return version;
}

/** Checks a parsed JSON value is a well-formed Singer message; throws DataError naming the problem. */
export function asSingerMessage(value: unknown): ReadMessage {
  if (!isObj(value)) throw new DataError('a Singer message must be a JSON object');
  const type = value['type'];
  if (typeof type !== 'string') throw new DataError('the message has no "type"');
  const needStream = (): string => {
    const s = value['stream'];
    if (typeof s !== 'string' || s.length === 0) throw new DataError(`${type} message needs a non-empty "stream"`);
    return s;
  };
  switch (type) {
    case 'SCHEMA': {
      needStream();
      if (!isObj(value['schema'])) throw new DataError('SCHEMA message needs a "schema" object');
      const keys = value['key_properties'] ?? [];
      if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) throw new DataError('SCHEMA "key_properties" must be a list of strings');
      // A keyword's number beyond a double's exact range (singer-io tap-facebook's budgets say
      // "maximum": 100000000000000000000000000000000) is read as the double it is: a record is
      // validated as doubles too (approximate), and a LosslessNumber is no number to ajv.
      return { ...(value as unknown as SchemaMessage), schema: approximate(value['schema']) as JsonSchema, key_properties: keys as string[] };
    }
    case 'RECORD':
      needStream();
      if (!isObj(value['record'])) throw new DataError('RECORD message needs a "record" object');
      if (value['version'] !== undefined) value['version'] = tableVersion(value['version'], 'RECORD "version"');
      return value as unknown as RecordMessage<TableVersion>;
    case 'STATE':
      if (!isObj(value['value'])) throw new DataError('STATE message needs a "value" object');
      return value as unknown as StateMessage;
    case 'ACTIVATE_VERSION':
      needStream();
      value['version'] = tableVersion(value['version'], 'ACTIVATE_VERSION "version"');
      return value as unknown as ActivateVersionMessage<TableVersion>;
    default:
      throw new DataError(`unknown message type "${type}" (expected one of ${MESSAGE_TYPES.join(', ')})`);
  }
}

export const schemaMessage = (stream: string, schema: JsonSchema, keyProperties: string[], bookmarkProperties?: string[]): SchemaMessage => ({
  type: 'SCHEMA',
  stream,
  schema,
  key_properties: keyProperties,
  ...(bookmarkProperties ? { bookmark_properties: bookmarkProperties } : {}),
});

export const recordMessage = (stream: string, record: SingerRecord, timeExtracted: Date, version?: number): RecordMessage => ({
  type: 'RECORD',
  stream,
  record,
  ...(version === undefined ? {} : { version }),
  time_extracted: timeExtracted.toISOString(),
});

export const stateMessage = (value: Record<string, unknown>): StateMessage => ({ type: 'STATE', value });

export const activateVersionMessage = (stream: string, version: number): ActivateVersionMessage => ({ type: 'ACTIVATE_VERSION', stream, version });
