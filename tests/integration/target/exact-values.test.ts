// Issue 17 "nothing silently changed": every value the warehouse would refuse or change is caught
// per record before it enters a batch (exit 6 naming stream, line and property), or kept exactly.
// Driven through the in-process loader on a real DuckDB file; read back from the table.
import { expect } from 'chai';
import { Readable } from 'node:stream';
import { EXIT_CODES } from '../../../connector/core/errors.js';
import { DuckDbDestination } from '../../../connector/target/duckdb/destination.js';
import { DATASET, KINDS, openWarehouse, runLoader, type Warehouse } from './harness.js';

const schema = (props: Record<string, unknown>, key = ['id']): string => JSON.stringify({ type: 'SCHEMA', stream: 's', schema: { type: 'object', properties: { id: { type: 'string' }, ...props } }, key_properties: key });
const rec = (record: Record<string, unknown> | string): string => (typeof record === 'string' ? `{"type":"RECORD","stream":"s","record":${record}}` : JSON.stringify({ type: 'RECORD', stream: 's', record }));
const STATE = JSON.stringify({ type: 'STATE', value: { ok: true } });

describe('target values kept exactly or refused per record (DuckDB)', function () {
  this.timeout(60_000);
  let w: Warehouse;
  beforeEach(async () => (w = await openWarehouse('duckdb')));
  afterEach(async () => w.close());

  const load = (lines: string[], config = {}) => runLoader(w, Readable.from([lines.join('\n') + '\n']), config);

  it('keeps integers beyond 2^53 exact in INT64, NUMERIC, STRING and JSON columns', async () => {
    const r = await load([
      schema({ i: { type: 'integer' }, n: { type: 'number', format: 'singer.decimal' }, s: { type: 'string' }, j: { type: 'object' }, u: { type: ['integer', 'string'] } }),
      rec('{"id":"a","i":9007199254740993,"n":123456789012345678901.123456789,"s":"x","j":{"big":18446744073709551615,"l":[9007199254740993]},"u":9007199254740993}'),
      STATE,
    ]);
    expect(r.error?.message).to.equal(undefined);
    const [row] = await w.rows('s');
    expect(String(row!['i'])).to.equal('9007199254740993');
    expect(String(row!['n'])).to.equal('123456789012345678901.123456789');
    expect(row!['j']).to.equal('{"big":18446744073709551615,"l":[9007199254740993]}');
    // A union column is JSON: the literal is kept as written.
    expect(row!['u']).to.equal('9007199254740993');
    expect(r.states).to.deep.equal([{ ok: true }]);
  });

  it('keeps in FLOAT64 and JSON whole numbers from 2^53 up that a double holds exactly, as Python writes them (1e+16, 1e+22, 2^53), refusing 2^53+1', async () => {
    const r = await load([schema({ f: { type: ['null', 'number'] } }), rec('{"id": "a", "f": 1e+16}'), rec('{"id": "b", "f": 1e+22}'), rec('{"id": "c", "f": 9007199254740992}'), rec('{"id": "d", "f": -2.5e+20}'), STATE]);
    expect(r.error?.message).to.equal(undefined);
    expect((await w.rows('s', ['id'])).map((row) => row['f'])).to.deep.equal([1e16, 1e22, 2 ** 53, -2.5e20]);
    const json = await load([schema({ j: { type: 'object' } }), rec('{"id": "j", "j": {"budget": 1e+16, "l": [2.5e+20]}}'), STATE]);
    expect(json.error?.message).to.equal(undefined);
    // DuckDB's JSON type writes a double its own way (10000000000000000.0): the value is what counts.
    expect(JSON.parse(String((await w.rows('s', ['id'])).find((row) => row['id'] === 'j')?.['j']))).to.deep.equal({ budget: 1e16, l: [2.5e20] });
    const bad = await load([schema({ f: { type: 'number' } }), rec('{"id":"e","f":1.0000000000000001e+22}'), STATE]);
    expect(bad.error?.message).to.match(/^line 2: stream "s": property f: 1\.0000000000000001e\+22 cannot be stored in FLOAT64 without changing it/);
  });

  it('loads every RFC 3339 spelling the validator accepts (t/z in lower case, no seconds, +HHMM, a space) as the instant it names', async () => {
    const spellings = ['2026-11-20T12:00:00Z', '2026-11-20t12:00:00z', '2026-11-20T12:00Z', '2026-11-20 12:00:00+00:00', '2026-11-20T13:00:00+0100', '2026-11-20t07:00-05:00', '2026-11-20T12:00:00.000Z'];
    const r = await load([schema({ t: { type: 'string', format: 'date-time' } }), ...spellings.map((t, i) => rec({ id: String(i), t, _sdc_extracted_at: t })), STATE]);
    expect(r.error?.message).to.equal(undefined);
    const d = new DuckDbDestination({ path: w.duckdbPath!, dataset: DATASET });
    await d.open();
    try {
      const rows = await d.query(`SELECT id, epoch_ms(t)::VARCHAR AS t, epoch_ms(_sdc_extracted_at)::VARCHAR AS x FROM ${DATASET}.s ORDER BY id`);
      const instant = String(Date.parse('2026-11-20T12:00:00Z'));
      expect(rows).to.deep.equal(spellings.map((_, i) => ({ id: String(i), t: instant, x: instant })));
    } finally {
      await d.close();
    }
  });

  it('keeps a property named __proto__ as an ordinary column', async () => {
    const r = await load([schema({}).replace('"properties":{', '"properties":{"__proto__":{"type":"string"},"x":{"type":"object"},'), rec('{"id":"a","__proto__":"kept","x":{"__proto__":{"y":1}}}'), STATE]);
    expect(r.error?.message).to.equal(undefined);
    // Read back as a list of values: an object built from the row would treat __proto__ specially.
    const d = new DuckDbDestination({ path: w.duckdbPath!, dataset: DATASET });
    await d.open();
    try {
      expect(await d.query(`SELECT "__proto__"::VARCHAR || ' ' || x::VARCHAR AS v FROM ${DATASET}.s`)).to.deep.equal([{ v: 'kept {"__proto__":{"y":1}}' }]);
    } finally {
      await d.close();
    }
  });

  describe('a SCHEMA property named __proto__ is validated like any other (ajv skips that name)', () => {
    const protoSchema = (props: string, extra = ''): string => schema({}).replace('"properties":{', `"properties":{"__proto__":${props},`).replace('"key_properties"', `${extra}"key_properties"`);
    const refusedProto: Array<[string, string[], RegExp]> = [
      ['a wrong type', [protoSchema('{"type":"string"}'), rec('{"id":"a","__proto__":5}')], /^line 2: stream "s": record does not match its SCHEMA: record\.__proto__ must be string/],
      [
        'a wrong type under additionalProperties false',
        [protoSchema('{"type":"integer"}').replace('"type":"object","properties"', '"type":"object","additionalProperties":false,"properties"'), rec('{"id":"a","__proto__":"x"}')],
        /^line 2: stream "s": record does not match its SCHEMA: record\.__proto__ must be integer/,
      ],
      ['a missing required __proto__', [protoSchema('{"type":"string"}').replace('"type":"object","properties"', '"type":"object","required":["__proto__"],"properties"'), rec('{"id":"a"}')], /^line 2: stream "s": record does not match its SCHEMA: record\.__proto__ is required/],
      [
        'a record holding the key the target validates __proto__ under',
        [protoSchema('{"type":"string"}').replace('"type":"object","properties"', '"type":"object","required":["__proto__"],"properties"'), rec('{"id":"a","\\u0000__proto__":"x"}')],
        /^line 2: stream "s": record does not match its SCHEMA: record must not hold a key named/,
      ],
      [
        'a wrong type in a nested object',
        [schema({ x: { type: 'object' } }).replace('"x":{"type":"object"}', '"x":{"type":"object","properties":{"__proto__":{"type":"integer"}}}'), rec('{"id":"a","x":{"__proto__":"no"}}')],
        /^line 2: stream "s": record does not match its SCHEMA: record\.x\.__proto__ must be integer/,
      ],
    ];
    for (const [name, lines, error] of refusedProto) {
      it(`refuses ${name} with exit 6 naming the line`, async () => {
        const r = await load([...lines, STATE]);
        expect(r.error?.exitCode).to.equal(EXIT_CODES.data);
        expect(r.error?.message).to.match(error);
        expect(await w.rows('s')).to.deep.equal([]);
      });
    }

    it('loads a valid __proto__ exactly, also where additionalProperties is false', async () => {
      const r = await load([protoSchema('{"type":"integer"}').replace('"type":"object","properties"', '"type":"object","additionalProperties":false,"required":["__proto__"],"properties"'), rec('{"id":"a","__proto__":9007199254740993}'), STATE]);
      expect(r.error?.message).to.equal(undefined);
      const d = new DuckDbDestination({ path: w.duckdbPath!, dataset: DATASET });
      await d.open();
      try {
        expect(await d.query(`SELECT "__proto__"::VARCHAR AS v FROM ${DATASET}.s`)).to.deep.equal([{ v: '9007199254740993' }]);
      } finally {
        await d.close();
      }
    });
  });

  it('refuses bytes that are not UTF-8 (two keys differing only there would merge) with exit 6 naming the line', async () => {
    const head = Buffer.from(`${schema({})}\n${rec({ id: 'a' })}\n`);
    const bad = (b: number): Buffer => Buffer.concat([Buffer.from('{"type":"RECORD","stream":"s","record":{"id":"k'), Buffer.from([b]), Buffer.from('"}}\n')]);
    const r = await runLoader(w, Readable.from([Buffer.concat([head, bad(0xff), bad(0xfe), Buffer.from(STATE + '\n')])]));
    expect(r.error?.exitCode).to.equal(EXIT_CODES.data);
    expect(r.error?.message).to.match(/^line 3: not valid UTF-8/);
    expect(r.states).to.deep.equal([]);
    expect(await w.tables()).to.include('s');
    expect(await w.rows('s')).to.deep.equal([]);
  });

  it('loads a list of structs holding decimals beside a column named like the element of a DuckDB lambda (e1, e2): exact, not a failed batch', async () => {
    const dec = { type: ['null', 'string'], format: 'singer.decimal' };
    const list = (props: Record<string, unknown>): Record<string, unknown> => ({ type: ['null', 'array'], items: { type: 'object', additionalProperties: false, properties: props } });
    const r = await load([schema({ e1: list({ a: dec, e2: list({ e1: dec }) }), e2: { type: ['null', 'string'] } }), rec({ id: 'a', e1: [{ a: '1.25', e2: [{ e1: '2.5' }, { e1: null }] }], e2: 'x' }), STATE]);
    expect(r.error?.message).to.equal(undefined);
    expect((await w.rows('s')).map(({ id, e1, e2 }) => ({ id, e1, e2 }))).to.deep.equal([{ id: 'a', e1: [{ a: '1.250000000', e2: [{ e1: '2.500000000' }, { e1: null }] }], e2: 'x' }]);
    expect(r.states).to.deep.equal([{ ok: true }]);
  });

  it('loads any JSON value into a JSON column (union-typed and untyped properties): a string, a number, true, a list, an object', async () => {
    const values: unknown[] = ['abc', '12', 7, 1.5, true, ['x', 1], { k: 'v' }, null];
    const r = await load([schema({ u: { type: ['integer', 'string'] }, o: {} }), ...values.map((v, i) => rec({ id: `r${i}`, o: v, ...(typeof v === 'string' || Number.isInteger(v) ? { u: v } : {}) })), STATE]);
    expect(r.error?.message).to.equal(undefined);
    const rows = await w.rows('s', ['id']);
    expect(rows.map((row) => (row['o'] === null ? null : JSON.parse(String(row['o']))))).to.deep.equal(values);
    expect(rows.map((row) => row['u'])).to.deep.equal(['"abc"', '"12"', '7', null, null, null, null, null]);
    expect(r.states).to.deep.equal([{ ok: true }]);
  });

  it('keeps characters escaped as surrogate pairs (\\uD83D\\uDE00) in STRING and JSON columns', async () => {
    const r = await load([schema({ s: { type: 'string' }, j: { type: 'object' } }), rec('{"id":"a","s":"x\\ud83d\\ude00","j":{"\\uD83D\\uDE00":["\\ud83d\\ude00"]}}'), STATE]);
    expect(r.error?.message).to.equal(undefined);
    const [row] = await w.rows('s');
    expect(row!['s']).to.equal('x\u{1F600}');
    expect(JSON.parse(String(row!['j']))).to.deep.equal({ '\u{1F600}': ['\u{1F600}'] });
  });

  it('validates records under a SCHEMA naming draft-04, 2019-09 or 2020-12 by the draft-07 rules (ajv refused to compile it), refusing a wrong type', async () => {
    for (const meta of ['http://json-schema.org/draft-04/schema#', 'https://json-schema.org/draft/2019-09/schema', 'https://json-schema.org/draft/2020-12/schema']) {
      const header = (line: string): string => line.replace('"schema":{', `"schema":{"$schema":"${meta}",`);
      const ok = await load([header(schema({ n: { type: ['null', 'integer'] } })), rec({ id: meta, n: 1 }), STATE]);
      expect(ok.error?.message, meta).to.equal(undefined);
      const r = await load([header(schema({ n: { type: ['null', 'integer'] } })), rec({ id: 'x', n: 'one' }), STATE]);
      expect(r.error?.exitCode, meta).to.equal(EXIT_CODES.data);
      expect(r.error?.message).to.equal('line 2: stream "s": record does not match its SCHEMA: record.n must be null,integer');
    }
    expect((await w.rows('s', ['id'])).map((row) => row['id'])).to.have.length(3);
  });

  it("takes draft-04's boolean exclusiveMinimum/exclusiveMaximum and its id keyword (ajv refused to compile them), keeping their meaning", async () => {
    const D4 = schema({ n: { type: ['null', 'number'], minimum: 0, exclusiveMinimum: true, maximum: 10, exclusiveMaximum: false }, m: { type: ['null', 'integer'], maximum: 5, exclusiveMaximum: true } });
    const header = (line: string): string => line.replace('"schema":{', '"schema":{"$schema":"http://json-schema.org/draft-04/schema#","id":"http://example.com/s.json",');
    const ok = await load([header(D4), rec({ id: 'a', n: 0.5, m: 4 }), rec({ id: 'b', n: 10, m: null }), STATE]);
    expect(ok.error?.message).to.equal(undefined);
    expect((await w.rows('s', ['id'])).map((row) => row['id'])).to.deep.equal(['a', 'b']);
    const zero = await load([header(D4), rec({ id: 'x', n: 0 }), STATE]);
    expect(zero.error?.exitCode).to.equal(EXIT_CODES.data);
    expect(zero.error?.message).to.equal('line 2: stream "s": record does not match its SCHEMA: record.n must be > 0');
    const five = await load([header(D4), rec({ id: 'y', m: 5 }), STATE]);
    expect(five.error?.message).to.equal('line 2: stream "s": record does not match its SCHEMA: record.m must be < 5');
  });

  it("takes a SCHEMA whose bounds lie beyond a double's exact integers, as singer-io tap-facebook writes its budgets (maximum 10^32, exclusive), keeping their meaning", async () => {
    const budget = '{"type": ["null", "number"], "maximum": 100000000000000000000000000000000, "minimum": -100000000000000000000000000000000, "exclusiveMaximum": true, "exclusiveMinimum": true}';
    const big = schema({}).replace('"properties":{', `"properties":{"daily_budget": ${budget},`);
    const ok = await load([big, rec('{"id": "a", "daily_budget": 1500.0}'), rec('{"id": "b", "daily_budget": null}'), STATE]);
    expect(ok.error?.message).to.equal(undefined);
    expect((await w.rows('s', ['id'])).map((row) => row['daily_budget'])).to.deep.equal([1500, null]);
    const over = await load([big, rec('{"id": "c", "daily_budget": 1e+32}'), STATE]);
    expect(over.error?.message).to.equal('line 2: stream "s": record does not match its SCHEMA: record.daily_budget must be < 1e+32');
  });

  it('checks multipleOf on the decimals the values are written as (0.07 is a multiple of 0.01; 0.1 of 1e-06), refusing 0.075', async () => {
    const m = schema({ p: { type: ['null', 'number'], multipleOf: 0.01 }, b: { type: ['null', 'number'], multipleOf: 1e-6 } });
    const ok = await load([m, rec('{"id": "a", "p": 0.07, "b": 0.1}'), rec('{"id": "b", "p": 1234567.89, "b": 12.345678}'), rec('{"id": "c", "p": -3, "b": 1e+22}'), STATE]);
    expect(ok.error?.message).to.equal(undefined);
    expect((await w.rows('s', ['id'])).map((row) => [row['p'], row['b']])).to.deep.equal([
      [0.07, 0.1],
      [1234567.89, 12.345678],
      [-3, 1e22],
    ]);
    const off = await load([m, rec('{"id": "d", "p": 0.075, "b": 1e-7}'), STATE]);
    expect(off.error?.message).to.equal('line 2: stream "s": record does not match its SCHEMA: record.p must be multiple of 0.01; record.b must be multiple of 0.000001');
  });

  it('names what to fix in a SCHEMA ajv cannot compile: the keyword, or an external $ref', async () => {
    const bad = await load([schema({ s: { type: 'string', minLength: 'x' } }), STATE]);
    expect(bad.error?.message).to.match(/^line 1: stream "s": its SCHEMA cannot be used for validation \(schema is invalid: data\/properties\/s\/minLength must be integer/);
    expect(bad.error?.hint).to.equal('Fix the keyword named above in the tap’s SCHEMA, or set validate_records to false.');
    const ref = await load([schema({ s: { $ref: 'https://example.com/other.json' } }), STATE]);
    expect(ref.error?.hint).to.equal('Inline external $refs in the SCHEMA message, or set validate_records to false.');
  });

  it('takes a SCHEMA re-sent with a column added under the same id, and another stream whose schema has that id, in one load (ajv kept the first under its id)', async () => {
    const withId = (line: string, id: string): string => line.replace('"schema":{', `"schema":{"${id}":"urn:example:row",`);
    for (const id of ['id', '$id']) {
      const other = withId(schema({}), id).replace('"stream":"s"', '"stream":"t"');
      const r = await load([
        withId(schema({ a: { type: ['null', 'string'] } }), id),
        rec({ id: 'a', a: 'x' }),
        withId(schema({ a: { type: ['null', 'string'] }, b: { type: ['null', 'integer'] } }), id),
        rec({ id: 'b', b: 2 }),
        other,
        '{"type":"RECORD","stream":"t","record":{"id":"c"}}',
        STATE,
      ]);
      expect(r.error?.message, id).to.equal(undefined);
      expect(
        (await w.rows('s', ['id'])).map((row) => `${String(row['id'])}:${String(row['b'])}`),
        id,
      ).to.deep.equal(['a:null', 'b:2']);
      // Each validator still checks its own SCHEMA: the re-sent one refuses a wrong type in the added column.
      const bad = await load([withId(schema({ a: { type: ['null', 'string'] }, b: { type: ['null', 'integer'] } }), id), rec({ id: 'x', b: 'two' }), STATE]);
      expect(bad.error?.message, id).to.equal('line 2: stream "s": record does not match its SCHEMA: record.b must be null,integer');
    }
  });

  it('takes a "time" with or without an offset (the Meltano SDK writes none), refusing an hour that is not one', async () => {
    const TIME = schema({ t: { type: ['null', 'string'], format: 'time' } });
    const ok = await load([TIME, rec({ id: 'a', t: '12:00:00' }), rec({ id: 'b', t: '08:30:00.123456' }), rec({ id: 'c', t: '23:59:59Z' }), STATE]);
    expect(ok.error?.message).to.equal(undefined);
    expect((await w.rows('s', ['id'])).map((row) => row['t'])).to.deep.equal(['12:00:00', '08:30:00.123456', '23:59:59Z']);
    const r = await load([TIME, rec({ id: 'x', t: '25:00:00' }), STATE]);
    expect(r.error?.exitCode).to.equal(EXIT_CODES.data);
    expect(r.error?.message).to.equal('line 2: stream "s": record does not match its SCHEMA: record.t must match format "time"');
  });

  for (const [how, extras] of [
    ['on the reading thread', {}],
    ['in a map worker', { mapInlineBytes: 0 }],
  ] as const) {
    it(`says once per stream which record properties its SCHEMA does not list, and loads the rest (${how})`, async () => {
      const logLines: string[] = [];
      const lines = [schema({ a: { type: 'string' } }), rec({ id: '1', a: 'x' }), rec({ id: '2', a: 'y', extra: 5, other: { z: 1 } }), rec({ id: '3', a: 'z', third: true }), STATE];
      const r = await runLoader(w, Readable.from([lines.join('\n') + '\n']), { map_workers: 1 }, undefined, { ...extras, logLines });
      expect(r.error?.message).to.equal(undefined);
      expect((await w.rows('s', ['id'])).map((row) => [row['id'], row['a']])).to.deep.equal([
        ['1', 'x'],
        ['2', 'y'],
        ['3', 'z'],
      ]);
      const warned = logLines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l['msg'] === 'record properties its SCHEMA does not list are not loaded');
      expect(warned).to.have.length(1);
      expect(warned[0]).to.deep.include({ stream: 's', line: 3, properties: ['extra', 'other'] });
      expect(r.states).to.deep.equal([{ ok: true }]);
    });
  }

  it('refuses a record over the row size limit with exit 6 naming line and stream, before it enters a batch', async () => {
    const r = await load([schema({ s: { type: 'string' } }), rec({ id: 'a', s: 'x'.repeat(17 * 2 ** 20) }), STATE]);
    expect(r.error?.exitCode).to.equal(EXIT_CODES.data);
    expect(r.error?.message).to.match(/^line 2: stream "s": the record is 17\.0 MiB as a row, more than the 16 MiB a warehouse row may hold/);
  });

  const refused: Array<[string, string[], RegExp, object?]> = [
    ['an integer beyond INT64', [schema({ i: { type: 'integer' } }), rec('{"id":"a","i":9223372036854775808}')], /line 2: stream "s": property i: 9223372036854775808 is outside INT64/],
    ['a 19-digit integer beyond INT64 with validation off', [schema({ i: { type: 'integer' } }), rec('{"id":"a","i":9999999999999999999}')], /line 2: stream "s": property i: 9999999999999999999 is outside INT64/, { validate_records: false }],
    ['1e400 in a FLOAT64 column', [schema({ f: { type: 'number', format: 'double' } }), rec('{"id":"a","f":1e400}')], /line 2: stream "s": property f: 1e400/],
    ['2^53+1 in a FLOAT64 column (a double would round it)', [schema({ f: { type: 'number' } }), rec('{"id":"a","f":9007199254740993}')], /line 2: stream "s": property f: 9007199254740993 cannot be stored in FLOAT64 without changing it/],
    ['1e400 in a NUMERIC column', [schema({ n: { type: 'number', format: 'singer.decimal' } }), rec('{"id":"a","n":1e400}')], /line 2: stream "s": property n: /],
    ['a decimal a JSON column would round', [schema({ j: { type: 'object' } }), rec('{"id":"a","j":{"x":0.10000000000000000555}}')], /line 2: stream "s": property j.x: /],
    ['an impossible date', [schema({ d: { type: 'string', format: 'date' } }), rec({ id: 'a', d: '2024-02-30' })], /line 2: stream "s": record does not match its SCHEMA: record\.d must match format "date"/],
    ['an impossible date with validation off', [schema({ d: { type: 'string', format: 'date' } }), rec({ id: 'a', d: '2024-02-30' })], /line 2: stream "s": property d: expected a calendar date YYYY-MM-DD, got "2024-02-30"/, { validate_records: false }],
    ['an integer a JSON column cannot hold (beyond uint64)', [schema({ j: { type: 'object' } }), rec('{"id":"a","j":{"big":123456789012345678901234567890}}')], /line 2: stream "s": property j.big: 123456789012345678901234567890 would be changed/],
    ['an impossible timestamp', [schema({ t: { type: 'string', format: 'date-time' } }), rec({ id: 'a', t: '2024-02-30T00:00:00Z' })], /line 2: stream "s": property t: /],
    [
      'a leap second (valid RFC 3339, which neither warehouse holds) as what it is',
      [schema({ t: { type: 'string', format: 'date-time' } }), rec({ id: 'a', t: '2016-12-31T23:59:60Z' })],
      /^line 2: stream "s": property t: "2016-12-31T23:59:60Z" is a leap second, which a TIMESTAMP cannot hold/,
    ],
    ['a lone UTF-16 surrogate', [schema({ s: { type: 'string' } }), rec('{"id":"a","s":"x\\ud800y"}')], /line 2: stream "s": property s: /],
    ['a lone surrogate in a key', [schema({}), rec('{"id":"\\udc00"}')], /line 2: stream "s": property id: /],
    ['a lone surrogate deep in a JSON column (upper-case escape)', [schema({ j: { type: 'object' } }), rec('{"id":"a","j":{"l":[1,{"k":"\\uDBFF"}]}}')], /line 2: stream "s": property j\.l\[1\]\.k: contains a lone UTF-16 surrogate/],
    ['a lone surrogate in a key inside a JSON column', [schema({ j: { type: 'object' } }), rec('{"id":"a","j":{"l":{"\\udfff":1}}}')], /line 2: stream "s": property j\.l \(a key\): contains a lone UTF-16 surrogate/],
    ['nesting deeper than the warehouse allows', [schema({ j: { type: 'object' } }), rec(`{"id":"a","j":${'{"a":'.repeat(600)}1${'}'.repeat(600)}}`)], /line 2: stream "s": property j/],
    ["a property named _sdc_sequence (the target's own ordering column)", [schema({ _sdc_sequence: { type: 'integer' } }), rec({ id: 'a', _sdc_sequence: 5 })], /line 1: stream "s": property "_sdc_sequence" maps to the reserved metadata column "_sdc_sequence"/],
    [
      "a stream whose table name is the target's own",
      ['{"type":"SCHEMA","stream":"_SDC_table_versions","schema":{"type":"object","properties":{"id":{"type":"string"}}},"key_properties":["id"]}'],
      /^line 1: stream "_SDC_table_versions" maps to table "_sdc_table_versions", but table names starting with "_sdc_" are the target's own/,
    ],
    ['a table version beyond INT64', [schema({}), '{"type":"ACTIVATE_VERSION","stream":"s","version":99999999999999999999}'], /line 2: ACTIVATE_VERSION "version" must be a whole number/],
  ];
  for (const [what, lines, message, config] of refused) {
    it(`refuses ${what} with exit 6 naming line, stream and property, echoing no STATE after it`, async () => {
      const r = await load([...lines, STATE], config);
      expect(r.error?.exitCode, r.error?.message).to.equal(EXIT_CODES.data);
      expect(r.error?.message).to.match(message);
      expect(r.states).to.deep.equal([]);
    });
  }
});

