// A table's rows are loaded under one key. A later SCHEMA with other key_properties must not be
// MERGEd on the new columns (a key of ad_id alone over rows keyed by ad and day kept one day per ad,
// deleting the rest): the target keeps each table's key beside it and refuses a re-keyed SCHEMA
// with exit 6 before anything is written (QA).
import { expect } from 'chai';
import { EXIT_CODES } from '../../../connector/core/errors.js';
import { KINDS, openWarehouse, runLoader, type Warehouse } from './harness.js';

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
      expect(r.error?.message).to.match(/^line 1: stream "insights_ad": its key \(ad_id\) is not the one the rows of table "insights_ad" were loaded under/);
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
