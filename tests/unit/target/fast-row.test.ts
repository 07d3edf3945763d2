// The record mapper's fast path (fast-row.ts) against the full path (parse, ajv, toRow, stringify)
// as the oracle: for every line, the same row bytes, the same error, the same counts and stale
// records — on the tap's own insights SCHEMA with values in every spelling a producer may use, and
// on random mutations of them. Plus the cases the fast path must take itself (not fall back), so
// the speed it exists for cannot silently vanish.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { streamFields, type MappedField } from '../../../connector/target/fields.js';
import { mapBatchPart, type MapJob } from '../../../connector/target/map-batch.js';
import { FALLBACK, FastRowMapper, STALE, WRITTEN, type RowSink } from '../../../connector/target/fast-row.js';
import { readJsonFile, REPO_ROOT } from '../../../connector/core/config.js';

interface CatalogEntry {
  stream: string;
  schema: Record<string, unknown>;
  key_properties: string[];
}
const catalog = readJsonFile(path.join(REPO_ROOT, 'catalog.json'), 'catalog') as { streams: CatalogEntry[] };
const insights = catalog.streams.find((s) => s.stream === 'insights_ad')!;
const SCHEMA = insights.schema;
const KEYS = insights.key_properties;
const FIELDS = streamFields(SCHEMA, { stream: 'insights_ad' });
const RECEIVED_MS = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
const BATCHED_AT = '2026-01-02T03:04:06.000Z';

/** An insights_ad record as the tap writes it. */
function baseRecord(i: number): Record<string, unknown> {
  return {
    account_id: `23282541000233${10 + (i % 3)}`,
    account_name: 'Northwind US',
    campaign_id: '120200000000000000',
    campaign_name: 'Evergreen Promo 1',
    adset_id: '120210000000000000',
    adset_name: 'Evergreen / Lookalike 1%',
    ad_id: String(120220000000000000n + BigInt(i)),
    ad_name: 'Ad 1',
    date_start: '2026-01-01',
    date_stop: '2026-01-01',
    account_currency: 'USD',
    attribution_windows: ['7d_click', '1d_view'],
    use_unified_attribution_setting: true,
    use_account_attribution_setting: false,
    impressions: 150,
    clicks: 3,
    unique_clicks: null,
    reach: 115,
    frequency: '1.304348',
    ctr: '0.666667',
    cpc: '0.5',
    spend: '12.50',
    actions: [
      { action_type: 'link_click', value: '1', '7d_click': '1' },
      { action_type: 'offsite_conversion.fb_pixel_purchase', value: '2', '7d_click': '1', '1d_view': '1' },
    ],
    action_values: null,
    cost_per_action_type: [{ action_type: 'link_click', value: '0.5' }],
    video_p25_watched_actions: [{ action_type: 'video_view', value: '12' }],
    _sdc_extracted_at: '2026-01-01T12:00:00.000Z',
  };
}

interface Outcome {
  rows: string;
  error?: string;
  result?: unknown;
}

let dir: string;

/** A stream as the mapper gets it: its SCHEMA, key and columns. */
interface Stream {
  name: string;
  schema: Record<string, unknown>;
  keys: string[];
  fields: MappedField[];
}
const INSIGHTS: Stream = { name: 'insights_ad', schema: SCHEMA, keys: KEYS, fields: FIELDS };

/** A hand-made stream; its columns mapped from `schema` as the target maps them. */
const handMade = (name: string, schema: Record<string, unknown>, keys: string[]): Stream => ({ name, schema, keys, fields: streamFields(schema, { stream: name }) });

/** Maps `lines` (each its own part) through one path; the outcome of each line. */
function mapLines(lines: string[], fastPath: boolean, activated?: bigint, stream: Stream = INSIGHTS): Outcome[] {
  const raw = path.join(dir, 'raw.ndjson');
  const entries = lines.map((l, i) => Buffer.from(`${i + 2} ${RECEIVED_MS + (i % 2)} ${l}\n`));
  writeFileSync(raw, Buffer.concat(entries));
  const out: Outcome[] = [];
  let at = 0;
  for (const entry of entries) {
    const outPath = path.join(dir, 'out.ndjson');
    const job: MapJob = {
      stream: stream.name,
      rawPath: raw,
      part: { start: at, end: at + entry.length },
      outPath,
      fields: stream.fields,
      keySources: stream.keys,
      schema: stream.schema,
      schemaKey: `${stream.name}#${JSON.stringify(stream.schema)}`,
      validate: true,
      activated,
      batchedAt: BATCHED_AT,
      fastPath,
    };
    at += entry.length;
    try {
      const result = mapBatchPart(job);
      out.push({ rows: readFileSync(outPath, 'utf8'), result });
    } catch (err) {
      out.push({ rows: '', error: (err as Error).message });
    }
  }
  return out;
}

