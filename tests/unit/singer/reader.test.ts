import { expect } from 'chai';
import { Readable } from 'node:stream';
import { readMessages, SchemaTracker, parseLine } from '../../../connector/singer/reader.js';
import { DataError } from '../../../connector/core/errors.js';

async function readAll(text: string): Promise<unknown[]> {
  const tracker = new SchemaTracker();
  const out: unknown[] = [];
  for await (const m of readMessages(Readable.from([text]))) {
    tracker.check(m);
    out.push(m);
  }
  return out;
}

async function failure(text: string): Promise<DataError> {
  try {
    await readAll(text);
  } catch (err) {
    expect(err).to.be.instanceOf(DataError);
    return err as DataError;
  }
  throw new Error('expected a DataError');
}

const SCHEMA = '{"type":"SCHEMA","stream":"ads","schema":{"type":"object"},"key_properties":["id"]}';

describe('Singer reader', () => {
  it('yields messages with their line numbers, skipping blank lines', async () => {
    const msgs = (await readAll(`${SCHEMA}\n\n{"type":"RECORD","stream":"ads","record":{"id":"1"}}\n{"type":"STATE","value":{"bookmarks":{}}}\n`)) as Array<{ line: number }>;
    expect(msgs.map((m) => m.line)).to.deep.equal([1, 3, 4]);
  });

  it('names the line and the parse problem for bad JSON', async () => {
    const e = await failure(`${SCHEMA}\n{"type":"RECORD","stream":"ads","record":{"id":"1"}\n`);
    expect(e.message).to.match(/^line 2: not valid JSON/);
    expect(e.context['line']).to.equal(2);
    expect(e.exitCode).to.equal(6);
  });

  it("names Python's NaN and Infinity (json.dumps' allow_nan) as the cause, not stray output on stdout", async () => {
    for (const token of ['NaN', 'Infinity', '-Infinity']) {
      const e = await failure(`${SCHEMA}\n{"type": "RECORD", "stream": "ads", "record": {"id": "1", "spend": [1.5, ${token}]}}\n`);
      expect(e.message).to.equal(`line 2: not valid JSON: ${token} is not a JSON number`);
      expect(e.hint).to.match(/send a value that is not a finite number as null .*allow_nan=False/);
      expect(e.exitCode).to.equal(6);
    }
  });

  it('names the line and the type for an unknown message type', async () => {
    const e = await failure(`${SCHEMA}\n{"type":"BATCH","stream":"ads"}\n`);
    expect(e.message).to.equal('line 2: unknown message type "BATCH" (expected one of SCHEMA, RECORD, STATE, ACTIVATE_VERSION)');
  });

  it('refuses a RECORD that arrives before its SCHEMA, naming line and stream', async () => {
    const e = await failure(`${SCHEMA}\n{"type":"RECORD","stream":"campaigns","record":{"id":"1"}}\n`);
    expect(e.message).to.equal('line 2: RECORD for stream "campaigns" arrived before its SCHEMA');
    expect(e.context).to.include({ line: 2, stream: 'campaigns' });
  });

  it('reads table versions exactly as bigints, up to 2^63-1', () => {
    expect(parseLine('{"type":"RECORD","stream":"ads","record":{},"version":9007199254740993}', 1)).to.include({ version: 9007199254740993n });
    expect(parseLine('{"type":"ACTIVATE_VERSION","stream":"ads","version":9223372036854775807}', 1)).to.include({ version: 9223372036854775807n });
    expect(parseLine('{"type":"ACTIVATE_VERSION","stream":"ads","version":1764000000000}', 1)).to.include({ version: 1764000000000n });
  });

  it('checks the shape of each message type', () => {
    expect(() => parseLine('{"type":"RECORD","stream":"ads"}', 7)).to.throw(/line 7: RECORD message needs a "record" object/);
    expect(() => parseLine('{"type":"STATE"}', 1)).to.throw(/STATE message needs a "value" object/);
    expect(() => parseLine('{"type":"ACTIVATE_VERSION","stream":"ads","version":"x"}', 1)).to.throw(/ACTIVATE_VERSION "version" must be a whole number/);
    expect(() => parseLine('{"type":"ACTIVATE_VERSION","stream":"ads","version":9223372036854775808}', 5)).to.throw(/^line 5: ACTIVATE_VERSION "version" must be a whole number from 0 to 2\^63-1 \(a table version, e\.g\. a millisecond timestamp\), got 9223372036854775808$/);
    expect(() => parseLine('{"type":"RECORD","stream":"ads","record":{},"version":-1}', 6)).to.throw(/^line 6: RECORD "version" must be a whole number from 0 to 2\^63-1/);
    expect(() => parseLine('{"type":"RECORD","stream":"ads","record":{},"version":1.5}', 6)).to.throw(/^line 6: RECORD "version" must be a whole number/);
    expect(() => parseLine('[1,2]', 1)).to.throw(/must be a JSON object/);
    expect(() => parseLine('{"type":"SCHEMA","stream":"a","schema":{},"key_properties":"id"}', 3)).to.throw(/key_properties/);
  });

  it('skips as blank only lines of JSON whitespace (space, tab, CR), what the JSON parsers themselves skip', async () => {
    const msgs = (await readAll(`${SCHEMA}\n \t \r\n\t\n{"type":"STATE","value":{}}\n`)) as Array<{ line: number }>;
    expect(msgs.map((m) => m.line)).to.deep.equal([1, 4]);
    expect((await failure(`${SCHEMA}\n \t\v\n`)).message).to.match(/^line 2: not a JSON Singer message: the line holds only invisible characters \(U\+000B\)/);
  });

  for (const [name, ch] of [
    ['a vertical tab', '\v'],
    ['a form feed', '\f'],
    ['an NBSP', '\u00a0'],
    ['a byte order mark', '\ufeff'],
    ['U+2028', '\u2028'],
    ['NEL (U+0085)', '\u0085'],
  ]) {
    it(`refuses a line of only ${name} as not a JSON Singer message, naming the line`, async () => {
      const e = await failure(`${SCHEMA}\n${ch!}\n{"type":"STATE","value":{}}\n`);
      expect(e.message).to.match(/^line 2: not a JSON Singer message/);
      expect(e.context['line']).to.equal(2);
      expect(e.exitCode).to.equal(6);
    });
  }

  it('ignores a UTF-8 byte order mark at the very start of the input (Windows producers write one)', async () => {
    const msgs = (await readAll(`\ufeff${SCHEMA}\n{"type":"STATE","value":{}}\n`)) as Array<{ line: number }>;
    expect(msgs.map((m) => m.line)).to.deep.equal([1, 2]);
  });

  it('refuses a byte order mark that starts any later line, naming it', async () => {
    const e = await failure(`${SCHEMA}\n\ufeff{"type":"STATE","value":{}}\n`);
    expect(e.message).to.match(/^line 2: not a JSON Singer message: it starts with a byte order mark/);
  });

  describe('a "type" or "stream" key given twice', () => {
    const refused: Array<[string, string, string]> = [
      ['in the canonical order, repeated at the end', '{"type":"RECORD","stream":"a","record":{},"stream":"b"}', 'stream'],
      ['in another order (JSON.parse would keep the last)', '{"stream":"a","type":"RECORD","record":{},"stream":"b"}', 'stream'],
      ['"type" after the record', '{"record":{},"type":"RECORD","stream":"a","type":"STATE","value":{}}', 'type'],
      ['with the same value twice', '{"type":"STATE","value":{},"type":"STATE"}', 'type'],
      ['spelled with an escape', '{"type":"RECORD","stream":"a","record":{},"str\\u0065am":"b"}', 'stream'],
      ['in a SCHEMA', '{"type":"SCHEMA","stream":"a","schema":{"type":"object"},"key_properties":[],"stream":"b"}', 'stream'],
      ['in an ACTIVATE_VERSION', '{"type":"ACTIVATE_VERSION","stream":"a","version":1,"stream":"b"}', 'stream'],
      ['with a nested "type" as well', '{"type":"RECORD","record":{"type":"x"},"stream":"a", "stream" :"b"}', 'stream'],
    ];
    for (const [name, text, key] of refused) {
      it(`is refused ${name}, naming the line and the key`, () => {
        expect(() => parseLine(text, 4)).to.throw(DataError, new RegExp(`^line 4: the "${key}" key appears more than once in the message`));
      });
    }

    it('is not confused by "type" and "stream" inside the record, in strings or in nested keys', () => {
      const text = '{"type":"RECORD","stream":"a","record":{"t":"\\\\","type":"stream","stream":{"type":["\\"type\\"",{"stream":1}]},"s":"\\"stream\\":\\"b\\""}}';
      expect(parseLine(text, 1)).to.deep.include({ type: 'RECORD', stream: 'a' });
      expect(() => parseLine(text.replace(/\}$/, ',"stream":"b"}'), 2)).to.throw(DataError, /^line 2: the "stream" key appears more than once/);
    });
  });
});
