// Loading a dbt project: folder configs, vars, profiles, sources, data tests and unit tests,
// and rendering models with ref/source/var/config/this/is_incremental.
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadProject } from '../../../connector/models/project.js';
import { compileModel, parseModels, rendererFor, selectModels, topoOrder } from '../../../connector/models/graph.js';
import { injectCtes, quoteRelation } from '../../../connector/models/render.js';
import { ConfigError } from '../../../connector/core/errors.js';

function write(root: string, rel: string, text: string): void {
  mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  writeFileSync(path.join(root, rel), text);
}

describe('models/project + graph: a small dbt project', function () {
  let dir: string;
  before(function () {
    dir = mkdtempSync(path.join(os.tmpdir(), 'dbt-unit-'));
    write(dir, 'dbt_project.yml', `name: demo\nprofile: demo\nvars:\n  cur: USD\n  demo:\n    scoped: 7\nmodels:\n  demo:\n    staging:\n      +materialized: view\n    marts:\n      +materialized: table\n      +tags: ['mart']\nseeds:\n  demo:\n    rates:\n      +column_types:\n        rate: "{{ 'numeric' if target.type == 'bigquery' else 'decimal(38,9)' }}"\n`);
    write(dir, 'profiles.yml', `demo:\n  target: duckdb\n  outputs:\n    duckdb: {type: duckdb, path: x.duckdb, schema: an}\n    bigquery: {type: bigquery, project: "{{ env_var('UNIT_BQ_PROJECT', 'proj-1') }}", dataset: ds}\n`);
    write(dir, 'models/staging/src.yml', `version: 2\nsources:\n  - name: raw\n    schema: "{{ var('raw_schema', 'raw_data') }}"\n    tables:\n      - name: events\n        columns:\n          - name: id\n            data_tests: [unique]\nmodels:\n  - name: stg_events\n    columns:\n      - name: id\n        data_tests:\n          - not_null\n          - accepted_values:\n              arguments:\n                values: [1, 2]\n                quote: false\n              config:\n                severity: warn\n`);
    write(dir, 'models/staging/stg_events.sql', `select id, '{{ var("cur") }}' as cur, {{ var('scoped') }} as s from {{ source('raw', 'events') }}`);
    write(dir, 'models/staging/int_eph.sql', `{{ config(materialized='ephemeral') }}select id from {{ ref('stg_events') }}`);
    write(dir, 'models/marts/fct_events.sql', `{{ config(unique_key='id') }}\n-- leading comment\nwith x as (select * from {{ ref('int_eph') }}) select * from x {% if is_incremental() %}where id > (select max(id) from {{ this }}){% endif %}`);
    write(dir, 'seeds/rates.csv', 'day,rate\n2024-01-01,1.5\n');
  });
  after(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it('merges folder configs, in-file config(), project vars (also project-scoped) and CLI vars', function () {
    const project = loadProject({ projectDir: dir, vars: { cur: 'EUR' } });
    const parsed = parseModels(project);
    expect(parsed.get('stg_events')!.materialized).to.equal('view');
    expect(parsed.get('int_eph')!.materialized).to.equal('ephemeral');
    expect(parsed.get('fct_events')!.config).to.include({ materialized: 'table', unique_key: 'id' });
    const sql = compileModel(project, rendererFor(project, parsed), parsed, 'stg_events').sql;
    expect(sql).to.equal(`select id, 'EUR' as cur, 7 as s from "raw_data"."events"`);
    expect(project.seeds.get('rates')!.config['column_types']).to.deep.equal({ rate: 'decimal(38,9)' });
  });

  it('orders models by their refs and inlines ephemerals as CTEs after leading comments', function () {
    const project = loadProject({ projectDir: dir });
    const parsed = parseModels(project);
    expect(topoOrder(parsed)).to.deep.equal(['stg_events', 'int_eph', 'fct_events']);
    const sql = compileModel(project, rendererFor(project, parsed), parsed, 'fct_events').sql;
    expect(sql).to.match(/^-- leading comment\nwith __dbt__cte__int_eph as \(\nselect id from "an"\."stg_events"\n\),\nx as/);
    const inc = compileModel(project, rendererFor(project, parsed), parsed, 'fct_events', { isIncremental: true }).sql;
    expect(inc).to.include('(select max(id) from "an"."fct_events")');
  });

  it('renders for BigQuery with the profile project and back-quoted relations', function () {
    const project = loadProject({ projectDir: dir, target: 'bigquery' });
    const parsed = parseModels(project);
    const sql = compileModel(project, rendererFor(project, parsed), parsed, 'stg_events').sql;
    expect(sql).to.include('from `proj-1`.`raw_data`.`events`');
    expect(project.seeds.get('rates')!.config['column_types']).to.deep.equal({ rate: 'numeric' });
  });

  it('reads column data tests with dbt ≥1.10 arguments and severity, plus source tests', function () {
    const project = loadProject({ projectDir: dir });
    const byName = new Map(project.genericTests.map((t) => [t.name, t]));
    expect(byName.get('not_null_stg_events_id')).to.include({ testName: 'not_null', column: 'id', severity: 'error' });
    const av = project.genericTests.find((t) => t.testName === 'accepted_values')!;
    expect(av).to.include({ severity: 'warn', attachedTo: 'stg_events' });
    expect(av.kwargs).to.deep.equal({ values: [1, 2], quote: false });
    expect(project.genericTests.find((t) => t.attachedTo === 'source:raw.events')).to.include({ testName: 'unique' });
  });

  it('selects with +name (ancestors), name+ (descendants) and tag:', function () {
    const parsed = parseModels(loadProject({ projectDir: dir }));
    expect([...selectModels(parsed, ['+fct_events'])].sort()).to.deep.equal(['fct_events', 'int_eph', 'stg_events']);
    expect([...selectModels(parsed, ['stg_events+'])].sort()).to.deep.equal(['fct_events', 'int_eph', 'stg_events']);
    expect([...selectModels(parsed, ['tag:mart'])]).to.deep.equal(['fct_events']);
    expect(() => selectModels(parsed, ['nope'])).to.throw(ConfigError, /matches no model/);
  });

  it('names the model and the missing node when a ref points nowhere, and reports cycles', function () {
    write(dir, 'models/marts/bad_ref.sql', `select * from {{ ref('does_not_exist') }}`);
    try {
      expect(() => parseModels(loadProject({ projectDir: dir }))).to.throw(ConfigError, /bad_ref depends on a node named 'does_not_exist'/);
    } finally {
      rmSync(path.join(dir, 'models/marts/bad_ref.sql'));
    }
    const cyc = new Map([
      ['a', { name: 'a', path: 'a', materialized: 'view' as const, config: {}, refs: ['b'], sources: [] }],
      ['b', { name: 'b', path: 'b', materialized: 'view' as const, config: {}, refs: ['a'], sources: [] }],
    ]);
    expect(() => topoOrder(cyc)).to.throw(ConfigError, /cycle: a -> b -> a/);
  });

  it('refuses a required var that is not set, with a hint naming it', function () {
    write(dir, 'models/marts/needs_var.sql', `select {{ var('not_set_anywhere') }} as x`);
    try {
      expect(() => parseModels(loadProject({ projectDir: dir }))).to.throw(ConfigError, /required var 'not_set_anywhere'/);
    } finally {
      rmSync(path.join(dir, 'models/marts/needs_var.sql'));
    }
  });

  it('quotes relations per adapter and merges injected CTEs into an existing WITH', function () {
    expect(quoteRelation('duckdb', { schema: 's', identifier: 't' })).to.equal('"s"."t"');
    expect(quoteRelation('bigquery', { database: 'p-1', schema: 's', identifier: 't' })).to.equal('`p-1`.`s`.`t`');
    expect(injectCtes('select 1', [['a', 'select 2']])).to.equal('with a as (\nselect 2\n)\nselect 1');
    expect(injectCtes('WITH b as (select 1) select * from b', [['a', 'select 2']])).to.equal('with a as (\nselect 2\n),\nb as (select 1) select * from b');
  });
});
