// What the product reads from dbt: run_results.json (failed nodes named as users select them),
// dbt's JSON log events, the generated profile and where dbt's target/ goes.
import { expect } from 'chai';
import { describeFailure, label, nodeFromUniqueId, parseRunResults } from '../../../connector/dbt/results.js';
import { dbtEventToLog, dbtWorkDir } from '../../../connector/dbt/run.js';
import { duckdbProfileYaml, modelsSchema } from '../../../connector/dbt/profile.js';

const RUN_RESULTS = JSON.stringify({
  metadata: { invocation_id: 'abc' },
  elapsed_time: 12.5,
  results: [
    { unique_id: 'model.fb_ads_elt.fct_cac_monthly', status: 'success', message: 'OK', failures: null },
    { unique_id: 'model.fb_ads_elt.facebook_ads__ad_set_report', status: 'error', message: 'Runtime Error in model facebook_ads__ad_set_report\n  Binder Error: column "impression_count" not found', failures: null },
    { unique_id: 'test.fb_ads_elt.grain_is_unique_stg_facebook_ads__insights_account_account_id__date_day.3f2a', status: 'fail', message: 'Got 1 result, configured to fail if != 0', failures: 1 },
    { unique_id: 'test.fb_ads_elt.assert_facebook_campaign_spend_reconciles', status: 'pass', message: null, failures: 0 },
    { unique_id: 'unit_test.fb_ads_elt.fct_cac_monthly.cac_is_null_without_customers', status: 'fail', message: 'actual differs from expected', failures: 1 },
    { unique_id: 'model.fb_ads_elt.fct_ad_spend_daily', status: 'skipped', message: null, failures: null },
    { unique_id: 'test.fb_ads_elt.not_null_fct_cac_monthly_month_start.b4d7', status: 'warn', message: 'Got 2 results', failures: 2 },
  ],
});

describe('dbt run results', () => {
  it('names nodes the way dbt selects them: tests without their hash, unit tests as model::test', () => {
    expect(nodeFromUniqueId('model.fb_ads_elt.fct_cac_monthly')).to.deep.equal({ resourceType: 'model', name: 'fct_cac_monthly' });
    expect(nodeFromUniqueId('test.fb_ads_elt.unique_x_id.0a1b2c')).to.deep.equal({ resourceType: 'test', name: 'unique_x_id' });
    expect(nodeFromUniqueId('test.fb_ads_elt.assert_cac_spend_equals_fct_spend')).to.deep.equal({ resourceType: 'test', name: 'assert_cac_spend_equals_fct_spend' });
    expect(label(nodeFromUniqueId('unit_test.fb_ads_elt.fct_cac_monthly.zero_customers'))).to.equal('unit test fct_cac_monthly::zero_customers');
  });

  it('counts errors and failures as failed, and warnings and skips as not failed', () => {
    const r = parseRunResults(RUN_RESULTS);
    expect(r.invocationId).to.equal('abc');
    expect(r.nodes).to.have.length(7);
    expect(r.failed.map(label)).to.deep.equal([
      'model facebook_ads__ad_set_report',
      'test grain_is_unique_stg_facebook_ads__insights_account_account_id__date_day',
      'unit test fct_cac_monthly::cac_is_null_without_customers',
    ]);
  });

  it("describes a failure with dbt's first lines and the failing row count", () => {
    const [model, grain] = parseRunResults(RUN_RESULTS).failed;
    expect(describeFailure(model!)).to.equal('model facebook_ads__ad_set_report (Runtime Error in model facebook_ads__ad_set_report Binder Error: column "impression_count" not found)');
    expect(describeFailure(grain!)).to.match(/^test grain_is_unique_\S+ \(1 failing rows: Got 1 result/);
  });
});

describe('dbt JSON events as log lines', () => {
  it('keeps the level and message and names the node', () => {
    const ev = JSON.stringify({ info: { level: 'error', msg: '1 of 9 ERROR creating sql table model analytics.x', name: 'LogModelResult' }, data: { node_info: { unique_id: 'model.fb_ads_elt.x' } } });
    expect(dbtEventToLog(ev)).to.deep.equal({ level: 'error', msg: '1 of 9 ERROR creating sql table model analytics.x', fields: { dbt_event: 'LogModelResult', node: 'model.fb_ads_elt.x' } });
  });

  it('drops empty spacer events and wraps a non-JSON line (a Python traceback) as a warning', () => {
    expect(dbtEventToLog(JSON.stringify({ info: { level: 'info', msg: '', name: 'Formatting' } }))).to.equal(undefined);
    expect(dbtEventToLog('Traceback (most recent call last):')).to.deep.include({ level: 'warn', msg: 'Traceback (most recent call last):' });
  });
});

describe('generated dbt profile and work directory', () => {
  it('is the same text for every warehouse (the path comes from an env var), so partial parsing survives', () => {
    const yaml = duckdbProfileYaml(2);
    expect(yaml).to.include("path: \"{{ env_var('FB_ADS_ELT_DUCKDB_PATH') }}\"").and.include('type: duckdb').and.include('threads: 2');
    expect(yaml).to.not.match(/\/tmp|\.duckdb/);
  });

  it("builds the default dataset's models into analytics and another dataset's into analytics_<dataset>, the schema coming from an env var too", () => {
    expect(duckdbProfileYaml(2)).to.include("schema: \"{{ env_var('FB_ADS_ELT_MODELS_SCHEMA') }}\"");
    expect([modelsSchema('facebook_ads'), modelsSchema('FACEBOOK_ADS'), modelsSchema('client_b')]).to.deep.equal(['analytics', 'analytics', 'analytics_client_b']);
  });

  it("keeps dbt's target/ beside the warehouse file, one directory per file", () => {
    expect(dbtWorkDir('/data/.demo/warehouse.duckdb')).to.equal('/data/.demo/warehouse.dbt');
    expect(dbtWorkDir('/data/other.duckdb')).to.not.equal(dbtWorkDir('/data/warehouse.duckdb'));
  });
});
