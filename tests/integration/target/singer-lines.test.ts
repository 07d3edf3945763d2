// What the target takes as a Singer line, through the in-process loader on a real DuckDB file:
// blank lines are JSON whitespace only, a byte order mark is ignored only at the very start of the
// input, and everything else that is not a message stops the run (exit 6) naming its line.
import { expect } from 'chai';
import { Readable } from 'node:stream';
import { EXIT_CODES } from '../../../connector/core/errors.js';
import { openWarehouse, runLoader, type Warehouse } from './harness.js';

const SCHEMA = JSON.stringify({ type: 'SCHEMA', stream: 's', schema: { type: 'object', properties: { id: { type: 'string' } } }, key_properties: ['id'] });
const rec = (id: string): string => JSON.stringify({ type: 'RECORD', stream: 's', record: { id } });
const STATE = JSON.stringify({ type: 'STATE', value: { ok: true } });
const bytes = (text: string): Readable => Readable.from([Buffer.from(text, 'utf8')]);

describe('Singer lines the target takes or refuses (DuckDB)', function () {
  this.timeout(60_000);
  let w: Warehouse;
  beforeEach(async () => (w = await openWarehouse('duckdb')));
  afterEach(async () => w.close());

  it('skips lines of spaces, tabs and CRs, but not a line with a form feed among them', async () => {
    const r = await runLoader(w, bytes(`${SCHEMA}\n \t\r\n${rec('a')}\n\n${STATE}\n`));
    expect(r.error?.message).to.equal(undefined);
    expect((await w.rows('s')).map((row) => row['id'])).to.deep.equal(['a']);
    expect(r.states).to.deep.equal([{ ok: true }]);
    const again = await runLoader(w, bytes(`${SCHEMA}\n \t\f\r\n${rec('b')}\n${STATE}\n`));
    expect(again.error?.message).to.match(/^line 2: not a JSON Singer message/);
  });

  for (const [name, ch] of [
    ['a vertical tab', '\v'],
    ['an NBSP', '\u00a0'],
    ['a byte order mark', '\ufeff'],
    ['U+2028', '\u2028'],
  ]) {
    it(`refuses a line of only ${name} (exit 6 naming it), committing nothing read after it`, async () => {
      const r = await runLoader(w, bytes(`${SCHEMA}\n${rec('a')}\n${ch!}\n${rec('b')}\n${STATE}\n`));
      expect(r.error?.exitCode).to.equal(EXIT_CODES.data);
      expect(r.error?.message).to.match(/^line 3: not a JSON Singer message/);
      expect(r.states).to.deep.equal([]);
      expect(await w.rows('s')).to.deep.equal([]);
    });
  }

  it('ignores a UTF-8 byte order mark at the very start of the input', async () => {
    const r = await runLoader(w, Readable.from([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${SCHEMA}\n${rec('a')}\n${STATE}\n`)]));
    expect(r.error?.message).to.equal(undefined);
    expect((await w.rows('s')).map((row) => row['id'])).to.deep.equal(['a']);
  });

  it('refuses a byte order mark starting a later line (two files concatenated), naming the line', async () => {
    const r = await runLoader(w, bytes(`${SCHEMA}\n${rec('a')}\n\ufeff${rec('b')}\n${STATE}\n`));
    expect(r.error?.exitCode).to.equal(EXIT_CODES.data);
    expect(r.error?.message).to.match(/^line 3: not a JSON Singer message: it starts with a byte order mark/);
  });

  describe('a message whose "type" or "stream" key is repeated is refused whatever the key order', () => {
    const SCHEMA_T = SCHEMA.replace('"stream":"s"', '"stream":"t"');
    const cases: Array<[string, string]> = [
      ['in the canonical order (routed without parsing)', '{"type":"RECORD","stream":"s","record":{"id":"x"},"stream":"t"}'],
      ['in another order', '{"stream":"s","type":"RECORD","record":{"id":"x"},"stream":"t"}'],
      ['"type" repeated', '{"stream":"s","type":"STATE","record":{"id":"x"},"value":{},"type":"RECORD"}'],
    ];
    for (const [name, line] of cases) {
      it(`${name}: exit 6 naming the line, merged into neither table`, async () => {
        const r = await runLoader(w, bytes(`${SCHEMA}\n${SCHEMA_T}\n${line}\n${rec('a')}\n${STATE}\n`));
        expect(r.error?.exitCode).to.equal(EXIT_CODES.data);
        expect(r.error?.message).to.match(/^line 3: the "(stream|type)" key appears more than once in the message/);
        expect(r.states).to.deep.equal([]);
        expect(await w.rows('s')).to.deep.equal([]);
        expect(await w.rows('t')).to.deep.equal([]);
      });
    }

    it('a SCHEMA with "stream" twice: exit 6 naming the line, no table created', async () => {
      const r = await runLoader(w, bytes(`${SCHEMA.replace('"key_properties"', '"stream":"t","key_properties"')}\n${STATE}\n`));
      expect(r.error?.exitCode).to.equal(EXIT_CODES.data);
      expect(r.error?.message).to.match(/^line 1: the "stream" key appears more than once in the message/);
      expect(await w.tables()).to.not.include('t');
    });
  });
});
