// A batch is either inserted (every key new and distinct), replaced (DuckDB: distinct keys whose
// present rows all lose to the batch are deleted, then the file inserted) or MERGEd within the
// batch's key range (DuckDB prunes on the date window). Whichever way a batch goes, the table must
// come out the same: a backfill in several batches, then a lookback re-read that overlaps it, then a
// late day; and a record older than its row (by replication key) never wins.
import { expect } from 'chai';
import { KINDS, openWarehouse, runLoader, type Warehouse } from './harness.js';
import { GEN_SCHEMAS } from './generate.js';

// The crash tests' insights_ad SCHEMA (keys ad_id + date_start, bookmark date_start).
const SCHEMA = GEN_SCHEMAS.find((m) => m.stream === 'insights_ad');

const record = (ad: string, day: string, spend: string, impressions: number): string => JSON.stringify({ type: 'RECORD', stream: 'insights_ad', record: { ad_id: ad, account_id: '77', date_start: day, spend, impressions } });

const input = (lines: string[]): string => [JSON.stringify(SCHEMA), ...lines, JSON.stringify({ type: 'STATE', value: { bookmarks: {} } })].join('\n') + '\n';

const table = async (w: Warehouse): Promise<string[]> => (await w.rows('insights_ad', ['date_start', 'ad_id'])).map((r) => `${String(r['ad_id'])} ${String(r['date_start']).slice(0, 10)} ${Number(r['spend'])} ${String(r['impressions'])}`);

for (const kind of KINDS) {
  describe(`insert-or-merge per batch on ${kind}`, function () {
    this.timeout(60000);
    let w: Warehouse;
    beforeEach(async () => {
      w = await openWarehouse(kind);
    });
    afterEach(async () => w.close());

    it('loads a backfill, then a lookback re-read that overlaps it, without duplicates and with the newer values', async () => {
      // Backfill: two ads × three days in batches of two rows, every key new.
      const backfill = ['2024-03-01', '2024-03-02', '2024-03-03'].flatMap((d, i) => [record('a1', d, `1.${i}`, 10 + i), record('a2', d, `2.${i}`, 20 + i)]);
      expect((await runLoader(w, input(backfill), { batch_rows: 2 })).error).to.equal(undefined);
      expect(await table(w)).to.have.length(6);

      // Lookback: 03-03 again with new values (one key twice: the later line wins), 03-04 new.
      // Batches of three rows: one mixes present and new keys, one repeats a key inside itself.
      const lookback = [record('a1', '2024-03-03', '9.5', 99), record('a2', '2024-03-03', '8.5', 88), record('a1', '2024-03-04', '7', 7), record('a2', '2024-03-04', '6', 6), record('a2', '2024-03-04', '6.25', 62), record('a1', '2024-03-05', '5', 5)];
      expect((await runLoader(w, input(lookback), { batch_rows: 3 })).error).to.equal(undefined);
      expect(await table(w)).to.deep.equal(['a1 2024-03-01 1 10', 'a2 2024-03-01 2 20', 'a1 2024-03-02 1.1 11', 'a2 2024-03-02 2.1 21', 'a1 2024-03-03 9.5 99', 'a2 2024-03-03 8.5 88', 'a1 2024-03-04 7 7', 'a2 2024-03-04 6.25 62', 'a1 2024-03-05 5 5']);

      // A late day older than everything loaded: new keys inside the table's date span.
      expect((await runLoader(w, input([record('a1', '2024-02-28', '3', 3), record('a2', '2024-03-02', '4', 4)]), { batch_rows: 10 })).error).to.equal(undefined);
      const rows = await table(w);
      expect(rows).to.have.length(10);
      expect(rows).to.include('a1 2024-02-28 3 3');
      expect(rows).to.include('a2 2024-03-02 4 4');
      expect(rows).to.not.include('a2 2024-03-02 2.1 21');
    });

    it('keeps the last of a key repeated inside a batch of otherwise new keys', async () => {
      const lines = [record('b1', '2024-05-01', '1', 1), record('b2', '2024-05-01', '2', 2), record('b1', '2024-05-01', '3', 3)];
      expect((await runLoader(w, input(lines))).error).to.equal(undefined);
      expect(await table(w)).to.deep.equal(['b1 2024-05-01 3 3', 'b2 2024-05-01 2 2']);
    });

    it('keeps a row whose stored replication key is newer than the batch record, and replaces the rows the batch supersedes', async () => {
      const doc = (lines: string[]): string =>
        [
          JSON.stringify({ type: 'SCHEMA', stream: 'docs', key_properties: ['id'], bookmark_properties: ['modified'], schema: { type: 'object', properties: { id: { type: 'string' }, modified: { type: 'string', format: 'date-time' }, body: { type: ['null', 'string'] } } } }),
          ...lines,
          JSON.stringify({ type: 'STATE', value: { bookmarks: {} } }),
        ].join('\n') + '\n';
      const rec = (id: string, modified: string, body: string): string => JSON.stringify({ type: 'RECORD', stream: 'docs', record: { id, modified, body } });
      const docs = async (): Promise<string[]> => (await w.rows('docs', ['id'])).map((r) => `${String(r['id'])} ${String(r['body'])}`);
      expect((await runLoader(w, doc([rec('a', '2024-01-02T00:00:00Z', 'a2'), rec('b', '2024-01-01T00:00:00Z', 'b1')]))).error).to.equal(undefined);
      // Both keys present and both records newer: every present row is superseded.
      expect((await runLoader(w, doc([rec('a', '2024-01-03T00:00:00Z', 'a3'), rec('b', '2024-01-02T00:00:00Z', 'b2')]))).error).to.equal(undefined);
      expect(await docs()).to.deep.equal(['a a3', 'b b2']);
      // a's record is older than its row (kept), b's is newer, c is new: one batch of each kind of key.
      expect((await runLoader(w, doc([rec('a', '2024-01-01T00:00:00Z', 'a1 late'), rec('b', '2024-01-05T00:00:00Z', 'b5'), rec('c', '2024-01-01T00:00:00Z', 'c1')]))).error).to.equal(undefined);
      expect(await docs()).to.deep.equal(['a a3', 'b b5', 'c c1']);
    });

    it('keeps the stored values of a column the SCHEMA no longer lists (a field deselected in the catalog) when a re-read updates the row, and leaves it null in new rows', async () => {
      // A user deselects `body` after the first loads; the lookback re-reads rows already stored.
      // Their `body` must not be overwritten with the null the batch has no value for: the rows
      // outside the re-read window keep theirs, and one table would mix both. Three batches: every
      // key present and superseded (DuckDB replaces those), a key repeated (MERGE), a new key.
      const props = (withBody: boolean): Record<string, unknown> => ({ id: { type: 'string' }, n: { type: 'integer' }, ...(withBody ? { body: { type: ['null', 'string'] } } : {}) });
      const doc = (withBody: boolean, lines: string[]): string =>
        [JSON.stringify({ type: 'SCHEMA', stream: 'docs', key_properties: ['id'], schema: { type: 'object', properties: props(withBody) } }), ...lines, JSON.stringify({ type: 'STATE', value: { bookmarks: {} } })].join('\n') + '\n';
      const rec = (id: string, n: number, body?: string): string => JSON.stringify({ type: 'RECORD', stream: 'docs', record: { id, n, ...(body === undefined ? {} : { body }) } });
      const docs = async (): Promise<string[]> => (await w.rows('docs', ['id'])).map((r) => `${String(r['id'])} ${String(r['n'])} ${String(r['body'])}`);
      expect((await runLoader(w, doc(true, [rec('a', 1, 'a body'), rec('b', 1, 'b body'), rec('c', 1, 'c body')]))).error).to.equal(undefined);
      expect((await runLoader(w, doc(false, [rec('a', 2), rec('b', 2)]))).error).to.equal(undefined);
      expect((await runLoader(w, doc(false, [rec('c', 2), rec('c', 3)]))).error).to.equal(undefined);
      expect((await runLoader(w, doc(false, [rec('d', 1)]))).error).to.equal(undefined);
      expect(await docs()).to.deep.equal(['a 2 a body', 'b 2 b body', 'c 3 c body', 'd 1 null']);
    });
  });
}

