import { expect } from 'chai';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SingerMeter } from '../../../connector/pipeline/singer-meter.js';

async function run(chunks: string[]): Promise<{ meter: SingerMeter; out: string }> {
  const meter = new SingerMeter();
  let out = '';
  await pipeline(
    Readable.from(chunks.map((c) => Buffer.from(c))),
    meter,
    new Writable({
      write(c: Buffer, _e, cb) {
        out += c.toString();
        cb();
      },
    }),
  );
  return { meter, out };
}

describe('Singer meter between tap and target', () => {
  const lines = [
    '{"type":"SCHEMA","stream":"ads","schema":{},"key_properties":["id"]}',
    '{"type":"RECORD","stream":"ads","record":{"id":"1","name":"é"}}',
    '{"stream":"ads","type":"RECORD","record":{"id":"2"}}',
    '{"type":"STATE","value":{"bookmarks":{}}}',
    '{"type":"RECORD","stream":"sync_log","record":{"account_id":"7","status":"ok","account_name":"Café 東京"}}',
  ];
  const text = lines.join('\n') + '\n';

  it('forwards every byte unchanged and counts records per stream, whatever the key order', async () => {
    const { meter, out } = await run([text]);
    expect(out).to.equal(text);
    expect(meter.snapshot()).to.deep.include({ records: { ads: 2, sync_log: 1 }, totalRecords: 3, stateMessages: 1, bytes: Buffer.byteLength(text) });
    expect(meter.syncLog).to.deep.equal([{ account_id: '7', status: 'ok', account_name: 'Café 東京' }]);
  });

  it('handles lines split across chunks, even inside a multi-byte character', async () => {
    const buf = Buffer.from(text);
    const chunks: Buffer[] = [];
    for (let i = 0; i < buf.length; i += 7) chunks.push(buf.subarray(i, i + 7));
    const meter = new SingerMeter();
    let out = Buffer.alloc(0);
    await pipeline(
      Readable.from(chunks),
      meter,
      new Writable({
        write(c: Buffer, _e, cb) {
          out = Buffer.concat([out, c]);
          cb();
        },
      }),
    );
    expect(out.toString()).to.equal(text);
    expect(meter.snapshot().records).to.deep.equal({ ads: 2, sync_log: 1 });
    expect(meter.syncLog[0]?.['account_name']).to.equal('Café 東京');
  });

  it('counts a last line without a trailing newline', async () => {
    const { meter } = await run(['{"type":"RECORD","stream":"x","record":{}}']);
    expect(meter.snapshot().records).to.deep.equal({ x: 1 });
  });
});
