// Unit tests for schema evolution planning: additions, in-place widening, kept wider types, refusals.
import { expect } from 'chai';
import { planEvolution } from '../../../connector/target/evolution.js';
import type { WarehouseField, MappedField } from '../../../connector/target/fields.js';

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
});
