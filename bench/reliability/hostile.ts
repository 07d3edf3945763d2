// Generated malformed and hostile Singer inputs for the target. Every case is a valid prefix
// (SCHEMA, two records, STATE {"n":1}), one bad line at line 5, then valid records and STATE
// {"n":2}. The contract: exit 6, a message naming line 5, no STATE after the bad line ever echoed,
// and no row from after it in the warehouse. Seeded, so a failing case can be replayed by number.
import { Readable } from 'node:stream';

export interface HostileCase {
  id: number;
  category: string;
  /** The whole input, bytes (some cases are not UTF-8). */
  input: Buffer;
  validate: boolean;
}

const SCHEMA = {
  type: 'SCHEMA',
  stream: 'items',
  key_properties: ['id'],
  schema: {
    type: 'object',
    properties: {
      id: { type: 'string' },
      n: { type: ['null', 'integer'] },
      f: { type: ['null', 'number'] },
      d: { type: ['null', 'string'], format: 'date' },
      t: { type: ['null', 'string'], format: 'date-time' },
      m: { type: ['null', 'string'], format: 'singer.decimal' },
      s: { type: ['null', 'string'] },
      j: { type: ['null', 'object'] },
    },
  },
};
export const BAD_LINE = 5;
export const AFTER_IDS = ['after-1', 'after-2'];
export const BEFORE_IDS = ['before-1', 'before-2'];

function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

const rec = (record: Record<string, unknown>): string => JSON.stringify({ type: 'RECORD', stream: 'items', record });
const recRaw = (body: string): string => `{"type":"RECORD","stream":"items","record":{"id":"bad",${body}}}`;

type Gen = (r: () => number) => string | Buffer;
const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const digits = (r: () => number, n: number): string => Array.from({ length: n }, (_, i) => String(i === 0 ? 1 + Math.floor(r() * 9) : Math.floor(r() * 10))).join('');

