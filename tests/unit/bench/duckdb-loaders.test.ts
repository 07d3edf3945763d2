import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { BATCHED_LOADER, bareLoadSql, CEILING_LOADER, splitRecords, WRITE_ONLY_LOADER, writeOnlySql } from '../../../bench/scenarios/target.js';
import { insightsAdSchema, writeInsightsInput } from '../../../bench/singer-input.js';
import { DuckDbDestination } from '../../../connector/target/duckdb/destination.js';
import { ROW_GROUP_ROWS } from '../../../connector/target/duckdb/types.js';
import { streamFields, tableLayout, toTableName } from '../../../connector/target/fields.js';

// The target bench's DuckDB baselines must start as plain node (no tsx, no loader hooks), so their
// wall time and RSS are DuckDB's and stay comparable run to run: each is a .mjs file run by path.
describe("bench: DuckDB's bare load and write alone run as plain node scripts by path", function () {
  this.timeout(60_000);
  const ROWS = 50;
  let dir: string;
  let input: string;
  let empty: string;
  const { schema, keys } = insightsAdSchema();
  // A child with no option of this process (mocha runs under tsx) and no NODE_OPTIONS either.
  const plainNode = (args: string[]) => {
    const { NODE_OPTIONS: _drop, ...env } = process.env;
    return spawnSync(process.execPath, args, { cwd: dir, env, encoding: 'utf8' });
  };
  const count = async (db: string): Promise<number> => {
    const instance = await DuckDBInstance.create(db, { access_mode: 'READ_ONLY' });
    const c = await instance.connect();
    try {
      return Number((await c.runAndReadAll(`SELECT count(*) FROM facebook_ads.${toTableName('insights_ad')}`)).getRows()[0]![0]);
    } finally {
      c.closeSync();
      instance.closeSync();
    }
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bench-loaders-'));
    input = join(dir, 'in.jsonl');
    await writeInsightsInput(input, ROWS);
    // The empty insights_ad table as the target creates it (the bench copies the 0-row run's database).
    empty = join(dir, 'empty.duckdb');
    const d = new DuckDbDestination({ path: empty, dataset: 'facebook_ads' });
    await d.open();
    const fields = streamFields(schema, { stream: 'insights_ad' });
    await d.createTable(toTableName('insights_ad'), fields, tableLayout(keys, fields));
    await d.close();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps each loader a plain ES module file that says its role in a header comment', () => {
    for (const file of [CEILING_LOADER, WRITE_ONLY_LOADER, BATCHED_LOADER]) {
      expect(file).to.match(/\.mjs$/);
      expect(readFileSync(file, 'utf8')).to.match(/^\/\/ DuckDB's (bare load|write alone)/);
    }
  });

  it("loads every record with DuckDB's bare load and names DuckDB's version, on DuckDB's default and on one thread", async () => {
    for (const threads of [[], ['1']]) {
      const db = join(dir, `ceiling-${threads.length}.duckdb`);
      copyFileSync(empty, db);
      const r = plainNode([CEILING_LOADER, db, bareLoadSql(input, 'facebook_ads', schema), ...threads]);
      expect(r.status, r.stderr).to.equal(0);
      const out = JSON.parse(r.stdout) as { rows: number; version: string };
      expect(out.rows).to.equal(ROWS);
      expect(out.version).to.match(/^v\d+\.\d+\.\d+/);
      expect(await count(db)).to.equal(ROWS);
    }
  });

  it('writes every record in batches of the given size, one transaction each, and reports the CPU of that write', async () => {
    const db = join(dir, 'write-only.duckdb');
    copyFileSync(empty, db);
    const sql = writeOnlySql(input, 'facebook_ads', schema);
    const r = plainNode([WRITE_ONLY_LOADER, db, String(ROW_GROUP_ROWS), sql.stage, sql.insert, '20']);
    expect(r.status, r.stderr).to.equal(0);
    const out = JSON.parse(r.stdout) as { rows: number; cpuMicros: number };
    expect(out.rows).to.equal(ROWS);
    expect(out.cpuMicros).to.be.greaterThan(0);
    expect(await count(db)).to.equal(ROWS);
  });

  it("loads every record from the Singer lines in the target's batches under a memory limit, one transaction per batch file", async () => {
    const db = join(dir, 'batched.duckdb');
    copyFileSync(empty, db);
    const files = await splitRecords(input, join(dir, 'batch'), 20);
    expect(files).to.have.length(3);
    const r = plainNode([BATCHED_LOADER, db, String(ROW_GROUP_ROWS), '128MB', JSON.stringify(files.map((f) => bareLoadSql(f, 'facebook_ads', schema)))]);
    expect(r.status, r.stderr).to.equal(0);
    const out = JSON.parse(r.stdout) as { rows: number; cpuMicros: number };
    expect(out.rows).to.equal(ROWS);
    expect(out.cpuMicros).to.be.greaterThan(0);
    expect(await count(db)).to.equal(ROWS);
  });
});
