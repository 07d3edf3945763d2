// Unit tests for the JSON Schema → BigQuery column mapping and the identifier rules.
import { expect } from 'chai';
import { MAX_RECORD_NESTING, streamFields, toColumnName, toTableName, tableLayout, loadStreamFields, SAFE_IDENTIFIER, type MappedField } from '../../../connector/target/fields.js';
import { DataError } from '../../../connector/core/errors.js';

const byName = (fields: MappedField[], n: string): MappedField => {
  const f = fields.find((x) => x.name === n);
  if (!f) throw new Error(`no field ${n}`);
  return f;
};

/** Closed objects nested `levels` deep under property "p0" (p0.p1.…), each holding a scalar "x"; with `lists`, every other level is a list of them. */
function nested(levels: number, lists = false): Record<string, unknown> {
  let inner: Record<string, unknown> = { type: 'string' };
  for (let i = levels - 1; i >= 0; i--) {
    const obj = { type: 'object', additionalProperties: false, properties: { x: { type: 'string' }, [`p${i + 1}`]: inner } };
    inner = lists && i % 2 === 1 ? { type: 'array', items: obj } : obj;
  }
  return { type: 'object', properties: { id: { type: 'string' }, p0: inner } };
}

/** The deepest RECORD nesting level among `fields` (a top-level RECORD is 1). */
const recordDepth = (fields: readonly MappedField[]): number => Math.max(0, ...fields.filter((f) => f.type === 'RECORD').map((f) => 1 + recordDepth(f.fields ?? [])));

/** The field at p0.p1.….p<n>. */
function fieldAt(fields: readonly MappedField[], n: number): MappedField {
  let f = byName([...fields], 'p0');
  for (let i = 1; i <= n; i++) f = byName([...(f.fields ?? [])], `p${i}`);
  return f;
}

