// A table's rows are loaded under one key. A later SCHEMA with other key_properties must not be
// MERGEd on the new columns (a key of ad_id alone over rows keyed by ad and day kept one day per ad,
// deleting the rest): the target keeps each table's key beside it and refuses a re-keyed SCHEMA
// with exit 6 before anything is written (QA).
import { expect } from 'chai';
import { EXIT_CODES } from '../../../connector/core/errors.js';
import { createHash } from 'node:crypto';
import type { DuckDbDestination } from '../../../connector/target/duckdb/destination.js';
import { DATASET, KINDS, openWarehouse, runLoader, type Warehouse } from './harness.js';

const schema = (keys: string[]): string => JSON.stringify({ type: 'SCHEMA', stream: 'insights_ad', schema: { type: 'object', properties: { ad_id: { type: 'string' }, date_start: { type: 'string', format: 'date' }, spend: { type: 'string' } } }, key_properties: keys });
const record = (ad: string, day: string, spend: string): string => JSON.stringify({ type: 'RECORD', stream: 'insights_ad', record: { ad_id: ad, date_start: day, spend } });
const STATE = JSON.stringify({ type: 'STATE', value: { ok: 1 } });
const input = (lines: string[]): string => [...lines, STATE].join('\n') + '\n';

const rows = async (w: Warehouse): Promise<string[]> => (await w.rows('insights_ad', ['ad_id', 'date_start'])).map((r) => `${String(r['ad_id'])} ${String(r['date_start']).slice(0, 10)} ${String(r['spend'])}`);

for (const kind of KINDS) {
  describe(`a stream re-keyed between runs (${kind})`, function () {
    this.timeout(60_000);
    let w: Warehouse;
    beforeEach(async () => {
      w = await openWarehouse(kind);
      const first = await runLoader(w, input([schema(['ad_id', 'date_start']), record('a1', '2026-11-01', '1'), record('a1', '2026-11-02', '2'), record('a2', '2026-11-01', '3')]));
      expect(first.error?.message).to.equal(undefined);
    });
    afterEach(async () => w.close());

    it('refuses a SCHEMA with other key_properties with exit 6 naming the stream, the table and the way out, and writes nothing', async () => {
      const before = await rows(w);
      const r = await runLoader(w, input([schema(['ad_id']), record('a1', '2026-11-03', '9')]));
      expect(r.error?.exitCode).to.equal(EXIT_CODES.data);
      expect(r.error?.message).to.equal('line 1: stream "insights_ad": its key (ad_id) is not the key (ad_id, date_start) the rows of table "insights_ad" were loaded under: date_start removed');
      expect(r.error?.hint).to.match(/drop table "insights_ad".*`fb-ads-elt sync … --full-refresh insights_ad`/);
      expect(r.states).to.deep.equal([]);
      expect(await rows(w)).to.deep.equal(before);
      expect(before).to.have.length(3);
    });

    it("names serve's POST body, not sync's flag, as the way out of a run triggered over HTTP", async () => {
      const r = await runLoader(w, input([schema(['ad_id']), record('a1', '2026-11-03', '9')]), {}, undefined, { surface: 'serve' });
      expect(r.error?.hint).to.match(/re-sync the stream from its start \(POST \/api\/meta-ads\/sync with \{"full_refresh": \["insights_ad"\]\}\); nothing was written\.$/);
      expect(r.error?.hint).not.to.match(/--full-refresh|meltano/);
    });

    it('loads the same key again, in another order of runs, as before', async () => {
      const r = await runLoader(w, input([schema(['ad_id', 'date_start']), record('a1', '2026-11-02', '5')]));
      expect(r.error?.message).to.equal(undefined);
      expect(await rows(w)).to.deep.equal(['a1 2026-11-01 1', 'a1 2026-11-02 5', 'a2 2026-11-01 3']);
    });

    it('loads the same key columns listed in another order: a MERGE matches on all of them at once, so it is not a re-key', async () => {
      const r = await runLoader(w, input([schema(['date_start', 'ad_id']), record('a1', '2026-11-02', '7'), record('a3', '2026-11-01', '4')]));
      expect(r.error?.message).to.equal(undefined);
      expect(await rows(w)).to.deep.equal(['a1 2026-11-01 1', 'a1 2026-11-02 7', 'a2 2026-11-01 3', 'a3 2026-11-01 4']);
      // A real re-key is still refused afterwards: the recorded key stands.
      const again = await runLoader(w, input([schema(['date_start']), record('a1', '2026-11-02', '8')]));
      expect(again.error?.exitCode).to.equal(EXIT_CODES.data);
    });

    it('loads under the new key once the table was dropped', async () => {
      await w.dropTable('insights_ad');
      const r = await runLoader(w, input([schema(['ad_id']), record('a1', '2026-11-03', '9')]));
      expect(r.error?.message).to.equal(undefined);
      expect(await rows(w)).to.deep.equal(['a1 2026-11-03 9']);
    });
  });
}

// A key of any length listed in another order is the same key; earlier versions tried the orders of
// keys up to 6 columns only, and recorded a hash of the columns in the order listed (BigQuery: without
// the columns), which must still be read.
const WIDE = ['ad_id', 'date_start', 'age', 'gender', 'country', 'region', 'publisher_platform', 'platform_position', 'device_platform'];
const wideSchema = (keys: string[]): string => JSON.stringify({ type: 'SCHEMA', stream: 'insights_ad', schema: { type: 'object', properties: Object.fromEntries([...WIDE, 'spend', 'impression_device'].map((c) => [c, { type: 'string' }])) }, key_properties: keys });
const wideRecord = (spend: string, over: Record<string, string> = {}): string => JSON.stringify({ type: 'RECORD', stream: 'insights_ad', record: { ...Object.fromEntries(WIDE.map((c) => [c, `${c}-1`])), impression_device: 'd', spend, ...over } });
/** The fingerprint an earlier version recorded: a hash of the columns in the order listed. */
const legacyFingerprint = (columns: string[]): string => createHash('sha256').update(JSON.stringify(columns)).digest('hex').slice(0, 32);

