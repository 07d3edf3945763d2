// The Singer message shapes (SCHEMA, RECORD, STATE, ACTIVATE_VERSION), typed, plus the structural
// check the target applies to every parsed line before trusting it.
import { DataError } from '../core/errors.js';
import { isLosslessNumber } from './exact-json.js';

export type JsonSchema = Record<string, unknown>;
export type SingerRecord = Record<string, unknown>;

export interface SchemaMessage {
  type: 'SCHEMA';
  stream: string;
  schema: JsonSchema;
  key_properties: string[];
  bookmark_properties?: string[];
}
export interface RecordMessage {
  type: 'RECORD';
  stream: string;
  record: SingerRecord;
  version?: number;
  /** RFC 3339 */
  time_extracted?: string;
}
export interface StateMessage {
  type: 'STATE';
  value: Record<string, unknown>;
}
export interface ActivateVersionMessage {
  type: 'ACTIVATE_VERSION';
  stream: string;
  version: number;
}
export type SingerMessage = SchemaMessage | RecordMessage | StateMessage | ActivateVersionMessage;
export const MESSAGE_TYPES = ['SCHEMA', 'RECORD', 'STATE', 'ACTIVATE_VERSION'] as const;

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * A table version is a whole number the warehouse stores in INT64 and compares exactly: taps use a
 * millisecond timestamp. Beyond 2^53 it could not be compared exactly, so it is refused here.
 */
function checkVersion(v: unknown, what: string): void {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new DataError(`${what} must be a whole number between 0 and 2^53 (a millisecond timestamp), got ${isLosslessNumber(v) ? (v as { value: string }).value.slice(0, 40) : JSON.stringify(v)?.slice(0, 40)}`);
  }
}

/** Checks a parsed JSON value is a well-formed Singer message; throws DataError naming the problem. */
export function asSingerMessage(value: unknown): SingerMessage {
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
      return { ...(value as unknown as SchemaMessage), key_properties: keys as string[] };
    }
    case 'RECORD':
      needStream();
      if (!isObj(value['record'])) throw new DataError('RECORD message needs a "record" object');
      if (value['version'] !== undefined) checkVersion(value['version'], 'RECORD "version"');
      return value as unknown as RecordMessage;
    case 'STATE':
      if (!isObj(value['value'])) throw new DataError('STATE message needs a "value" object');
      return value as unknown as StateMessage;
    case 'ACTIVATE_VERSION':
      needStream();
      checkVersion(value['version'], 'ACTIVATE_VERSION "version"');
      return value as unknown as ActivateVersionMessage;
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