describe('history table of a stream keyed by a number, on BigQuery', function () {
  this.timeout(60000);
  let w: Warehouse;
  beforeEach(async () => (w = await openWarehouse('bigquery')));
  afterEach(async () => w.close());

  it('is created clustered only by key columns BigQuery can cluster by (not FLOAT64: the create was refused) and gets every version', async () => {
    const schema = { type: 'SCHEMA', stream: 'items', schema: { type: 'object', properties: { id: { type: 'number' }, sku: { type: 'string' }, updated_time: { type: 'string', format: 'date-time' }, name: { type: ['null', 'string'] } } }, key_properties: ['id', 'sku'] };
    const item = (updated: string, name: string): string => JSON.stringify({ type: 'RECORD', stream: 'items', record: { id: 1.5, sku: 'k', updated_time: updated, name } });
    const r = await runLoader(w, [JSON.stringify(schema), item('2024-01-01T00:00:00Z', 'first'), item('2024-01-02T00:00:00Z', 'second'), JSON.stringify({ type: 'STATE', value: { ok: true } })].join('\n') + '\n');
    expect(r.error?.message).to.equal(undefined);
    expect(w.emulator!.tables.get('facebook_ads.items__history')?.clustering).to.deep.equal({ fields: ['sku'] });
    expect((await w.rows('items__history', ['updated_time'])).map((row) => row['name'])).to.deep.equal(['first', 'second']);
    expect((await w.rows('items')).map((row) => [row['id'], row['name']])).to.deep.equal([[1.5, 'second']]);
  });
});
