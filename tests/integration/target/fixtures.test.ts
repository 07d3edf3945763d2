// Every named Singer fixture runs through the real loader on both destinations (DuckDB file; the
// real BigQuery client against the loopback emulator). On BigQuery every statement sent is then
// checked by ZetaSQL against the tables the run created.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { KINDS, openWarehouse, runLoader, fixture, assertStatementsAnalyze, DATASET, PROJECT, type Warehouse } from './harness.js';
import { startZetaSql, type ZetaSqlHarness } from '../../helpers/zetasql.js';
import { EXIT_CODES } from '../../../connector/core/errors.js';
import { toTableName, toColumnName, SAFE_IDENTIFIER } from '../../../connector/target/fields.js';

const bmState = (b: Record<string, unknown>): Record<string, unknown> => ({ bookmarks: b });

for (const kind of KINDS) {
  describe(`target-bigquery fixtures on ${kind}`, function () {
    this.timeout(60000);
    let w: Warehouse;
    let z: ZetaSqlHarness | undefined;
    before(async () => {
      if (kind === 'bigquery') z = await startZetaSql();
    });
    after(async () => z?.stop());
    beforeEach(async () => {
      w = await openWarehouse(kind);
    });
    afterEach(async function () {
      try {
        if (z && this.currentTest?.state === 'passed') await assertStatementsAnalyze(w, z);
      } finally {
        await w.close();
      }
    });

    it('refuses a RECORD before its SCHEMA with a data error naming line and stream, keeping what was committed', async () => {
      const r = await runLoader(w, fixture('record_before_schema'), { batch_rows: 1 });
      expect(r.error?.exitCode).to.equal(EXIT_CODES.data);
      expect(r.error?.message).to.match(/line 4: RECORD for stream "ads" arrived before its SCHEMA/);
      expect(r.states).to.deep.equal([bmState({ campaigns: { '1001': { updated_time: '2024-01-01T00:00:00+0000' } } })]);
      expect((await w.rows('campaigns')).map((x) => x['id'])).to.deep.equal(['1']);
      expect(await w.tables()).to.not.include('ads');
    });

    it('keeps one row per key in a batch: newest by replication key, else last by input order', async () => {
      const r = await runLoader(w, fixture('duplicate_keys_in_batch'));
      expect(r.error).to.equal(undefined);
      expect((await w.rows('campaigns', ['id'])).map((x) => [x['id'], x['name']])).to.deep.equal([
        ['1', 'newest'],
        ['2', 'second, same time'],
      ]);
      expect((await w.rows('pages', ['id'])).map((x) => [x['id'], x['name'], String(x['fan_count'])])).to.deep.equal([
        ['p1', 'last', '3'],
        ['p2', 'only again', '5'],
      ]);
      // History keeps each (id, updated_time) version once; pages has no updated_time, so no history.
      expect((await w.rows('campaigns__history', ['id', 'updated_time'])).map((x) => [x['id'], x['name']])).to.deep.equal([
        ['1', 'older, arrives later'],
        ['1', 'newest'],
        ['2', 'second, same time'],
      ]);
      expect(await w.tables()).to.not.include('pages__history');
      if (kind === 'bigquery') expect(w.emulator!.tables.get(`${DATASET}.campaigns`)!.clustering).to.deep.equal({ fields: ['id'] });
    });

    it('widens an integer column to NUMERIC in place when the SCHEMA turns it into a decimal', async () => {
      const r = await runLoader(w, fixture('schema_widened'), { batch_rows: 1 });
      expect(r.error).to.equal(undefined);
      expect(r.states).to.have.length(2);
      const spend = (await w.columns('insights_ad'))?.find((c) => c.name === 'spend');
      expect(spend?.type).to.equal('NUMERIC');
      expect((await w.rows('insights_ad', ['date_start'])).map((x) => x['spend'])).to.deep.equal(['12.000000000', '3.141592653']);
      if (kind === 'bigquery') {
        const meta = w.emulator!.tables.get(`${DATASET}.insights_ad`)!;
        expect(meta.timePartitioning).to.deep.equal({ type: 'DAY', field: 'date_start' });
        expect(meta.clustering).to.deep.equal({ fields: ['account_id', 'ad_id'] });
      }
    });

    it('refuses an incompatible type change naming stream and column before writing anything', async () => {
      const r = await runLoader(w, fixture('schema_incompatible'), { batch_rows: 1 });
      expect(r.error?.exitCode).to.equal(EXIT_CODES.data);
      expect(r.error?.message).to.match(/line 4: stream "ad_sets": column "objective" is STRING in the warehouse but the new SCHEMA makes it REPEATED STRING/);
      expect((await w.columns('ad_sets'))?.find((c) => c.name === 'objective')?.type).to.equal('STRING');
      expect((await w.rows('ad_sets')).map((x) => x['id'])).to.deep.equal(['1']);
      expect(r.states).to.have.length(1);
    });

    it('adds new columns, top-level, inside a record and inside a list of records, leaving older rows NULL there', async () => {
      const r = await runLoader(w, fixture('new_column'), { batch_rows: 1 });
      expect(r.error).to.equal(undefined);
      const cols = await w.columns('ads');
      expect(cols?.find((c) => c.name === 'bid_amount')?.type).to.equal('INT64');
      expect(cols?.find((c) => c.name === 'tracking')?.fields?.map((f) => f.name)).to.deep.equal(['pixel_id', 'app_id']);
      expect(cols?.find((c) => c.name === 'labels')?.fields?.map((f) => f.name)).to.deep.equal(['name', 'id']);
      const rows = await w.rows('ads', ['id']);
      expect(rows.map((x) => [x['id'], x['bid_amount'], x['tracking']])).to.deep.equal([
        ['a1', null, { pixel_id: 'px1', app_id: null }],
        ['a2', '150', { pixel_id: 'px2', app_id: 'app9' }],
      ]);
      expect(rows.map((x) => x['labels'])).to.deep.equal([[{ name: 'l1', id: null }], [{ name: 'l2', id: '9' }]]);
    });

    it('stores closed nested arrays as REPEATED RECORD and open objects as JSON', async () => {
      const r = await runLoader(w, fixture('nested_arrays'));
      expect(r.error).to.equal(undefined);
      const cols = await w.columns('insights_ad');
      expect(cols?.find((c) => c.name === 'actions')).to.include({ type: 'RECORD', mode: 'REPEATED' });
      expect(cols?.find((c) => c.name === 'action_values')?.type).to.equal('JSON');
      expect(cols?.find((c) => c.name === 'labels')).to.include({ type: 'STRING', mode: 'REPEATED' });
      const [a, b] = await w.rows('insights_ad', ['ad_id']);
      expect(a!['actions']).to.deep.equal([
        { action_type: 'link_click', value: '3.000000000', tags: ['a', 'b'] },
        { action_type: 'purchase', value: '1.500000000', tags: [] },
      ]);
      expect(JSON.parse(String(a!['action_values']))).to.deep.equal([{ action_type: 'purchase', value: '19.99', '7d_click': '19.99', '1d_view': null }]);
      expect(a!['labels']).to.deep.equal(['x', 'y']);
      expect([b!['actions'], JSON.parse(String(b!['action_values'])), b!['labels']]).to.deep.equal([null, [], null]);
    });

    it('keeps 9-place decimals and ids beyond 2^53 exact', async () => {
      const r = await runLoader(w, fixture('decimals_and_big_ids'));
      expect(r.error).to.equal(undefined);
      const rows = await w.rows('ad_accounts', ['id']);
      expect(rows.map((x) => [x['id'], x['account_id'], x['amount_spent'], x['ratio'], x['bid'], String(x['count'])])).to.deep.equal([
        ['120210000000000001', '9007199254740993', '12345678901234567890.123456789', '0.000000001', '0.100000000', '9007199254740991'],
        ['120210000000000002', '9007199254740995', '-0.999999999', '1.000000001', '0.000000100', '-9007199254740991'],
      ]);
    });

    it('soft-deletes rows of older table versions on ACTIVATE_VERSION and removes nothing', async () => {
      const r = await runLoader(w, fixture('activate_version'));
      expect(r.error).to.equal(undefined);
      expect(r.states).to.deep.equal([bmState({ pixels: { v: 1 } }), bmState({ pixels: { v: 2 } })]);
      const rows = await w.rows('pixels', ['id']);
      expect(rows.map((x) => [x['id'], x['name'], String(x['_sdc_table_version']), x['_sdc_deleted_at'] !== null])).to.deep.equal([
        ['px1', 'one again', '2', false],
        ['px2', 'two', '1', true],
        ['px3', 'three again', '2', false],
      ]);
    });

    it('stops at a line that is not JSON with exit code 6, naming line and stream, and merges nothing after the last STATE', async () => {
      const r = await runLoader(w, fixture('bad_json_line'), { batch_rows: 2 });
      expect(r.error?.exitCode).to.equal(EXIT_CODES.data);
      expect(r.error?.message).to.match(/^line 5: not valid JSON .*\(stream "campaigns"\)$/);
      expect(r.error?.context).to.include({ line: 5, stream: 'campaigns' });
      expect(r.states).to.deep.equal([bmState({ campaigns: { '1001': { updated_time: '2024-01-01T00:00:00Z' } } })]);
      expect((await w.rows('campaigns', ['id'])).map((x) => x['id'])).to.deep.equal(['1', '2']);
    });

    it('names only the line number for a line that is not JSON and shows no stream, never the stream of the line before', async () => {
      const [schema, record] = readFileSync(fixture('bad_json_line'), 'utf8').split('\n');
      const r = await runLoader(w, [schema, record, 'Syncing campaigns... done', ''].join('\n'), { batch_rows: 2 });
      expect(r.error?.exitCode).to.equal(EXIT_CODES.data);
      expect(r.error?.message).to.match(/^line 3: /);
      expect(r.error?.message).not.to.include('stream');
      expect(r.error?.context).to.include({ line: 3 });
      expect(r.error?.context).not.to.have.property('stream');
    });

    it('refuses an unknown message type with exit code 6 rather than dropping what it may carry', async () => {
      const r = await runLoader(w, fixture('unknown_message_type'), { batch_rows: 1 });
      expect(r.error?.exitCode).to.equal(EXIT_CODES.data);
      expect(r.error?.message).to.match(/line 5: unknown message type "BATCH".*\(stream "pages"\)/);
      expect(r.states).to.deep.equal([bmState({ pages: { x: 1 } })]);
    });

    it('releases each STATE only after every batch received before it is committed', async () => {
      const events: string[] = [];
      const r = await runLoader(w, fixture('state_between_batches'), { batch_rows: 2 }, events);
      expect(r.error).to.equal(undefined);
      expect(events).to.deep.equal([
        'commit pages 2',
        `state ${JSON.stringify(bmState({ s: 1 }))}`,
        // campaigns fills up and pages (dirty too) is flushed with it: STATE 2 needed only the
        // campaigns batch, STATE 3 also the pages one.
        'commit campaigns 2',
        `state ${JSON.stringify(bmState({ s: 2 }))}`,
        'commit pages 1',
        `state ${JSON.stringify(bmState({ s: 3 }))}`,
        'commit pages 2',
        `state ${JSON.stringify(bmState({ s: 4 }))}`,
      ]);
      expect((await w.rows('pages')).length).to.equal(5);
    });

    it('refuses a record that breaks its SCHEMA, naming line, stream and property; the batch is not merged', async () => {
      const r = await runLoader(w, fixture('invalid_record'), { batch_rows: 1 });
      expect(r.error?.exitCode).to.equal(EXIT_CODES.data);
      expect(r.error?.message).to.match(/line 4: stream "pages": record does not match its SCHEMA: record\.fan_count must be null,integer/);
      expect((await w.rows('pages')).map((x) => x['id'])).to.deep.equal(['p1']);
      expect(r.states).to.deep.equal([bmState({ pages: { x: 1 } })]);
    });

    it('loads hostile stream and property names under safe identifiers with values intact', async () => {
      const r = await runLoader(w, fixture('hostile_names'));
      expect(r.error).to.equal(undefined);
      const evil = toTableName('evil`; DROP SCHEMA facebook_ads; --');
      const long = toTableName('s'.repeat(400));
      expect(await w.tables()).to.include.members([evil, 'other_project_other_dataset_stolen', 'select', long]);
      for (const t of await w.tables()) expect(t).to.match(SAFE_IDENTIFIER);
      const [row] = await w.rows(evil);
      expect(row!['id']).to.equal("1'; DELETE FROM x; --");
      expect(row!['na_me']).to.equal('`backtick`');
      expect(row![toColumnName('x"; DROP TABLE facebook_ads.pages; --')]).to.equal('"quoted"');
      expect(row!['other_project_other_dataset_t']).to.equal('dots');
      expect(row!['select']).to.equal('reserved');
      expect(row!['_1st_place']).to.equal('1');
      expect(row![toColumnName(`${'a'.repeat(300)}_long`)]).to.equal('long');
      expect(row!['unicode_name']).to.equal('ü');
      expect((await w.rows('select'))[0]).to.include({ id: '3', from: 'where' });
      if (kind === 'bigquery') {
        const emu = w.emulator!;
        expect([...emu.datasets]).to.deep.equal([DATASET]);
        for (const req of emu.requests) expect(req.path).to.match(new RegExp(`^(/upload)?/bigquery/v2/projects/${PROJECT}/(datasets(/${DATASET}(/tables(/[a-z0-9_]+)?)?)?|jobs(/[0-9a-f-]+)?)$`));
        expect(emu.statements.length).to.be.greaterThan(0);
        for (const s of emu.statements) {
          for (const name of await z!.tableNames(s.sql)) expect(name.slice(0, 2), s.sql).to.deep.equal([PROJECT, DATASET]);
        }
      }
    });

    it('appends every record of a stream without key properties, duplicates included', async () => {
      const r = await runLoader(w, fixture('keyless_append'), { batch_rows: 2 });
      expect(r.error).to.equal(undefined);
      expect(r.states).to.deep.equal([bmState({ ad_events: { n: 2 } }), bmState({ ad_events: { n: 3 } })]);
      expect((await w.rows('ad_events', ['ad_id'])).map((x) => [x['ad_id'], x['event']])).to.deep.equal([
        ['1', 'click'],
        ['1', 'click'],
        ['2', 'view'],
      ]);
      expect(await w.tables()).to.not.include('ad_events__history');
    });

    it('refuses two streams that map to the same table, naming both', async () => {
      const r = await runLoader(w, fixture('colliding_streams'));
      expect(r.error?.exitCode).to.equal(EXIT_CODES.data);
      expect(r.error?.message).to.match(/streams "ad-sets" and "ad\.sets" both map to table "ad_sets"/);
    });
  });
}