describe('target schema map', () => {
  it("keeps RECORD columns within BigQuery's 15 nesting levels: a deeper object is one JSON column", () => {
    for (const lists of [false, true]) {
      const fields = streamFields(nested(20, lists));
      expect(recordDepth(fields), lists ? 'with lists' : 'objects').to.equal(MAX_RECORD_NESTING);
      const deepest = fieldAt(fields, MAX_RECORD_NESTING - 1);
      expect(deepest.type).to.equal('RECORD');
      expect(byName(deepest.fields ?? [], `p${MAX_RECORD_NESTING}`)).to.deep.include({ type: 'JSON', mode: 'NULLABLE', source: `p${MAX_RECORD_NESTING}` });
    }
    // Exactly 15 levels stay RECORDs all the way down.
    expect(recordDepth(streamFields(nested(MAX_RECORD_NESTING)))).to.equal(MAX_RECORD_NESTING);
  });

  it('follows a $ref to a plain-name fragment ("#c") to the subschema whose $id, or draft-04 id, names it', () => {
    for (const idKey of ['$id', 'id']) {
      const fields = streamFields({
        type: 'object',
        definitions: { c: { [idKey]: '#c', type: 'integer' }, o: { [idKey]: '#o', type: 'object', additionalProperties: false, properties: { k: { type: 'string' } } } },
        properties: { id: { type: 'string' }, n: { $ref: '#c' }, p: { $ref: '#o' } },
      });
      expect(byName(fields, 'n').type, idKey).to.equal('INT64');
      expect(byName(fields, 'p'), idKey).to.deep.include({ type: 'RECORD' });
      expect(byName(fields, 'p').fields?.map((f) => [f.name, f.type])).to.deep.equal([['k', 'STRING']]);
    }
  });

  it('maps scalar JSON Schema types, decimals, dates and timestamps to BigQuery types', () => {
    const fields = streamFields({
      type: 'object',
      properties: {
        id: { type: 'string' },
        n: { type: ['null', 'integer'] },
        ratio: { type: 'number' },
        spend: { type: ['null', 'string'], format: 'singer.decimal' },
        day: { type: 'string', format: 'date' },
        at: { anyOf: [{ type: 'null' }, { type: 'string', format: 'date-time' }] },
        ok: { type: 'boolean' },
        anything: {},
        mixed: { type: ['string', 'integer'] },
      },
    });
    expect(fields.map((f) => [f.name, f.type, f.mode])).to.deep.include.members([
      ['id', 'STRING', 'NULLABLE'],
      ['n', 'INT64', 'NULLABLE'],
      ['ratio', 'FLOAT64', 'NULLABLE'],
      ['spend', 'NUMERIC', 'NULLABLE'],
      ['day', 'DATE', 'NULLABLE'],
      ['at', 'TIMESTAMP', 'NULLABLE'],
      ['ok', 'BOOL', 'NULLABLE'],
      ['anything', 'JSON', 'NULLABLE'],
      ['mixed', 'JSON', 'NULLABLE'],
    ]);
  });

  it('turns closed objects into RECORD, arrays of closed objects into REPEATED RECORD and open ones into JSON', () => {
    const closed = { type: 'object', additionalProperties: false, properties: { k: { type: 'string' }, v: { type: 'integer' } } };
    const fields = streamFields({
      type: 'object',
      properties: {
        s: closed,
        list: { type: ['null', 'array'], items: closed },
        tags: { type: 'array', items: { type: 'string' } },
        open: { type: 'object', properties: { a: { type: 'string' } } },
        openList: { type: 'array', items: { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: { type: 'string' } } },
        nullableItems: { type: 'array', items: { type: ['null', 'string'] } },
        nested: { type: 'array', items: { type: 'array', items: { type: 'string' } } },
      },
    });
    expect(byName(fields, 's')).to.include({ type: 'RECORD', mode: 'NULLABLE' });
    expect(byName(fields, 's').fields?.map((f) => f.type)).to.deep.equal(['STRING', 'INT64']);
    expect(byName(fields, 'list')).to.include({ type: 'RECORD', mode: 'REPEATED' });
    expect(byName(fields, 'tags')).to.include({ type: 'STRING', mode: 'REPEATED' });
    expect(byName(fields, 'open').type).to.equal('JSON');
    expect(byName(fields, 'openlist').type).to.equal('JSON');
    expect(byName(fields, 'nullableitems').type).to.equal('JSON');
    expect(byName(fields, 'nested').type).to.equal('JSON');
  });

  it('appends the five _sdc metadata columns once, even when the tap declares _sdc_extracted_at', () => {
    const fields = streamFields({ type: 'object', properties: { id: { type: 'string' }, _sdc_extracted_at: { type: 'string', format: 'date-time' } } });
    expect(fields.map((f) => f.name)).to.deep.equal(['id', '_sdc_extracted_at', '_sdc_received_at', '_sdc_batched_at', '_sdc_deleted_at', '_sdc_table_version']);
    expect(byName(fields, '_sdc_table_version').type).to.equal('INT64');
  });

  it('maps hostile names to safe identifiers and keeps long ones distinct', () => {
    const hostile = ['a`b', 'x"; DROP TABLE t; --', 'proj.ds.t', '1st', 'select', '_TABLE_x', 'Ünïcode name', 'a'.repeat(400), `${'a'.repeat(399)}b`];
    const mapped = hostile.map(toColumnName);
    for (const m of mapped) expect(m).to.match(SAFE_IDENTIFIER);
    expect(mapped[3]).to.equal('_1st');
    expect(mapped[5]).to.equal('f_table_x');
    expect(mapped[6]).to.equal('unicode_name');
    expect(mapped[7]!.length).to.equal(300);
    expect(mapped[7]).to.not.equal(mapped[8]);
    expect(toTableName('a'.repeat(500)).length).to.equal(200);
  });

  it('refuses two properties that map to the same column, naming both', () => {
    expect(() => streamFields({ type: 'object', properties: { 'a-b': { type: 'string' }, a_b: { type: 'string' } } }, { stream: 's1' })).to.throw(DataError, /stream "s1": properties "a-b" and "a_b" both map to column "a_b"/);
  });

  it('partitions a table keyed by day (date_start, as insights reports are) by it and clusters it by account and object id, whatever the stream is called', () => {
    const fields = streamFields({ type: 'object', properties: { account_id: { type: 'string' }, ad_id: { type: 'string' }, date_start: { type: 'string', format: 'date' } } });
    expect(tableLayout(['ad_id', 'date_start'], fields)).to.deep.equal({ partitionField: 'date_start', clusterFields: ['account_id', 'ad_id'] });
    const ent = streamFields({ type: 'object', properties: { id: { type: 'string' } } });
    expect(tableLayout(['id'], ent)).to.deep.equal({ clusterFields: ['id'] });
  });

  it('maps every stream schema in schemas/streams, resolving fragment references', async () => {
    const { readdirSync } = await import('node:fs');
    const { REPO_ROOT } = await import('../../../connector/core/config.js');
    const names = readdirSync(`${REPO_ROOT}/schemas/streams`)
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.replace(/\.json$/, ''));
    for (const n of names) {
      const fields = loadStreamFields(n);
      expect(fields.length, n).to.be.greaterThan(5);
      for (const f of fields) expect(f.name, n).to.match(SAFE_IDENTIFIER);
    }
  });
});