for (const kind of KINDS) {
  describe(`stale records after ACTIVATE_VERSION (${kind})`, function () {
    this.timeout(60_000);
    let w: Warehouse;
    beforeEach(async () => (w = await openWarehouse(kind)));
    afterEach(async () => w.close());
    const v = (id: string, version: number, name: string): string => JSON.stringify({ type: 'RECORD', stream: 's', version, record: { id, name } });
    const act = (version: number): string => JSON.stringify({ type: 'ACTIVATE_VERSION', stream: 's', version });

    it('never lets a record of an older table version overwrite a newer row or revive a row the activation deleted', async () => {
      const lines = [schema({ name: { type: 'string' } }), v('a', 1, 'a1'), v('b', 1, 'b1'), act(1), v('a', 2, 'a2'), act(2), v('a', 1, 'a1 stale'), v('b', 1, 'b1 stale'), STATE];
      const r = await runLoader(w, Readable.from([lines.join('\n') + '\n']));
      expect(r.error?.message).to.equal(undefined);
      const rows = await w.rows('s', ['id']);
      expect(rows.map((x) => [x['id'], x['name'], Number(x['_sdc_table_version']), x['_sdc_deleted_at'] === null])).to.deep.equal([
        ['a', 'a2', 2, true],
        ['b', 'b1', 1, false],
      ]);
      expect(r.states).to.deep.equal([{ ok: true }]);
    });

    it('drops a stale record for a key not yet in the table, in the same run and in a later one (the activated version is kept in the warehouse), and counts it', async () => {
      const first = await runLoader(w, Readable.from([[schema({ name: { type: 'string' } }), v('a', 5, 'a5'), act(5), v('b', 4, 'b4 stale'), STATE].join('\n') + '\n']));
      expect(first.error?.message).to.equal(undefined);
      expect(first.summary!.stale.entries()).to.deep.equal([{ stream: 's', account: undefined, count: 1 }]);
      // A later run (new loader, new connection) of a superseded version: its keys are not in the table.
      const later = [schema({ name: { type: 'string' } }), v('c', 4, 'c4 stale'), v('a', 3, 'a3 stale'), act(4), v('d', 5, 'd5'), v('e', 6, 'e6'), STATE];
      const second = await runLoader(w, Readable.from([later.join('\n') + '\n']));
      expect(second.error?.message).to.equal(undefined);
      expect(second.summary!.stale.entries()).to.deep.equal([{ stream: 's', account: undefined, count: 2 }]);
      const rows = await w.rows('s', ['id']);
      expect(rows.map((x) => [x['id'], x['name'], Number(x['_sdc_table_version']), x['_sdc_deleted_at'] === null])).to.deep.equal([
        ['a', 'a5', 5, true],
        ['d', 'd5', 5, true],
        ['e', 'e6', 6, true],
      ]);
      // The stale ACTIVATE_VERSION 4 changed nothing: version 5 is still the activated one.
      expect(await w.activatedVersion('s')).to.equal(5n);
      expect(second.states).to.deep.equal([{ ok: true }]);
    });

    it('carries versions beyond 2^53 exactly, up to 2^63-1: 2^53 is stale after ACTIVATE_VERSION 2^53+1 (a double calls them equal)', async () => {
      const big = (id: string, version: string, name: string): string => `{"type":"RECORD","stream":"s","version":${version},"record":${JSON.stringify({ id, name })}}`;
      const activate = (version: string): string => `{"type":"ACTIVATE_VERSION","stream":"s","version":${version}}`;
      const SCHEMA = schema({ name: { type: 'string' } });
      // Mapped in a worker thread (the activated version crosses to it) with the logs kept.
      const logLines: string[] = [];
      const first = await runLoader(
        w,
        Readable.from([[SCHEMA, big('a', '9007199254740993', 'a'), big('b', '9007199254740992', 'b'), activate('9007199254740993'), big('c', '9007199254740992', 'c stale'), big('d', '9223372036854775807', 'd'), STATE].join('\n') + '\n']),
        { map_workers: 1 },
        undefined,
        { mapInlineBytes: 0, logLines },
      );
      expect(first.error?.message).to.equal(undefined);
      const logs = logLines.map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(logs.find((l) => l['msg'] === 'version activated')).to.include({ version: '9007199254740993' });
      expect(logs.find((l) => String(l['msg']).startsWith('stale records dropped'))).to.include({ line: 5, version: '9007199254740992', activated_version: '9007199254740993' });
      expect(first.summary!.stale.entries()).to.deep.equal([{ stream: 's', account: undefined, count: 1 }]);
      const versions = async (): Promise<unknown[]> => (await w.rows('s', ['id'])).map((x) => [x['id'], String(x['_sdc_table_version']), x['_sdc_deleted_at'] === null]);
      expect(await versions()).to.deep.equal([
        ['a', '9007199254740993', true],
        ['b', '9007199254740992', false],
        ['d', '9223372036854775807', true],
      ]);
      expect(await w.activatedVersion('s')).to.equal(9007199254740993n);
      // A later run activates 2^63-1: read back exactly, it deletes every older row and keeps its own.
      const second = await runLoader(w, Readable.from([[SCHEMA, activate('9223372036854775807'), big('e', '9223372036854775806', 'e stale')].join('\n') + '\n']));
      expect(second.error?.message).to.equal(undefined);
      expect(second.summary!.stale.entries()).to.deep.equal([{ stream: 's', account: undefined, count: 1 }]);
      expect(await w.activatedVersion('s')).to.equal(9223372036854775807n);
      expect(await versions()).to.deep.equal([
        ['a', '9007199254740993', false],
        ['b', '9007199254740992', false],
        ['d', '9223372036854775807', true],
      ]);
    });

    for (const [name, version] of [
      ['2^63 (beyond INT64)', '9223372036854775808'],
      ['a negative number', '-1'],
      ['a fraction', '1.5'],
      ['a string', '"5"'],
    ]) {
      it(`refuses a RECORD and an ACTIVATE_VERSION whose version is ${name} with exit 6 naming the line`, async () => {
        for (const line of [`{"type":"RECORD","stream":"s","version":${version!},"record":{"id":"a"}}`, `{"type":"ACTIVATE_VERSION","stream":"s","version":${version!}}`]) {
          const r = await runLoader(w, Readable.from([[schema({}), line, STATE].join('\n') + '\n']));
          expect(r.error?.exitCode).to.equal(EXIT_CODES.data);
          expect(r.error?.message).to.match(/^line 2: (RECORD|ACTIVATE_VERSION) "version" must be a whole number from 0 to 2\^63-1/);
          expect(r.states).to.deep.equal([]);
        }
      });
    }

    it('forgets the activated version when the table is created afresh (dropped by hand)', async () => {
      expect((await runLoader(w, Readable.from([[schema({ name: { type: 'string' } }), v('a', 5, 'a5'), act(5)].join('\n') + '\n']))).error).to.equal(undefined);
      await w.dropTable('s');
      const r = await runLoader(w, Readable.from([[schema({ name: { type: 'string' } }), v('b', 1, 'b1')].join('\n') + '\n']));
      expect(r.error?.message).to.equal(undefined);
      expect(r.summary!.stale.size).to.equal(0);
      expect((await w.rows('s', ['id'])).map((x) => x['id'])).to.deep.equal(['b']);
    });

    it('lets a newer version revive a deleted row', async () => {
      const lines = [schema({ name: { type: 'string' } }), v('b', 1, 'b1'), act(1), act(2), v('b', 3, 'b3'), act(3)];
      const r = await runLoader(w, Readable.from([lines.join('\n') + '\n']));
      expect(r.error?.message).to.equal(undefined);
      const rows = await w.rows('s', ['id']);
      expect(rows.map((x) => [x['id'], x['name'], x['_sdc_deleted_at'] === null])).to.deep.equal([['b', 'b3', true]]);
    });
  });
}