const recordLine = (record: unknown, extra: Record<string, unknown> = {}): string => JSON.stringify({ type: 'RECORD', stream: 'insights_ad', record, time_extracted: '2026-01-01T12:00:01.000Z', ...extra });

/** Both paths agree on every line; returns the full path's outcomes. */
function expectSame(lines: string[], activated?: bigint, stream: Stream = INSIGHTS): Outcome[] {
  const fast = mapLines(lines, true, activated, stream);
  const full = mapLines(lines, false, activated, stream);
  for (let i = 0; i < lines.length; i++) expect(fast[i], `line ${i}: ${lines[i]!.slice(0, 400)}`).to.deep.equal(full[i]);
  return full;
}

/** Python's json.dumps spelling: a space after every separator. */
function spaced(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(spaced).join(', ')}]`;
  if (v && typeof v === 'object')
    return `{${Object.entries(v)
      .map(([k, x]) => `${JSON.stringify(k)}: ${spaced(x)}`)
      .join(', ')}}`;
  return JSON.stringify(v);
}

/** A sink that keeps the last row written (at its start) and where it ends. */
function scratchSink(): RowSink & { buf: Buffer; used: number } {
  return {
    buf: Buffer.alloc(1 << 20),
    used: 0,
    reserve(): { buf: Buffer; at: number } {
      return { buf: this.buf, at: 0 };
    },
    commit(end: number): void {
      this.used = end;
    },
  };
}

/** Small deterministic PRNG (mulberry32): the same cases on every run. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DECIMALS: unknown[] = ['0.50', '-0', '-0.0', '007.10', '1e5', '.5', '5.', '1.1234567891', '1.1234567890', '123456789012345678901234567890', '12345678901234567890123456789', ' 1.5', 'abc', 1.5, 2, null, '', '-12.000', '0', '+1'];
const INTEGERS: unknown[] = [1.0, -0, 1e3, 123456789012345, 1234567890123456, '15', true, -5, 0, 1.5, null];
const TIMESTAMPS: unknown[] = [
  '2026-11-20T12:00:00+0000',
  '2026-11-20t12:00:00z',
  '2026-11-20 12:00:00Z',
  '2026-11-20T12:00Z',
  '2026-11-20T12:00:00.1234567Z',
  '2026-11-20T12:00:00.1234560Z',
  '2026-11-20T12:00:00.123456Z',
  '0001-01-01T00:00:00Z',
  '0001-01-01T00:30:00+01:00',
  '9999-12-31T23:59:59Z',
  '2026-11-20T12:00:00+15:00',
  '2026-11-20T12:00:00+14:00',
  '2026-11-20T12:00:00-14:30',
  '2026-11-20T12:00:00-0330',
  '2026-02-30T00:00:00Z',
  '2026-11-20T24:00:00Z',
  '2026-11-20T23:59:60Z',
  '2026-11-20T12:00:00',
  '2026-11-20T12:00:00+05:99',
  null,
  12,
];
const DATES: unknown[] = ['2024-02-29', '2023-02-29', '0000-01-01', '2023-1-01', '2023-01-01T00:00:00Z', null, '9999-12-31'];
const STRINGS: unknown[] = ['a"b', 'a\\b', 'é', '\u2028', 'line\nbreak', '\u0001', '\ud800', '😀', '', 'tab\there', 5, true, null, '/', '\u007f'];
const ITEMS: unknown[] = [null, [], [null], [{ value: '1' }], [{ action_type: 'x', value: 1 }], [{ action_type: 'x', 1: '2' }], [{ action_type: 'x', '28d_click': '1.50' }], [{ action_type: 'x', extra: 'y' }], [{ action_type: 'x', value: '1e3' }], 'text', [{ action_type: null }]];

function mutate(r: Record<string, unknown>, rand: () => number): void {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  switch (Math.floor(rand() * 12)) {
    case 0:
      r[pick(['spend', 'cpc', 'ctr', 'frequency'])] = pick(DECIMALS);
      break;
    case 1:
      r[pick(['impressions', 'clicks', 'reach', 'unique_clicks'])] = pick(INTEGERS);
      break;
    case 2:
      r['_sdc_extracted_at'] = pick(TIMESTAMPS);
      break;
    case 3:
      r[pick(['date_start', 'date_stop'])] = pick(DATES);
      break;
    case 4:
      r[pick(['account_name', 'ad_name', 'account_id', 'ad_id', 'account_currency'])] = pick(STRINGS);
      break;
    case 5:
      delete r[pick(Object.keys(r))];
      break;
    case 6:
      r[pick(['unknown_key', '__proto__', '0'])] = 'x';
      break;
    case 7:
      r[pick(['actions', 'action_values', 'cost_per_action_type', 'video_p25_watched_actions'])] = pick(ITEMS);
      break;
    case 8:
      r['attribution_windows'] = pick([[], ['a', null], [1], null, ['x'], 'x']);
      break;
    case 9:
      r[pick(['use_unified_attribution_setting', 'use_account_attribution_setting'])] = pick(['true', 1, null, false]);
      break;
    case 10:
      r['actions'] = [{ action_type: pick(STRINGS), value: pick(DECIMALS) }];
      break;
    default:
      r['_sdc_table_version'] = pick([1, -1, 1.5, '2', null]);
  }
}

describe('target fast row path (fast-row.ts) against the full path', function () {
  this.timeout(60_000);
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'fast-row-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('maps the tap’s own lines itself, byte for byte as the full path does', () => {
    const fast = FastRowMapper.compile(SCHEMA, FIELDS, KEYS, 'insights_ad');
    expect(fast, 'the insights SCHEMA compiles').to.not.equal(undefined);
    const lines = [0, 1, 2].map((i) => recordLine(baseRecord(i)));
    const full = expectSame(lines);
    for (const o of full) expect(o.error).to.equal(undefined);
    const at = { line: 2, receivedAt: Buffer.from('"x"'), batchedAt: Buffer.from('"y"'), activated: undefined };
    const sink = scratchSink();
    for (const line of lines) expect(fast!.map(Buffer.from(line), at, sink)).to.equal(WRITTEN);
    // Graph's spellings the fast path rewrites as the full path does: a decimal's zeros, a +0000 offset.
    const graphish = recordLine({ ...baseRecord(0), spend: '0012.500', _sdc_extracted_at: '2026-01-01T12:00:00+0000' });
    expect(fast!.map(Buffer.from(graphish), at, sink)).to.equal(WRITTEN);
    const row = JSON.parse(sink.buf.toString('utf8', 0, sink.used)) as Record<string, unknown>;
    expect(row['spend']).to.equal('12.5');
    expect(row['_sdc_extracted_at']).to.equal('2026-01-01T12:00:00+00:00');
    expectSame([graphish]);
  });

  it('falls back for what it does not copy as written, and the full path decides', () => {
    const fast = FastRowMapper.compile(SCHEMA, FIELDS, KEYS, 'insights_ad')!;
    const at = { line: 2, receivedAt: Buffer.from('"x"'), batchedAt: Buffer.from('"y"'), activated: undefined };
    const sink = scratchSink();
    const cases = [
      recordLine({ ...baseRecord(0), ad_name: 'caf\u00e9 \\u00e9' }).replace('\\\\u00e9', '\\u00e9'),
      spaced({ type: 'RECORD', stream: 'insights_ad', record: baseRecord(0) }),
      recordLine({ ...baseRecord(0), spend: 1.5 }),
      recordLine({ ...baseRecord(0), unknown: 1 }),
      recordLine(baseRecord(0)).replace('{"account_id"', '{"spend":"1","account_id"'),
    ];
    for (const line of cases) expect(fast.map(Buffer.from(line), at, sink), line.slice(0, 200)).to.equal(FALLBACK);
    expectSame(cases);
  });

  it('counts a stale record as the full path does, and writes nothing for it', () => {
    const lines = [recordLine(baseRecord(0), { version: 5 }), recordLine(baseRecord(1), { version: 9 }), recordLine(baseRecord(2), { version: 7 })];
    const full = expectSame(lines, 7n);
    expect(full.map((o) => o.rows === '')).to.deep.equal([true, false, false]);
    const fast = FastRowMapper.compile(SCHEMA, FIELDS, KEYS, 'insights_ad')!;
    const sink = scratchSink();
    expect(fast.map(Buffer.from(lines[0]!), { line: 2, receivedAt: Buffer.from('"x"'), batchedAt: Buffer.from('"y"'), activated: 7n }, sink)).to.equal(STALE);
  });

  it('agrees with the full path on 3,000 random mutations of the tap’s lines (values in every spelling, whitespace, repeated keys)', () => {
    const rand = prng(20261201);
    const lines: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const r = baseRecord(i);
      const n = Math.floor(rand() * 3) + 1;
      for (let m = 0; m < n; m++) mutate(r, rand);
      const form = rand();
      const version = rand() < 0.1 ? { version: Math.floor(rand() * 4) } : {};
      let line = form < 0.1 ? spaced({ type: 'RECORD', stream: 'insights_ad', record: r, ...version }) : recordLine(r, version);
      // A repeated key inside the record or an action (JSON.parse keeps the last one).
      if (rand() < 0.05) line = line.replace('"action_type":', '"value":"3","action_type":');
      if (rand() < 0.05) line = line.replace('"ad_id":', '"ad_name":"dup","ad_id":');
      if (rand() < 0.03) line = line.replace('"stream":"insights_ad"', '"stream":"insights_ad","time_extracted":"2026-01-01T00:00:00+0000"');
      // Integers past what a double holds exactly (the full path keeps their digits, or refuses them).
      if (rand() < 0.03) line = line.replace('"impressions":150', `"impressions":${rand() < 0.5 ? '9007199254740993' : '99999999999999999999'}`);
      if (rand() < 0.03) line = line.replace('"value":"1"', '"value":"1","28d_view":12345678901234567');
      lines.push(line);
    }
    const full = expectSame(lines, 2n);
    // The mutations reach every outcome: rows written, errors named, and lines the fast path took itself.
    expect(full.filter((o) => o.error !== undefined).length).to.be.greaterThan(300);
    expect(full.filter((o) => o.rows !== '').length).to.be.greaterThan(500);
    const fast = FastRowMapper.compile(SCHEMA, FIELDS, KEYS, 'insights_ad')!;
    const sink = scratchSink();
    const at = { line: 2, receivedAt: Buffer.from('"x"'), batchedAt: Buffer.from('"y"'), activated: 2n };
    const taken = lines.filter((l) => fast.map(Buffer.from(l), at, sink) !== FALLBACK).length;
    expect(taken).to.be.greaterThan(300);
  });

  it('agrees with the full path on every stream of the tap’s catalog (nested objects, lists, timestamps, key and required properties)', () => {
    const rand = prng(31);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    // How often a value is taken from the tests' pools (any spelling) rather than written as the tap does: set per line.
    let oddness = 0;
    /** A value for `schema`: as the tap writes it, or any spelling of the tests' pools. */
    const valueOf = (schema: Record<string, unknown>): unknown => {
      const types = ([] as unknown[]).concat(schema['type'] ?? ['string']).filter((t) => t !== 'null' || rand() < 0.1);
      const type = types.length > 0 ? pick(types) : 'null';
      const odd = rand() < oddness;
      const format = schema['format'];
      switch (type) {
        case 'string':
          if (format === 'date') return odd ? pick(DATES) : '2026-01-01';
          if (format === 'date-time') return odd ? pick(TIMESTAMPS) : pick(['2026-01-01T12:00:00.000Z', '2026-01-01T12:00:00+0000']);
          if (format === 'singer.decimal') return odd ? pick(DECIMALS) : pick(['12.50', '0', '-3']);
          return odd ? pick(STRINGS) : pick(['x', 'Northwind US', 'café']);
        case 'integer':
        case 'number':
          return odd ? pick(INTEGERS) : pick([0, 150, -2]);
        case 'boolean':
          return odd ? pick(['true', 1, null]) : rand() < 0.5;
        case 'object': {
          const props = schema['properties'] as Record<string, Record<string, unknown>> | undefined;
          if (!props) return odd ? {} : null;
          return Object.fromEntries(Object.entries(props).flatMap(([k, sub]) => (rand() < 0.9 ? [[k, valueOf(sub)]] : [])));
        }
        case 'array': {
          const items = (schema['items'] ?? {}) as Record<string, unknown>;
          return Array.from({ length: Math.floor(rand() * 3) }, () => valueOf(items));
        }
        default:
          return null;
      }
    };
    let taken = 0;
    for (const entry of catalog.streams) {
      const stream = handMade(entry.stream, entry.schema, entry.key_properties);
      const props = entry.schema['properties'] as Record<string, Record<string, unknown>>;
      const required = (entry.schema['required'] ?? []) as string[];
      const lines = Array.from({ length: 30 }, () => {
        oddness = pick([0, 0.02, 0.1]);
        const record = Object.fromEntries(Object.entries(props).flatMap(([k, sub]) => (required.includes(k) || rand() < 0.97 ? [[k, valueOf(sub)]] : [])));
        return JSON.stringify({ type: 'RECORD', stream: entry.stream, record, ...(rand() < 0.3 ? { version: pick([1, 3]) } : {}), ...(rand() < 0.5 ? { time_extracted: pick(['2026-01-01T12:00:01.000Z', '2026-01-01T12:00:01+0000']) } : {}) });
      });
      expectSame(lines, 2n, stream);
      const fast = FastRowMapper.compile(entry.schema, stream.fields, entry.key_properties, entry.stream);
      const at = { line: 2, receivedAt: Buffer.from('"x"'), batchedAt: Buffer.from('"y"'), activated: 2n };
      if (fast) taken += lines.filter((l) => fast.map(Buffer.from(l), at, scratchSink()) !== FALLBACK).length;
    }
    expect(taken).to.be.greaterThan(60);
  });

  it('finds each key of a wide object in about one compare, whatever order the keys come in (no n² scan)', () => {
    // 2,000 listed keys of one length and first letter, each line in its own order: a scan of the
    // listed keys for a key the order hint misses compared ~n²/2 of them (181 ms a line, the full path 10 ms).
    const n = 2000;
    const name = (i: number): string => `p_shared_prefix_${String(i).padStart(5, '0')}`;
    const schema = { type: 'object', additionalProperties: false, properties: Object.fromEntries(Array.from({ length: n }, (_, i) => [name(i), { type: ['integer', 'null'] }])) };
    const stream = handMade('wide', schema, []);
    const fast = FastRowMapper.compile(schema, stream.fields, [], 'wide')!;
    const rand = prng(7);
    const lines = [0, 1, 2].map(() => {
      const order = Array.from({ length: n }, (_, i) => i).sort(() => rand() - 0.5);
      return JSON.stringify({ type: 'RECORD', stream: 'wide', record: Object.fromEntries(order.map((i) => [name(i), i])) });
    });
    const proto = FastRowMapper.prototype as unknown as { equals: (...args: unknown[]) => boolean };
    const equals = proto.equals;
    let compares = 0;
    proto.equals = function (this: unknown, ...args: unknown[]): boolean {
      compares++;
      return equals.apply(this, args);
    };
    try {
      const at = { line: 2, receivedAt: Buffer.from('"x"'), batchedAt: Buffer.from('"y"'), activated: undefined };
      for (const line of lines) expect(fast.map(Buffer.from(line), at, scratchSink())).to.equal(WRITTEN);
    } finally {
      proto.equals = equals;
    }
    expect(compares).to.be.below(lines.length * n * 4);
    expectSame(lines.slice(0, 1), undefined, stream);
  });

  it('maps an object lacking a property named as an Object.prototype member as lacking it, on both paths (the full path read it from the prototype: a function)', () => {
    const schema = { type: 'object', properties: { id: { type: 'string' }, valueOf: { type: ['integer', 'null'] }, toString: {}, ev: { type: ['object', 'null'], properties: { constructor: { type: ['string', 'null'] } } } } };
    const stream = handMade('protos', schema, ['id']);
    const line = (record: unknown): string => JSON.stringify({ type: 'RECORD', stream: 'protos', record });
    const lines = [line({ id: '1' }), line({ id: '1', valueOf: 2 }), line({ id: '1', valueOf: 2, toString: 's' }), line({ id: '1', valueOf: 2, toString: 's', ev: {} }), line({ id: '1', valueOf: 2, toString: 's', ev: { constructor: 'c' } })];
    const full = expectSame(lines, undefined, stream);
    // ajv refused it ('record.valueOf must be integer,null') and toRow dropped the toString column.
    expect(full[0]!.error).to.equal(undefined);
    expect(JSON.parse(full[0]!.rows) as Record<string, unknown>).to.include({ valueof: null, tostring: null, ev: null });
    const fast = FastRowMapper.compile(schema, stream.fields, ['id'], 'protos')!;
    const at = { line: 2, receivedAt: Buffer.from('"x"'), batchedAt: Buffer.from('"y"'), activated: undefined };
    for (const l of [lines[0]!, lines[4]!]) expect(fast.map(Buffer.from(l), at, scratchSink())).to.equal(WRITTEN);
    // A required one is refused when it is not the record's own, as any missing required key.
    const requiring = handMade('protos', { ...schema, required: ['constructor'], properties: { ...schema.properties, constructor: {} } }, ['id']);
    expect(expectSame([line({ id: '1' })], undefined, requiring)[0]!.error).to.match(/record\.constructor is required/);
  });
});
