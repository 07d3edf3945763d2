// draft07Form: draft-04's keyword forms in draft-07 spelling, rewritten only where they are keywords.
import { expect } from 'chai';
import { draft07Form } from '../../../connector/target/validator.js';

describe('target validator: draft-04 keyword forms', () => {
  it('turns a boolean exclusive bound into the numeric one, drops a false one, and spells id as $id, at every depth', () => {
    const given = {
      id: 'http://example.com/root.json',
      type: 'object',
      properties: {
        a: { type: 'number', minimum: 1, exclusiveMinimum: true },
        b: { type: 'array', items: { anyOf: [{ type: 'null' }, { type: 'integer', maximum: 9, exclusiveMaximum: true, minimum: 0, exclusiveMinimum: false }] } },
      },
      definitions: { c: { id: '#c', type: 'number', exclusiveMaximum: true } },
    };
    expect(draft07Form(given)).to.deep.equal({
      $id: 'http://example.com/root.json',
      type: 'object',
      properties: {
        a: { type: 'number', exclusiveMinimum: 1 },
        b: { type: 'array', items: { anyOf: [{ type: 'null' }, { type: 'integer', exclusiveMaximum: 9, minimum: 0 }] } },
      },
      definitions: { c: { $id: '#c', type: 'number' } },
    });
  });

  it('leaves data alone: properties named id or exclusiveMinimum, enum/const/default values', () => {
    const given = {
      type: 'object',
      properties: { id: { type: 'string' }, exclusiveMinimum: { type: 'boolean', default: true }, e: { enum: [{ id: 'x', exclusiveMinimum: true }], const: { id: 'y' } } },
      required: ['id'],
    };
    const out = draft07Form(given);
    expect(out).to.equal(given);
  });
});
