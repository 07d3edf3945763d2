// Seeds CSV parsing and the unit-test row comparison (order-free, numbers compared by value).
import { expect } from 'chai';
import { diffRows, fixtureSql, normaliseCell } from '../../../connector/models/data-tests.js';
import { parseCsv } from '../../../connector/models/seeds.js';
import { DataError } from '../../../connector/core/errors.js';
import { ConfigError } from '../../../connector/core/errors.js';

describe('models/seeds + data-tests', function () {
  it('parses quoted CSV fields with commas, doubled quotes and CRLF line ends', function () {
    const { header, rows } = parseCsv('a,b\r\n"x, y","say ""hi"""\r\n1,\r\n', 't');
    expect(header).to.deep.equal(['a', 'b']);
    expect(rows).to.deep.equal([
      ['x, y', 'say "hi"'],
      ['1', ''],
    ]);
  });

  it('rejects a CSV row whose field count differs from the header, naming the line', function () {
    expect(() => parseCsv('a,b\n1,2\n3\n', 'seed.csv')).to.throw(DataError, /seed\.csv: line 3 has 1 fields/);
  });

  it('compares numbers by value: 12.5, "12.500000000" and 12.50 are equal; NULL only equals NULL', function () {
    expect(normaliseCell('12.500000000')).to.equal(normaliseCell(12.5));
    expect(normaliseCell('-0.000')).to.equal('0');
    expect(normaliseCell(null)).to.equal('NULL');
    expect(normaliseCell('0')).to.not.equal(normaliseCell(null));
  });

  it('diffs rows as multisets over the expected columns and shows both sides', function () {
    const exp = [{ m: '2026-10-01', cac: 38.5 }, { m: '2026-11-01', cac: null }];
    expect(diffRows(exp, [{ m: '2026-11-01', cac: null, extra: 1 }, { m: '2026-10-01', cac: '38.500000000' }], ['m', 'cac'])).to.equal(undefined);
    const diff = diffRows(exp, [{ m: '2026-10-01', cac: '38.5' }, { m: '2026-11-01', cac: '0' }], ['m', 'cac']);
    expect(diff).to.include('- expected: m=2026-11-01, cac=NULL').and.include('+ actual:   m=2026-11-01, cac=0');
  });

  it('builds typed fixture SQL, NULL for missing columns, and refuses unknown columns', function () {
    const cols = [
      { name: 'd', type: 'DATE' },
      { name: 'v', type: 'DECIMAL(38,9)' },
    ];
    expect(fixtureSql({ input: "ref('x')", format: 'dict', rows: [{ d: '2026-01-01' }] }, cols, 'w')).to.equal(`select cast('2026-01-01' as DATE) as "d", cast(null as DECIMAL(38,9)) as "v"`);
    expect(fixtureSql({ input: "ref('x')", format: 'dict', rows: [] }, cols, 'w')).to.match(/where false$/);
    expect(() => fixtureSql({ input: "ref('x')", format: 'dict', rows: [{ nope: 1 }] }, cols, 'w')).to.throw(ConfigError, /column nope is not in the input relation/);
  });
});