for (const kind of KINDS) {
  describe(`timestamps and integers at the edges of their types (${kind})`, function () {
    this.timeout(60_000);
    let w: Warehouse;
    beforeEach(async () => (w = await openWarehouse(kind)));
    afterEach(async () => w.close());
    const load = (lines: string[], config = {}) => runLoader(w, Readable.from([lines.join('\n') + '\n']), config);
    const TS = schema({ t: { type: ['null', 'string'], format: 'date-time' } });
    // Both warehouses are read back through DuckDB (the emulator keeps its tables there): one spelling.
    const micros = async (): Promise<unknown[]> => (await w.rows('s', ['id'])).map((r) => [r['id'], r['t'] === null ? null : String(r['t'])]);

    it('loads a TIMESTAMP up to the ends of its range, but refuses one its offset takes outside (year 0 or 10000) with exit 6 naming line and property', async () => {
      const inRange = ['0001-01-01T00:30:00-01:00', '0001-01-01T00:00:00Z', '9999-12-31T22:59:59.999999-01:00', '9999-12-31T23:59:59.999999+00:00'];
      const ok = await load([TS, ...inRange.map((t, i) => rec({ id: `r${i}`, t })), STATE]);
      expect(ok.error?.message).to.equal(undefined);
      expect(await micros()).to.deep.equal([
        ['r0', '0001-01-01 01:30:00+00'],
        ['r1', '0001-01-01 00:00:00+00'],
        ['r2', '9999-12-31 23:59:59.999999+00'],
        ['r3', '9999-12-31 23:59:59.999999+00'],
      ]);
      for (const [t, line] of [
        ['0001-01-01T00:30:00+01:00', 3],
        ['9999-12-31T23:30:00-01:00', 3],
      ] as const) {
        const r = await load([TS, rec({ id: 'x', t: '2024-01-01T00:00:00Z' }), rec({ id: 'y', t }), STATE]);
        expect(r.error?.exitCode, r.error?.message).to.equal(EXIT_CODES.data);
        expect(r.error?.message).to.equal(`line ${line}: stream "s": property t: "${t}" is outside the TIMESTAMP range once its offset is applied (0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999Z)`);
        expect(r.states).to.deep.equal([]);
      }
      expect((await w.rows('s')).map((r) => r['id'])).to.not.include('x');
    });

    it('cuts digits below the microsecond (nanosecond clocks, RFC 3339 allows any number) without rounding, in the property and in time_extracted, the offset kept', async () => {
      const written = ['2026-11-20T12:00:00.123456789Z', '2024-01-01T00:00:00.1234567+05:30', '2024-01-01T23:59:59.9999999Z', '9999-12-31T23:59:59.999999999Z', '2024-01-01T00:00:00.123456789+15:00', '2024-01-01T00:00:00.123456000Z', '2024-01-01T00:00:00.1+01:00'];
      const extracted = JSON.stringify({ type: 'RECORD', stream: 's', record: { id: 'x' }, time_extracted: '2026-11-20T12:00:00.000001999Z' });
      const r = await load([TS, ...written.map((t, i) => rec({ id: `r${i}`, t })), extracted, STATE]);
      expect(r.error?.message).to.equal(undefined);
      expect(r.states).to.have.length(1);
      expect(await micros()).to.deep.equal([
        ['r0', '2026-11-20 12:00:00.123456+00'],
        ['r1', '2023-12-31 18:30:00.123456+00'],
        // Rounded, these would be the next day and outside the TIMESTAMP range.
        ['r2', '2024-01-01 23:59:59.999999+00'],
        ['r3', '9999-12-31 23:59:59.999999+00'],
        ['r4', '2023-12-31 09:00:00.123456+00'],
        ['r5', '2024-01-01 00:00:00.123456+00'],
        ['r6', '2023-12-31 23:00:00.1+00'],
        ['x', null],
      ]);
      const x = (await w.rows('s', ['id'])).find((row) => row['id'] === 'x');
      expect(String(x?.['_sdc_extracted_at'])).to.equal('2026-11-20 12:00:00.000001+00');
    });

    // BigQuery only: DuckDB takes any offset (the emulator refuses what BigQuery does).
    if (kind === 'bigquery')
      it('loads a timestamp whose offset is beyond ±14:00 (RFC 3339 allows ±23:59, BigQuery refuses it) as the same instant, written in UTC', async () => {
        const offsets = ['2024-01-01T00:00:00+15:00', '2024-01-01T00:00:00.123456-23:59', '2024-01-01T10:00:00+14:00', '0001-01-01T14:30:00+14:30', '2024-01-01T00:00:00+1500'];
        const r = await load([TS, ...offsets.map((t, i) => rec({ id: `r${i}`, t })), STATE]);
        expect(r.error?.message).to.equal(undefined);
        expect(await micros()).to.deep.equal([
          ['r0', '2023-12-31 09:00:00+00'],
          ['r1', '2024-01-01 23:59:00.123456+00'],
          ['r2', '2023-12-31 20:00:00+00'],
          ['r3', '0001-01-01 00:00:00+00'],
          ['r4', '2023-12-31 09:00:00+00'],
        ]);
      });

    it('loads an INT64 written as a whole number with a fraction or an exponent (9007199254740993.0, 9.2e18) exactly, and names the literal when it is beyond INT64', async () => {
      const written = ['9007199254740993.0', '9.223372036854775807e18', '-9.223372036854775808E+18', '12345678901234567.000', '-0.0'];
      const ok = await load([schema({ i: { type: ['null', 'integer'] } }), ...written.map((x, k) => rec(`{"id":"r${k}","i":${x}}`)), STATE]);
      expect(ok.error?.message).to.equal(undefined);
      expect((await w.rows('s', ['id'])).map((r) => String(r['i']))).to.deep.equal(['9007199254740993', '9223372036854775807', '-9223372036854775808', '12345678901234567', '0']);
      const r = await load([schema({ i: { type: ['null', 'integer'] } }), rec('{"id":"x","i":9.3e18}'), STATE]);
      expect(r.error?.exitCode).to.equal(EXIT_CODES.data);
      expect(r.error?.message).to.equal('line 2: stream "s": property i: 9.3e18 is outside INT64 (-2^63 to 2^63-1)');
    });

    it('refuses a date followed by a time in a DATE column when records are not validated (its time was cut off)', async () => {
      const r = await load([schema({ d: { type: ['null', 'string'], format: 'date' } }), rec({ id: 'a', d: '2024-01-01T05:00:00Z' }), STATE], { validate_records: false });
      expect(r.error?.exitCode, r.error?.message).to.equal(EXIT_CODES.data);
      expect(r.error?.message).to.equal('line 2: stream "s": property d: expected a calendar date YYYY-MM-DD, got "2024-01-01T05:00:00Z"');
      expect(await w.rows('s')).to.deep.equal([]);
    });
  });
}