/** Categories of bad line; each draws its own random details. Values only a warehouse would notice come last. */
const GENERATORS: Record<string, Gen> = {
  truncated_json: (r) => {
    const full = rec({ id: 'x', s: 'y'.repeat(1 + Math.floor(r() * 50)) });
    return full.slice(0, 1 + Math.floor(r() * (full.length - 2)));
  },
  trailing_garbage: (r) => rec({ id: 'x' }) + pick(r, ['x', '}', ']', ',', ' 1', '{}']),
  not_an_object: (r) => pick(r, ['[]', '1', '"RECORD"', 'null', 'true', '[{"type":"RECORD"}]']),
  no_type: (r) => JSON.stringify({ stream: 'items', record: { id: String(r()) } }),
  unknown_type: (r) => JSON.stringify({ type: pick(r, ['RECORDS', 'record', 'BATCH', '', 'STATE2']), stream: 'items', record: { id: 'x' } }),
  record_not_object: (r) => JSON.stringify({ type: 'RECORD', stream: 'items', record: pick(r, [[], 'x', 1, null]) }),
  record_before_schema: (r) => JSON.stringify({ type: 'RECORD', stream: `other_${Math.floor(r() * 1000)}`, record: { id: 'x' } }),
  bad_version: (r) => `{"type":"RECORD","stream":"items","version":${pick(r, ['"1"', '-1', '1.5', digits(r, 20), '1e300', 'null'])},"record":{"id":"x"}}`,
  bad_activate_version: (r) => `{"type":"ACTIVATE_VERSION","stream":"items","version":${pick(r, ['"1"', '-5', '2.5', digits(r, 17 + Math.floor(r() * 10)), '1e20'])}}`,
  state_not_object: (r) => JSON.stringify({ type: 'STATE', value: pick(r, [[], 'x', 1, null]) }),
  missing_key: (r) => rec(pick(r, [{}, { id: null }, { id: '' }, { n: 1 }])),
  invalid_utf8: (r) => Buffer.concat([Buffer.from('{"type":"RECORD","stream":"items","record":{"id":"k'), Buffer.from([pick(r, [0xff, 0xfe, 0xc0, 0xed, 0x80]), 0x41]), Buffer.from('"}}')]),
  int64_overflow: (r) => recRaw(`"n":${pick(r, ['9223372036854775808', '-9223372036854775809', '9999999999999999999', `-${digits(r, 20 + Math.floor(r() * 10))}`, digits(r, 20 + Math.floor(r() * 10))])}`),
  non_integer_in_integer: (r) => recRaw(`"n":${pick(r, ['1.5', '"abc"', 'true', '[1]', '{}', '1e400'])}`),
  float_a_double_changes: (r) => recRaw(`"f":${pick(r, ['1e400', '-1e400', '1e-400', `${digits(r, 17)}${digits(r, 3)}`, `0.${digits(r, 25)}`])}`),
  numeric_too_wide: (r) => recRaw(`"m":"${digits(r, 30 + Math.floor(r() * 20))}"`),
  numeric_not_decimal: (r) => recRaw(`"m":${pick(r, ['"12,5"', '"1.2.3"', '"abc"', '"1e999999999"', '""'])}`),
  impossible_date: (r) => recRaw(`"d":"${pick(r, ['2024-02-30', '2023-02-29', '2024-13-01', '2024-00-10', '2024-04-31', '0000-01-01'])}"`),
  impossible_timestamp: (r) => recRaw(`"t":"${pick(r, ['2024-02-30T00:00:00Z', '2024-01-01T24:00:00Z', '2024-01-01T10:61:00Z', '2024-01-01T10:00:61Z', 'yesterday'])}"`),
  lone_surrogate: (r) => recRaw(`"s":"a${pick(r, ['\\ud800', '\\udfff', '\\udc00x', '\\ud83d'])}b"`),
  lone_surrogate_in_key: (r) => `{"type":"RECORD","stream":"items","record":{"id":"k${pick(r, ['\\ud800', '\\udc01'])}"}}`,
  json_too_deep: (r) => {
    const depth = 501 + Math.floor(r() * 500);
    return recRaw(`"j":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`);
  },
  json_number_changed: (r) => recRaw(`"j":{"x":${pick(r, [digits(r, 21), `0.${digits(r, 22)}1`, '1e400'])}}`),
  reserved_property: (r) => JSON.stringify({ type: 'SCHEMA', stream: 'items', key_properties: ['id'], schema: { type: 'object', properties: { id: { type: 'string' }, [pick(r, ['_sdc_sequence', '_SDC_SEQUENCE'])]: { type: 'integer' } } } }),
  // Table names starting with _sdc_ are the target's own (the activated versions table).
  reserved_table_name: (r) => JSON.stringify({ ...SCHEMA, stream: pick(r, ['_sdc_table_versions', '_SDC_table_versions', '_sdc_x', '_sdc_items']) }),
  // Names that map to a table another stream owns (its final or staging table).
  stream_name_collision: (r) => JSON.stringify({ ...SCHEMA, stream: pick(r, ['Items', 'ITEMS', 'iTeMs', 'items__sdc_stage', 'ITEMS__SDC_STAGE']) }),
  huge_value: (r) => recRaw(`"s":"${'x'.repeat(16 * 2 ** 20 + Math.floor(r() * 2 ** 20))}"`),
  bad_key_property: (r) => JSON.stringify({ type: 'SCHEMA', stream: 'items', key_properties: [pick(r, ['nope', 'j', 'missing'])], schema: SCHEMA.schema }),
};
export const CATEGORIES = Object.keys(GENERATORS);

export function hostileCase(id: number): HostileCase {
  const r = prng(id * 2654435761);
  const category = CATEGORIES[id % CATEGORIES.length]!;
  const bad = GENERATORS[category]!(r);
  const lines: Array<string | Buffer> = [
    JSON.stringify(SCHEMA),
    rec({ id: BEFORE_IDS[0], n: 1 }),
    rec({ id: BEFORE_IDS[1], n: 2 }),
    JSON.stringify({ type: 'STATE', value: { n: 1 } }),
    bad,
    rec({ id: AFTER_IDS[0], n: 3 }),
    rec({ id: AFTER_IDS[1], n: 4 }),
    JSON.stringify({ type: 'STATE', value: { n: 2 } }),
  ];
  const input = Buffer.concat(lines.flatMap((l) => [typeof l === 'string' ? Buffer.from(l, 'utf8') : l, Buffer.from('\n')]));
  return { id, category, input, validate: r() < 0.5 };
}

export const asStream = (c: HostileCase): Readable => Readable.from([c.input]);
