// The warehouse file is shared by two DuckDB builds: the target writes it with @duckdb/node-api,
// dbt builds on it with the Python duckdb from requirements/python.lock.txt, and the report reads
// it with Node again. Both engines are pinned; this checks each reads what the other wrote.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { LOCK_FILE, venvExecutable } from '../../../connector/dbt/python-env.js';
import { REPO_ROOT } from '../../../connector/core/config.js';

function python(script: string, file: string): string {
  const r = spawnSync(venvExecutable('python'), ['-c', script, file], { encoding: 'utf8' });
  expect(r.error, 'the project venv exists (npm ci installs it)').to.equal(undefined);
  expect(r.status, r.stderr).to.equal(0);
  return r.stdout.trim();
}

describe('DuckDB in Node and in the dbt venv share one warehouse file', function () {
  this.timeout(60_000);
  let tmp: string;
  before(() => (tmp = mkdtempSync(path.join(os.tmpdir(), 'duckdb-versions-'))));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('pins the same DuckDB release on both sides', () => {
    const pythonPin = /^duckdb==(\S+)$/m.exec(readFileSync(LOCK_FILE, 'utf8'))?.[1];
    const nodePin = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies['@duckdb/node-api'];
    expect(nodePin).to.match(/^\d+\.\d+\.\d+-r\.\d+$/, 'an exact pin');
    expect(nodePin!.split('-')[0]).to.equal(pythonPin);
    expect(python('import duckdb, sys; print(duckdb.__version__)', '')).to.equal(pythonPin);
  });

  it('Python reads decimals, JSON and instants Node wrote, and Node reads a table Python wrote', async () => {
    const file = path.join(tmp, 'shared.duckdb');
    const db = await DuckDBInstance.create(file);
    const conn = await db.connect();
    await conn.run(`create schema facebook_ads; create table facebook_ads.t (id varchar, spend decimal(38,9), actions json, loaded_at timestamptz)`);
    await conn.run(`insert into facebook_ads.t values ('12345678901234567', 12.345678901, '[{"action_type":"lead","value":"2"}]', timestamptz '2026-11-03 06:05:00+00')`);
    conn.closeSync();
    db.closeSync();

    const read = python(
      [
        'import duckdb, sys',
        'c = duckdb.connect(sys.argv[1])',
        "r = c.execute(\"select id, cast(spend as varchar), json_extract_string(actions, '$[0].action_type'), epoch(loaded_at) from facebook_ads.t\").fetchone()",
        "print('|'.join(str(x) for x in r))",
        "c.execute('create schema analytics; create table analytics.m as select id, spend * 2 as spend2, list_transform([1, 2], lambda x: x + 1) as l from facebook_ads.t')",
        'c.close()',
      ].join('\n'),
      file,
    );
    expect(read).to.equal('12345678901234567|12.345678901|lead|1793685900.0');

    const back = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY' });
    const c2 = await back.connect();
    try {
      const rows = (await c2.runAndReadAll('select id, cast(spend2 as varchar) as s, cast(l as varchar) as l from analytics.m')).getRowObjectsJson();
      expect(rows).to.deep.equal([{ id: '12345678901234567', s: '24.691357802', l: '[2, 3]' }]);
    } finally {
      c2.closeSync();
      back.closeSync();
    }
  });
});
