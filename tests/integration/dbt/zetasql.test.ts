// The dbt project compiled by real dbt for BigQuery (bigquery__ macros, `project`.`dataset`.`table`
// relations, ephemerals inlined), offline through the loopback emulator, then analysed by ZetaSQL
// against the target's BigQuery table schemas, the seeds and the upstream models' outputs.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BigQueryEmulator } from '../../helpers/bq-emulator.js';
import { BQ_MODELS_DATASET, BQ_PROJECT, compileForBigQuery, type BigQueryCompile } from '../../helpers/dbt-bigquery.js';
import { checkCompiledModels, seedFields, type ModelCheck } from '../../helpers/zetasql-models.js';
import type { CatalogTable } from '../../helpers/zetasql.js';
import { rawCatalogTables } from './raw-warehouse.js';
import { copyProject, editFile } from './project-copy.js';
import { DEMO_MODELS_VARS } from '../../../connector/pipeline/demo.js';

// Every optional part on (the demo data and CAC), and a pinned run date for the ad report's lookback.
// A demo day away from the seeds' anchor, so the BigQuery form of their date shift is compiled and analysed too.
const VARS = { ...DEMO_MODELS_VARS, run_date: '2026-11-20', fb_ads_elt__demo_today: '2027-02-28' };

function baseTables(c: BigQueryCompile): CatalogTable[] {
  return [...rawCatalogTables(BQ_PROJECT, 'facebook_ads'), ...c.seeds.map((s) => ({ project: BQ_PROJECT, dataset: s.schema, name: s.name, fields: seedFields(s.columnTypes) }))];
}

describe('models compiled for BigQuery by real dbt, checked by ZetaSQL', function () {
  this.timeout(600_000);
  let emulator: BigQueryEmulator;
  let compiled: BigQueryCompile;

  before(async () => {
    emulator = new BigQueryEmulator(BQ_PROJECT);
    await emulator.start();
    compiled = await compileForBigQuery({ emulatorUrl: emulator.url, vars: VARS });
  });
  after(async () => emulator?.stop());

  it('renders BigQuery SQL: bigquery__ macros, back-quoted relations, ephemerals inlined as CTEs', () => {
    const sql = (name: string): string => compiled.models.find((m) => m.name === name)?.sql ?? '';
    expect(sql('facebook_ads__campaign_report')).to.include('json_query_array(insights.actions)').and.not.include('lambda');
    expect(sql('stg_facebook_ads__insights_ad')).to.include(`\`${BQ_PROJECT}\`.\`facebook_ads\`.\`insights_ad\``);
    expect(sql('fct_ad_spend_daily')).to.match(/^with\s+__dbt__cte__int_ad_spend__facebook_ads as \(/);
    expect(sql('fct_cac_monthly')).to.include('safe_divide(');
    expect(compiled.models.map((m) => m.name)).to.not.include('int_ad_spend__unioned');
    expect(compiled.models.map((m) => m.name)).to.include('facebook_ads__ad_report');
  });

  it('every model, the incremental branch of the ad report and every singular test pass ZetaSQL analysis', async () => {
    // The ad report's table now exists, so dbt compiles its incremental branch (reads {{ this }}).
    await fetch(`${emulator.url}/bigquery/v2/projects/${BQ_PROJECT}/datasets`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ datasetReference: { projectId: BQ_PROJECT, datasetId: BQ_MODELS_DATASET } }) });
    const created = await fetch(`${emulator.url}/bigquery/v2/projects/${BQ_PROJECT}/datasets/${BQ_MODELS_DATASET}/tables`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      // With the column each row keeps its conversion definition in, as every build since it existed leaves the table.
      body: JSON.stringify({
        tableReference: { tableId: 'facebook_ads__ad_report' },
        schema: {
          fields: [
            { name: 'date_day', type: 'DATE', mode: 'NULLABLE' },
            { name: 'conversion_action_types', type: 'STRING', mode: 'NULLABLE' },
          ],
        },
      }),
    });
    expect(created.status).to.equal(200);
    const incremental = await compileForBigQuery({ emulatorUrl: emulator.url, select: ['facebook_ads__ad_report'], vars: VARS });
    const branch = incremental.models.find((m) => m.name === 'facebook_ads__ad_report')!;
    // The lookback counts back from the run date; days loaded since the last build come too.
    expect(branch.sql).to.match(/where date_day >= date_add\(cast\('2026-11-20' as date\), interval -28 day\)\s+or date_day in \(/);
    // Days counted with another conversion_action_types list are re-counted (dbt read the table's columns).
    expect(branch.sql).to.match(/where conversion_action_types is distinct from 'offsite_conversion\.fb_pixel_lead,offsite_conversion\.fb_pixel_purchase,onsite_conversion\.lead_grouped'/);

    const results = await checkCompiledModels(compiled, baseTables(compiled), [{ name: 'facebook_ads__ad_report (incremental run)', sql: branch.sql }, ...compiled.tests.map((t) => ({ name: `test ${t.name}`, sql: t.sql }))]);
    const failures = results.filter((r: ModelCheck) => !r.ok);
    expect(failures, failures.map((f) => `${f.name}: ${f.error}`).join('\n')).to.deep.equal([]);
    expect(results.filter((r) => r.name.startsWith('test ')).length).to.be.greaterThan(3);
    const fct = results.find((r) => r.name === 'fct_ad_spend_daily')!;
    expect(fct.fields!.map((f) => `${f.name}:${f.type}`)).to.include.members(['date_day:DATE', 'spend:NUMERIC', 'spend_reporting:NUMERIC', 'impressions:INT64', 'conversions:NUMERIC']);
  });

  it('fails the check for a model that reads a column the raw table does not have', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'dbt-bq-broken-'));
    try {
      const project = copyProject(root);
      editFile(project, 'models/marts/facebook_ads/facebook_ads__ad_set_report.sql', '    insights.impressions,', '    insights.impression_count as impressions,');
      const broken = await compileForBigQuery({ emulatorUrl: emulator.url, projectDir: project, select: ['+facebook_ads__ad_set_report'], vars: VARS });
      const results = await checkCompiledModels(broken, baseTables(broken));
      const report = results.find((r) => r.name === 'facebook_ads__ad_set_report')!;
      expect(report.ok).to.equal(false);
      expect(report.error).to.match(/impression_count/);
      expect(results.filter((r) => r !== report).every((r) => r.ok)).to.equal(true);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