/** Replaces the table's recorded key with the record an earlier version wrote (DuckDB: with its columns; BigQuery: the label alone). */
async function recordAsEarlierVersion(w: Warehouse, columns: string[]): Promise<void> {
  if (w.kind === 'bigquery') {
    w.emulator!.tables.get(`${DATASET}.insights_ad`)!.labels = { sdc_key: legacyFingerprint(columns) };
    return;
  }
  const d = (await w.destination()) as DuckDbDestination;
  await d.open();
  try {
    await d.query(`UPDATE "${DATASET}"._sdc_table_keys SET key_columns = '${JSON.stringify(columns)}', key_fingerprint = '${legacyFingerprint(columns)}' WHERE table_name = 'insights_ad'`);
  } finally {
    await d.close();
  }
}

for (const kind of KINDS) {
  describe(`a stream whose key has more than 6 columns (${kind})`, function () {
    this.timeout(60_000);
    let w: Warehouse;
    beforeEach(async () => (w = await openWarehouse(kind)));
    afterEach(async () => w.close());
    const spends = async (): Promise<string[]> => (await w.rows('insights_ad', ['gender'])).map((r) => `${String(r['gender'])} ${String(r['spend'])}`);

    it('loads its columns listed in any other order as the same key, and refuses a re-key naming exactly the columns added and removed', async () => {
      expect((await runLoader(w, input([wideSchema(WIDE), wideRecord('1')]))).error?.message).to.equal(undefined);
      const reordered = await runLoader(w, input([wideSchema([...WIDE].reverse()), wideRecord('2'), wideRecord('3', { gender: 'gender-2' })]));
      expect(reordered.error?.message).to.equal(undefined);
      expect(await spends()).to.deep.equal(['gender-1 2', 'gender-2 3']);
      const rekeyed = await runLoader(w, input([wideSchema([...WIDE.slice(1), 'impression_device'].reverse()), wideRecord('9')]));
      expect(rekeyed.error?.exitCode).to.equal(EXIT_CODES.data);
      expect(rekeyed.error?.message).to.equal(
        `line 1: stream "insights_ad": its key (impression_device, device_platform, platform_position, publisher_platform, region, country, gender, age, date_start) is not the key (${WIDE.join(', ')}) the rows of table "insights_ad" were loaded under: impression_device added, ad_id removed`,
      );
      expect(await spends()).to.deep.equal(['gender-1 2', 'gender-2 3']);
    });

    it('reads the key an earlier version recorded (a hash of the columns in their order then), loads the columns in another order, and records the key in full from then on', async () => {
      const first = [...WIDE.slice(0, 8)].reverse();
      expect((await runLoader(w, input([wideSchema(first), wideRecord('1')]))).error?.message).to.equal(undefined);
      await recordAsEarlierVersion(w, first);
      // 8 columns: every order of them is tried against a record without its columns (BigQuery).
      const r = await runLoader(w, input([wideSchema(WIDE.slice(0, 8)), wideRecord('2')]));
      expect(r.error?.message).to.equal(undefined);
      expect(await spends()).to.deep.equal(['gender-1 2']);
      // Rewritten in this version's form: a re-key now names its columns on BigQuery too.
      const rekeyed = await runLoader(w, input([wideSchema(WIDE.slice(0, 7)), wideRecord('9')]));
      expect(rekeyed.error?.message).to.match(/the key \(ad_id, date_start, age, gender, country, region, publisher_platform, platform_position\) the rows of table "insights_ad" were loaded under: platform_position removed$/);
    });

    if (kind === 'bigquery')
      it('loads a key of 9 columns an earlier version labelled in the order it was listed then, records it in full, and then takes any order; before that, another order is refused saying what it could not check', async () => {
        expect((await runLoader(w, input([wideSchema(WIDE), wideRecord('1')]))).error?.message).to.equal(undefined);
        await recordAsEarlierVersion(w, WIDE);
        const other = await runLoader(w, input([wideSchema([...WIDE].reverse()), wideRecord('2')]));
        expect(other.error?.exitCode).to.equal(EXIT_CODES.data);
        expect(other.error?.message).to.match(
          /is not the key \(recorded by an earlier version as a fingerprint, without its columns\) the rows of table "insights_ad" were loaded under: it is not these 9 columns in the order listed, the one order checked for a key of more than 8 columns recorded so \(if they are the same columns, list them once in the order the table was first loaded with/,
        );
        expect((await runLoader(w, input([wideSchema(WIDE), wideRecord('3')]))).error?.message).to.equal(undefined);
        expect(w.emulator!.tables.get(`${DATASET}.insights_ad`)!.labels).to.deep.include({ sdc_key_columns_0: WIDE.join('-').slice(0, 63), sdc_key_columns_1: WIDE.join('-').slice(63) });
        expect((await runLoader(w, input([wideSchema([...WIDE].reverse()), wideRecord('4')]))).error?.message).to.equal(undefined);
        expect(await spends()).to.deep.equal(['gender-1 4']);
      });
  });
}
