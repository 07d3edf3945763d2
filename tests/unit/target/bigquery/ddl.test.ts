// Every stream schema in schemas/streams maps to a BigQuery table definition ZetaSQL accepts
// (nested STRUCT/ARRAY types, partitioning and clustering included), and the MERGE and history
// statements for it analyze against the catalog built from the mapping.
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../../../connector/core/config.js';
import { loadStreamFields, tableLayout, toTableName, toColumnName } from '../../../../connector/target/fields.js';
import { bigQueryDialect } from '../../../../connector/target/bigquery/destination.js';
import { createTableSql, mergeSql, historySql, softDeleteSql, SEQUENCE_COLUMN } from '../../../../connector/target/sql.js';
import { startZetaSql, type ZetaSqlHarness } from '../../../helpers/zetasql.js';

/** Each stream's key properties as the tap declares them (catalog.json, the golden discovery output). */
const STREAM_KEYS: Record<string, string[]> = Object.fromEntries((JSON.parse(readFileSync(path.join(REPO_ROOT, 'catalog.json'), 'utf8')) as { streams: { tap_stream_id: string; key_properties: string[] }[] }).streams.map((st) => [st.tap_stream_id, st.key_properties]));

describe('BigQuery DDL and DML for every stream schema', function () {
  this.timeout(60000);
  let z: ZetaSqlHarness;
  before(async () => {
    z = await startZetaSql();
  });
  after(async () => z?.stop());

  it('creates, merges, appends history and soft-deletes with statements ZetaSQL accepts', async () => {
    const d = bigQueryDialect('test-proj', 'facebook_ads');
    const streams = readdirSync(path.join(REPO_ROOT, 'schemas', 'streams'))
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.replace(/\.json$/, ''));
    expect(streams.length).to.be.greaterThan(10);
    const catalog = streams.flatMap((s) => {
      const fields = loadStreamFields(s);
      const t = toTableName(s);
      return [
        { project: 'test-proj', dataset: 'facebook_ads', name: t, fields },
        { project: 'test-proj', dataset: 'facebook_ads', name: `${t}__history`, fields },
        { project: 'test-proj', dataset: 'facebook_ads', name: `${t}__sdc_stage`, fields: [...fields, { name: SEQUENCE_COLUMN, type: 'INT64' as const, mode: 'NULLABLE' as const }] },
      ];
    });
    await z.registerCatalog(catalog);
    for (const s of streams) {
      const fields = loadStreamFields(s);
      const declared = STREAM_KEYS[s];
      expect(declared, `${s}: no stream of catalog.json declares its keys`).to.be.an('array').that.is.not.empty;
      const keys = declared!.map(toColumnName).filter((k) => fields.some((f) => f.name === k));
      expect(keys, `${s}: its key properties are columns of its schema`).to.have.length(declared!.length);
      const t = toTableName(s);
      const cols = fields.map((f) => f.name);
      const orderColumn = fields.some((f) => f.name === 'updated_time') ? 'updated_time' : undefined;
      const ddl = createTableSql(d, `${t}_new`, fields, tableLayout(keys, fields));
      for (const sql of [ddl, mergeSql(d, { target: t, source: `${t}__sdc_stage`, columns: cols, keys, orderColumn }), ...(orderColumn ? [historySql(d, { target: `${t}__history`, source: `${t}__sdc_stage`, columns: cols, keys })] : []), softDeleteSql(d, t)]) {
        const r = await z.analyze(sql);
        expect(r, `${s}: ${sql.slice(0, 200)}`).to.deep.equal({ ok: true });
      }
      // Daily reports (keyed by day; not insights_coverage, a run log) are partitioned by day.
      if (keys.includes('date_start')) expect(ddl).to.match(/PARTITION BY `date_start` CLUSTER BY `account_id`/);
    }
  });
});
