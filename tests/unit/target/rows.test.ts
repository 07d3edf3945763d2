// Unit tests for value conversion (exact decimals, integers, timestamps) and the STATE release queue.
import { expect } from 'chai';
import { LosslessNumber } from 'lossless-json';
import { normaliseDecimal, toRow } from '../../../connector/target/rows.js';
import { StateQueue } from '../../../connector/target/loader.js';
import { streamFields } from '../../../connector/target/fields.js';
import { DataError } from '../../../connector/core/errors.js';

const meta = { receivedAt: '2024-01-01T00:00:00.000Z', batchedAt: '2024-01-01T00:00:00.000Z', extractedAt: undefined, version: undefined, sequence: 1, checkStrings: true };

describe('target row conversion', () => {
  it('normalises decimals on their digits, rounding half away from zero at 9 places', () => {
    const cases: [string | number, string][] = [
      ['12.50', '12.5'],
      ['0012', '12'],
      ['-0.000000000', '0'],
      ['1.0000000005', '1.000000001'],
      ['-1.0000000005', '-1.000000001'],
      ['9.9999999995', '10'],
      ['1e-7', '0.0000001'],
      ['1.5E3', '1500'],
      [0.1, '0.1'],
      [1e-7, '0.0000001'],
      ['99999999999999999999999999999.999999999', '99999999999999999999999999999.999999999'],
    ];
    for (const [input, want] of cases) expect(normaliseDecimal(input, 'x'), String(input)).to.equal(want);
    expect(() => normaliseDecimal('1e30', 'x')).to.throw(/more than 29 integer digits/);
    expect(() => normaliseDecimal('12,5', 'x')).to.throw(/not a decimal/);
  });

  it('keeps integers exactly (beyond 2^53 as the exact literal), refuses what INT64 cannot hold and names line, stream and property', () => {
    const fields = streamFields({ type: 'object', properties: { id: { type: 'string' }, n: { type: 'integer' } } });
    expect(toRow('s', 7, { id: 'a', n: 2 ** 53 - 1 }, fields, ['id'], meta)['n']).to.equal(2 ** 53 - 1);
    expect(toRow('s', 7, { id: 'a', n: new LosslessNumber('9007199254740993') }, fields, ['id'], meta)['n']).to.equal('9007199254740993');
    expect(toRow('s', 7, { id: 'a', n: '-9223372036854775808' }, fields, ['id'], meta)['n']).to.equal('-9223372036854775808');
    expect(() => toRow('s', 7, { id: 'a', n: new LosslessNumber('9223372036854775808') }, fields, ['id'], meta)).to.throw(DataError, /line 7: stream "s": property n: 9223372036854775808 is outside INT64/);
    expect(() => toRow('s', 7, { id: 'a', n: 1.5 }, fields, ['id'], meta)).to.throw(DataError, /line 7: stream "s": property n: expected an integer, got 1.5/);
    expect(() => toRow('s', 8, { n: 1 }, fields, ['id'], meta)).to.throw(DataError, /line 8: stream "s": key property "id" is missing or null/);
  });

  it("writes Graph-style +0000 offsets as +00:00 and keeps the tap's _sdc_extracted_at", () => {
    const fields = streamFields({ type: 'object', properties: { id: { type: 'string' }, t: { type: 'string', format: 'date-time' } } });
    const row = toRow('s', 1, { id: 'a', t: '2024-01-02T03:04:05+0000', _sdc_extracted_at: '2024-01-03T00:00:00Z' }, fields, ['id'], { ...meta, extractedAt: '1999-01-01T00:00:00Z' });
    expect(row).to.include({ t: '2024-01-02T03:04:05+00:00', _sdc_extracted_at: '2024-01-03T00:00:00Z', _sdc_sequence: 1 });
  });
});

describe('target STATE release queue', () => {
  it('releases the newest STATE whose preceding batches are all committed, never an earlier-dirty one', () => {
    const q = new StateQueue();
    q.push({ n: 1 }, [1]);
    q.push({ n: 2 }, [1, 2]);
    expect(q.takeReleasable()).to.equal(undefined);
    q.committed(1);
    expect(q.takeReleasable()).to.deep.equal({ n: 1 });
    q.committed(2);
    expect(q.takeReleasable()).to.deep.equal({ n: 2 });
    expect(q.takeReleasable()).to.equal(undefined);
    q.push({ n: 3 }, []);
    expect(q.takeReleasable()).to.deep.equal({ n: 3 });
  });
});
