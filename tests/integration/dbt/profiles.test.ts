// dbt/profiles.yml as an operator runs it by hand or from a scheduler (README "dbt models",
// "systemd", "Airflow"): real dbt parses the project through it, no warehouse is reached.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../../connector/core/config.js';
import { resolveDbt } from '../../../connector/dbt/python-env.js';

describe('dbt/profiles.yml', function () {
  this.timeout(300_000);
  let work: string;
  beforeEach(() => {
    work = mkdtempSync(path.join(tmpdir(), 'dbt-profiles-'));
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  function parse(env: Record<string, string>): { status: number | null; out: string } {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('DBT_') && k !== 'GOOGLE_APPLICATION_CREDENTIALS'));
    const dbtDir = path.join(REPO_ROOT, 'dbt');
    const r = spawnSync(resolveDbt(), ['parse', '--project-dir', dbtDir, '--profiles-dir', dbtDir, '--target-path', path.join(work, 'target'), '--log-path', path.join(work, 'logs')], {
      env: { ...clean, DBT_SEND_ANONYMOUS_USAGE_STATS: 'false', DO_NOT_TRACK: '1', METADATA_SERVER_DETECTION: 'none', ...env },
      encoding: 'utf8',
    });
    return { status: r.status, out: r.stdout + r.stderr };
  }

  it('stops a BigQuery run that does not name its project, naming DBT_BIGQUERY_PROJECT, instead of querying a placeholder project', () => {
    const r = parse({ DBT_TARGET: 'bigquery' });
    expect(r.status, r.out).to.not.equal(0);
    expect(r.out).to.match(/Env var required but not provided: 'DBT_BIGQUERY_PROJECT'/);
  });

  it('parses for BigQuery once the project is named, and for DuckDB without any BigQuery setting', () => {
    const bq = parse({ DBT_TARGET: 'bigquery', DBT_BIGQUERY_PROJECT: 'acme-ads-prod' });
    expect(bq.status, bq.out).to.equal(0);
    const duck = parse({ DBT_DUCKDB_PATH: ':memory:' });
    expect(duck.status, duck.out).to.equal(0);
  });
});
