import { expect } from 'chai';
import { Writable } from 'node:stream';
import { SingerWriter } from '../../../connector/singer/writer.js';
import { ConnectorError } from '../../../connector/core/errors.js';
import { recordMessage, schemaMessage } from '../../../connector/singer/messages.js';

/** A consumer that starts paused and then reads slowly, counting what it received. */
class SlowSink extends Writable {
  received = 0;
  bytes = 0;
  private paused = true;
  private pending: Array<() => void> = [];
  constructor() {
    super({ highWaterMark: 64 * 1024 });
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.bytes += chunk.length;
    this.received += chunk.toString().split('\n').length - 1;
    if (this.paused) this.pending.push(() => cb());
    else setImmediate(cb);
  }
  resume(): void {
    this.paused = false;
    for (const p of this.pending.splice(0)) p();
  }
}

describe('SingerWriter', () => {
  it('writes one JSON object per line with time_extracted as RFC 3339', async () => {
    const chunks: string[] = [];
    const sink = new Writable({ write: (c: Buffer, _e, cb) => (chunks.push(c.toString()), cb()) });
    const w = new SingerWriter(sink);
    await w.write(schemaMessage('ads', { type: 'object', properties: { id: { type: 'string' } } }, ['id']));
    await w.write(recordMessage('ads', { id: '120210000000000001' }, new Date(Date.UTC(2026, 0, 2, 3, 4, 5))));
    const lines = chunks
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).to.include({ type: 'SCHEMA', stream: 'ads' });
    expect(lines[1]).to.deep.include({ type: 'RECORD', time_extracted: '2026-01-02T03:04:05.000Z' });
    expect(lines[1]!['time_extracted']).to.match(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
  });

  it('waits for drain so 1M messages through a paused consumer never buffer more than the high-water mark', async function () {
    this.timeout(120_000);
    const sink = new SlowSink();
    const w = new SingerWriter(sink);
    const rec = { id: '120210000000000001', spend: '12.34', impressions: '1000' };
    const extracted = new Date();
    let maxBuffered = 0;
    // Resume the consumer only after the producer must have hit backpressure.
    setTimeout(() => sink.resume(), 50);
    const total = 1_000_000;
    for (let i = 0; i < total; i++) {
      await w.write(recordMessage('insights_ad', rec, extracted));
      if (sink.writableLength > maxBuffered) maxBuffered = sink.writableLength;
    }
    await w.flush();
    await new Promise<void>((r) => sink.end(r));
    expect(sink.received).to.equal(total);
    // One message past the high-water mark at most: the writer stopped whenever write() said so.
    expect(maxBuffered).to.be.lessThan(64 * 1024 + 200);
    expect(w.messagesWritten).to.equal(total);
  });

  /** Writes until the writer rejects; returns what it rejected with. */
  async function writeUntilFails(sink: Writable): Promise<unknown> {
    const w = new SingerWriter(sink);
    try {
      for (let i = 0; i < 100; i++) await w.write(recordMessage('ads', { id: String(i) }, new Date()));
    } catch (err) {
      return err;
    }
    return undefined;
  }

  it('rejects instead of hanging when the consumer goes away', async () => {
    const failed = await writeUntilFails(new Writable({ highWaterMark: 16, write: (_c, _e, cb) => cb(new Error('EPIPE')) }));
    expect(String(failed)).to.include('EPIPE');
  });

  it('says the reader stopped (transient, exit 7) when the pipe breaks, never an unexpected bug (exit 1)', async () => {
    const epipe = (): Error => Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
    const failed = await writeUntilFails(new Writable({ highWaterMark: 16, write: (_c, _e, cb) => cb(epipe()) }));
    expect(failed).to.be.instanceOf(ConnectorError);
    expect(failed).to.include({ kind: 'transient', exitCode: 7 });
    expect((failed as ConnectorError).message).to.match(/reading this one's output stopped.*EPIPE/);
  });
});

describe('SingerWriter with concurrent producers', () => {
  it('shares one drain wait among many producers instead of adding a listener each', async () => {
    const sink = new SlowSink();
    const w = new SingerWriter(sink);
    const producers = Array.from({ length: 50 }, (_, p) =>
      (async () => {
        for (let i = 0; i < 2000; i++) await w.write(recordMessage('insights_ad', { id: `${p}-${i}`, pad: 'x'.repeat(100) }, new Date()));
      })(),
    );
    await new Promise((r) => setTimeout(r, 20));
    // Every producer is blocked on backpressure now, yet the sink has one drain listener, not 50.
    expect(sink.listenerCount('drain')).to.be.at.most(2);
    sink.resume();
    await Promise.all(producers);
    expect(sink.received).to.equal(100_000);
  });
});
