// A long DuckDB load re-attaches its file every REATTACH_ROWS committed rows (memory: DuckDB's
// description of each row group written in the run is dropped). Between two batches only: every
// row lands once, every STATE follows its commit, MERGE and history work on the re-attached file.
import { expect } from 'chai';
import type { DuckDbDestination } from '../../../connector/target/duckdb/destination.js';
import { openWarehouse, runLoader, type Warehouse } from './harness.js';

const SCHEMA = JSON.stringify({ type: 'SCHEMA', stream: 'ads', schema: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' }, updated_time: { type: 'string', format: 'date-time' } } }, key_properties: ['id'], bookmark_properties: ['updated_time'] });
const record = (id: number, name: string, day: number): string => JSON.stringify({ type: 'RECORD', stream: 'ads', record: { id: String(id), name, updated_time: `2026-11-${String(day).padStart(2, '0')}T00:00:00Z` } });
const state = (n: number): string => JSON.stringify({ type: 'STATE', value: { n } });

describe('DuckDB destination: re-attaching the file between batches of a long load', function () {
  this.timeout(60_000);
  let w: Warehouse;
  let opened: DuckDbDestination[];
  beforeEach(async () => {
    w = await openWarehouse('duckdb', { duckdbReattachRows: 3 });
    opened = [];
    const make = w.destination.bind(w);
    w.destination = async () => {
      const d = await make();
      opened.push(d as DuckDbDestination);
      return d;
    };
  });
  afterEach(async () => w.close());

  it('keeps every row once and each STATE after its commit, through inserts, updates and history, re-attaching every 3 rows', async () => {
    // 12 new ads, then 6 of them updated: batches of 2 rows, a STATE after each record.
    const lines = [SCHEMA];
    for (let i = 0; i < 12; i++) lines.push(record(i, `ad ${i}`, 1), state(i));
    for (let i = 0; i < 6; i++) lines.push(record(i * 2, `ad ${i * 2} renamed`, 2), state(100 + i));
    const events: string[] = [];
    const r = await runLoader(w, lines.join('\n') + '\n', { batch_rows: 2 }, events);
    expect(r.error?.message).to.equal(undefined);
    expect(opened[0]!.reattachments).to.be.at.least(4);
    const rows = await w.rows('ads', ['id']);
    expect(rows.map((row) => [row['id'], row['name']])).to.deep.equal([...Array(12).keys()].map((i) => [String(i), i % 2 === 0 && i < 12 ? `ad ${i} renamed` : `ad ${i}`]).sort((a, b) => String(a[0]).localeCompare(String(b[0]))));
    // History holds the first version of each ad and the renamed one of six.
    expect((await w.rows('ads__history')).length).to.equal(18);
    // Every STATE came out after the commit of the batch holding its record, and all of them did.
    expect(r.states.at(-1)).to.deep.equal({ n: 105 });
    const firstState = events.findIndex((e) => e.startsWith('state'));
    expect(events.slice(0, firstState).some((e) => e.startsWith('commit'))).to.equal(true);
  });

  it('starts afresh in a later run on the re-attached file', async () => {
    const first = [SCHEMA, record(1, 'a', 1), record(2, 'b', 1), record(3, 'c', 1), record(4, 'd', 1), state(1)];
    expect((await runLoader(w, first.join('\n') + '\n', { batch_rows: 2 })).error?.message).to.equal(undefined);
    const second = [SCHEMA, record(5, 'e', 1), record(1, 'a2', 3), state(2)];
    const r = await runLoader(w, second.join('\n') + '\n', { batch_rows: 2 });
    expect(r.error?.message).to.equal(undefined);
    expect(r.states).to.deep.equal([{ n: 2 }]);
    expect((await w.rows('ads', ['id'])).map((row) => row['name'])).to.deep.equal(['a2', 'b', 'c', 'd', 'e']);
  });
});
