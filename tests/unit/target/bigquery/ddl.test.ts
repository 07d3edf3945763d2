// Every stream schema in schemas/streams maps to a BigQuery table definition ZetaSQL accepts
// (nested STRUCT/ARRAY types, partitioning and clustering included), and the MERGE and history
// statements for it analyze against the catalog built from the mapping.
import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../../../connector/core/config.js';
import { loadStreamFields, tableLayout, toTableName, toColumnName } from '../../../../connector/target/fields.js';
import { bigQueryDialect } from '../../../../connector/target/bigquery/destination.js';
import { createTableSql, mergeSql, historySql, softDeleteSql, SEQUENCE_COLUMN } from '../../../../connector/target/sql.js';
import { startZetaSql, type ZetaSqlHarness } from '../../../helpers/zetasql.js';

const STREAM_KEYS: Record<string, string[]> = {
  businesses: ['id'],
  ad_accounts: ['account_id'],
  pages: ['id'],
  pixels: ['id'],
  product_catalogs: ['id'],
  campaigns: ['id'],
  ad_sets: ['id'],
  ads: ['id'],
  ad_creatives: ['id'],
  insights_account: ['account_id', 'date_start'],
  insights_campaign: ['campaign_id', 'date_start'],
  insights_adset: ['adset_id', 'date_start'],
  insights_ad: ['ad_id', 'date_start'],
  sync_log: ['run_id', 'account_id'],
};

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
      const keys = (STREAM_KEYS[s] ?? ['id']).map(toColumnName).filter((k) => fields.some((f) => f.name === k));
      const t = toTableName(s);
      const cols = fields.map((f) => f.name);
      const orderColumn = fields.some((f) => f.name === 'updated_time') ? 'updated_time' : undefined;
      const ddl = createTableSql(d, `${t}_new`, fields, tableLayout(keys, fields));
      for (const sql of [ddl, mergeSql(d, { target: t, source: `${t}__sdc_stage`, columns: cols, keys, orderColumn }), ...(orderColumn ? [historySql(d, { target: `${t}__history`, source: `${t}__sdc_stage`, columns: cols, keys })] : []), softDeleteSql(d, t)]) {
        const r = await z.analyze(sql);
        expect(r, `${s}: ${sql.slice(0, 200)}`).to.deep.equal({ ok: true });
      }
      if (s.startsWith('insights_')) expect(ddl).to.match(/PARTITION BY `date_start` CLUSTER BY `account_id`/);
    }
  });
});
