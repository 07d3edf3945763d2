// Unit tests for schema evolution planning: additions, in-place widening, kept wider types, refusals.
import { expect } from 'chai';
import { planEvolution } from '../../../connector/target/evolution.js';
import { streamFields, type WarehouseField, type MappedField } from '../../../connector/target/fields.js';

const f = (name: string, type: WarehouseField['type'], mode: WarehouseField['mode'] = 'NULLABLE', fields?: MappedField[]): MappedField => ({ name, source: name, type, mode, ...(fields ? { fields } : {}) });

describe('target schema evolution', () => {
  it('adds new columns and sub-fields and keeps columns the SCHEMA dropped', () => {
    const plan = planEvolution('s', [f('id', 'STRING'), f('old', 'STRING'), f('r', 'RECORD', 'NULLABLE', [f('a', 'STRING')])], [f('id', 'STRING'), f('new', 'INT64'), f('r', 'RECORD', 'NULLABLE', [f('a', 'STRING'), f('b', 'BOOL')])]);
    expect(plan.added.map((x) => x.name)).to.deep.equal(['new']);
    expect(plan.addedNested.map((x) => [x.path, x.field.name])).to.deep.equal([[['r'], 'b']]);
    expect(plan.effective.map((x) => x.name)).to.deep.equal(['id', 'old', 'r', 'new']);
    expect(plan.effective.find((x) => x.name === 'old')?.source).to.equal(undefined);
  });

  it('widens INT64 to NUMERIC in place and keeps a wider warehouse type as it is', () => {
    const plan = planEvolution('s', [f('n', 'INT64'), f('m', 'NUMERIC'), f('s', 'STRING'), f('j', 'JSON')], [f('n', 'NUMERIC'), f('m', 'INT64'), f('s', 'DATE'), f('j', 'RECORD', 'NULLABLE', [f('x', 'STRING')])]);
    expect(plan.widened).to.deep.equal([{ column: 'n', from: 'INT64', to: 'NUMERIC' }]);
    expect(plan.effective.map((x) => [x.name, x.type])).to.deep.equal([
      ['n', 'NUMERIC'],
      ['m', 'NUMERIC'],
      ['s', 'STRING'],
      ['j', 'JSON'],
    ]);
  });

  it('refuses narrowing, retyping and list changes, naming stream and column', () => {
    expect(() => planEvolution('ads', [f('n', 'NUMERIC')], [f('n', 'STRING')])).to.throw(/stream "ads": column "n" is NUMERIC in the warehouse but the new SCHEMA makes it STRING/);
    expect(() => planEvolution('ads', [f('d', 'DATE')], [f('d', 'TIMESTAMP')])).to.throw(/column "d"/);
    expect(() => planEvolution('ads', [f('l', 'STRING', 'REPEATED')], [f('l', 'STRING')])).to.throw(/REPEATED STRING in the warehouse/);
    expect(() => planEvolution('ads', [f('r', 'RECORD', 'NULLABLE', [f('a', 'INT64')])], [f('r', 'RECORD', 'NULLABLE', [f('a', 'BOOL')])])).to.throw(/column "r\.a"/);
  });

  it("keeps a 16th RECORD level a DuckDB table got before BigQuery's nesting cap (the SCHEMA unchanged), and still refuses one an opened object makes JSON", () => {
    // p0.p1.….p15 closed objects with a string x each: the 16th level (p15) maps to JSON now.
    const schema = (closed: boolean): Record<string, unknown> => {
      let inner: Record<string, unknown> = { type: 'string' };
      for (let i = 15; i >= 0; i--) inner = { type: 'object', ...(closed || i < 15 ? { additionalProperties: false } : {}), properties: { x: { type: 'string' }, [`p${i + 1}`]: inner } };
      return { type: 'object', properties: { id: { type: 'string' }, p0: inner } };
    };
    // The table as the target created it before the cap: sixteen RECORD levels.
    let old: MappedField = f('p15', 'RECORD', 'NULLABLE', [f('x', 'STRING'), f('p16', 'STRING')]);
    for (let i = 14; i >= 0; i--) old = f(`p${i}`, 'RECORD', 'NULLABLE', [f('x', 'STRING'), old]);
    const existing = [f('id', 'STRING'), old];
    const wanted = streamFields(schema(true)).filter((c) => !c.name.startsWith('_sdc_'));
    const plan = planEvolution('deep', existing, wanted);
    let kept = plan.effective.find((c) => c.name === 'p0');
    for (let i = 1; i <= 15; i++) kept = kept?.fields?.find((c) => c.name === `p${i}`);
    expect(kept?.type).to.equal('RECORD');
    expect(kept?.fields?.map((c) => [c.name, c.type, c.source])).to.deep.equal([
      ['x', 'STRING', 'x'],
      ['p16', 'STRING', 'p16'],
    ]);
    expect(plan.changed).to.equal(false);
    // An object opened at that level is JSON for its own reason: its extra keys have no sub-field to go to.
    expect(() => planEvolution('deep', existing, streamFields(schema(false)))).to.throw(/column "p0\.p1\.p2\.p3\.p4\.p5\.p6\.p7\.p8\.p9\.p10\.p11\.p12\.p13\.p14\.p15" is RECORD in the warehouse but the new SCHEMA makes it JSON/);
  });
});
