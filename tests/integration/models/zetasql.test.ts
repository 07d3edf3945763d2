// The dbt project compiled for BigQuery (bigquery__ macros, `project`.`dataset`.`table`) and
// analysed by ZetaSQL against the target's BigQuery table schemas, the seeds and upstream outputs.
import { expect } from 'chai';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { buildProject, compileProject, type CompileResult } from '../../../connector/models/build.js';
import { checkCompiledModels, seedFields, type ModelCheck } from '../../helpers/zetasql-models.js';
import type { CatalogTable } from '../../helpers/zetasql.js';
import { deriveUpperInsights, loadRawWarehouse, rawCatalogTables, readFixture } from './raw-warehouse.js';
import { copyProject, editFile, PROJECT_DIR } from './project-copy.js';
import { REPO_ROOT } from '../../../connector/core/config.js';

function baseTables(compiled: CompileResult): CatalogTable[] {
  const project = compiled.target.database!;
  const raw = [...compiled.sources.values()][0]!;
  return [
    ...rawCatalogTables(project, raw.schema),
    ...compiled.seeds.map((s) => ({ project, dataset: s.relation.schema, name: s.relation.identifier, fields: seedFields(s.columnTypes) })),
  ];
}

async function checkProject(projectDir: string): Promise<ModelCheck[]> {
  const compiled = compileProject({ projectDir, target: 'bigquery' });
  const incremental = compileProject({ projectDir, target: 'bigquery', incremental: true });
  const extra = [
    ...incremental.models.filter((m) => m.materialized === 'incremental').map((m) => ({ name: `${m.name} (incremental run)`, sql: m.sql })),
    ...compiled.tests.map((t) => ({ name: `test ${t.name}`, sql: t.sql })),
  ];
  return checkCompiledModels(compiled, baseTables(compiled), extra);
}

describe('models compiled for BigQuery, checked by ZetaSQL', function () {
  this.timeout(120000);

  it('renders BigQuery SQL: bigquery__ macros and back-quoted `project`.`dataset`.`table` relations', function () {
    const compiled = compileProject({ projectDir: PROJECT_DIR, target: 'bigquery' });
    const report = compiled.models.find((m) => m.name === 'facebook_ads__campaign_report')!;
    expect(report.relation).to.equal(`\`${compiled.target.database}\`.\`${compiled.target.schema}\`.\`facebook_ads__campaign_report\``);
    expect(report.sql).to.include('json_query_array(insights.actions)');
    expect(report.sql).to.not.include('list_filter');
    expect(report.sql).to.not.match(/"[a-z_]+"\."[a-z_]+"/);
    const staging = compiled.models.find((m) => m.name === 'stg_facebook_ads__insights_ad')!;
    expect(staging.sql).to.include(`\`${compiled.target.database}\`.\`facebook_ads\`.\`insights_ad\``);
    expect(compiled.models.some((m) => m.materialized === 'ephemeral'), 'ephemerals are inlined, not compiled alone').to.equal(false);
    const fct = compiled.models.find((m) => m.name === 'fct_ad_spend_daily')!;
    expect(fct.sql).to.match(/^with __dbt__cte__int_ad_spend__facebook_ads as \(/);
  });

  it('`fb-ads-elt models compile --target bigquery` writes one SQL file per non-ephemeral model', function () {
    const out = mkdtempSync(path.join(os.tmpdir(), 'models-compile-'));
    try {
      const run = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'fb-ads-elt.js'), 'models', 'compile', '--target', 'bigquery', '--out', out], { encoding: 'utf8', timeout: 60000 });
      expect(run.status, run.stderr).to.equal(0);
      const summary = JSON.parse(run.stdout) as { target: { type: string }; models: Array<{ name: string; path: string; relation: string }> };
      expect(summary.target.type).to.equal('bigquery');
      const files = readdirSync(out, { recursive: true }).map(String).filter((f) => f.endsWith('.sql'));
      expect(files.length).to.equal(summary.models.length);
      const fct = summary.models.find((m) => m.name === 'fct_cac_monthly')!;
      expect(readFileSync(path.join(out, 'fb_ads_elt', fct.path), 'utf8')).to.include('safe_divide(');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('every model, the incremental branch and every singular test pass ZetaSQL analysis with BigQuery features', async function () {
    const results = await checkProject(PROJECT_DIR);
    const failures = results.filter((r) => !r.ok);
    expect(failures, failures.map((f) => `${f.name}: ${f.error}`).join('\n')).to.deep.equal([]);
    expect(results.some((r) => r.name.endsWith('(incremental run)'))).to.equal(true);
    const fct = results.find((r) => r.name === 'fct_ad_spend_daily')!;
    expect(fct.fields!.map((f) => `${f.name}:${f.type}`)).to.include.members(['date_day:DATE', 'spend:NUMERIC', 'spend_reporting:NUMERIC', 'impressions:INT64', 'conversions:NUMERIC']);
  });

  it('a model reading a column that does not exist fails both the DuckDB build and the ZetaSQL check', async function () {
    const root = mkdtempSync(path.join(os.tmpdir(), 'models-broken-'));
    try {
      const project = copyProject(root);
      editFile(project, 'models/marts/facebook_ads/facebook_ads__ad_set_report.sql', '    insights.impressions,', '    insights.impression_count as impressions,');

      const results = await checkProject(project);
      const broken = results.find((r) => r.name === 'facebook_ads__ad_set_report')!;
      expect(broken.ok).to.equal(false);
      expect(broken.error).to.match(/impression_count/);
      expect(results.filter((r) => r.name !== 'facebook_ads__ad_set_report' && !r.name.startsWith('test ')).every((r) => r.ok)).to.equal(true);

      const instance = await DuckDBInstance.create(':memory:');
      const conn = await instance.connect();
      try {
        const raw = readFixture(path.join(REPO_ROOT, 'tests', 'integration', 'models', 'fixtures', 'raw-facebook-ads.json'));
        await loadRawWarehouse(conn, { ...raw, ...deriveUpperInsights(raw['insights_ad'] ?? []) }, root);
        const built = await buildProject({ projectDir: project, connection: conn });
        expect(built.ok).to.equal(false);
        const model = built.models.find((m) => m.name === 'facebook_ads__ad_set_report')!;
        expect(model.status).to.equal('error');
        expect(model.error).to.match(/impression_count/);
        expect(built.tests.failed.map((t) => t.name)).to.not.include('assert_facebook_campaign_spend_reconciles');
      } finally {
        conn.closeSync();
        instance.closeSync();
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
