// A stream of 1,000 properties (HubSpot contacts, a Salesforce object) at the default config: DuckDB
// needs memory by column for each table a batch writes, more than the default duckdb_memory_limit,
// so the target raises DuckDB's limit for that table's commits — and only for that table's.
import { expect } from 'chai';
import { DuckDBInstance } from '@duckdb/node-api';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../../connector/core/config.js';

const PROPS = Array.from({ length: 1000 }, (_, i) => `p${i}`);

const schema = (stream: string, props: readonly string[], keys: string[]): string =>
  JSON.stringify({ type: 'SCHEMA', stream, schema: { type: 'object', properties: { id: { type: 'string' }, updated_time: { type: 'string', format: 'date-time' }, ...Object.fromEntries(props.map((p) => [p, { type: ['null', 'string'] }])) } }, key_properties: keys });

const record = (stream: string, props: readonly string[], id: string, day: number): string => JSON.stringify({ type: 'RECORD', stream, record: { id, updated_time: `2024-01-0${day}T00:00:00Z`, ...Object.fromEntries(props.map((p) => [p, `${p} of ${id}@${day}`])) } });

interface RaisedLine {
  msg: string;
  stream: string;
  columns: number;
  memory_limit: string;
  duckdb_memory_limit: string;
}

describe('target-bigquery on a wide stream at the default duckdb_memory_limit', function () {
  this.timeout(120000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'target-wide-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs the target on a 1,000-property stream `contacts` (a@1, b@1 | a@2, a@3 in batches of two) beside a narrow one. */
  const load = (keys: string[], config: Record<string, unknown>): { raised: RaisedLine[]; file: string } => {
    const narrow = ['n0', 'n1'];
    const lines = [
      schema('contacts', PROPS, keys),
      schema('small', narrow, ['id']),
      record('contacts', PROPS, 'a', 1),
      record('contacts', PROPS, 'b', 1),
      record('small', narrow, 'x', 1),
      record('small', narrow, 'y', 1),
      record('contacts', PROPS, 'a', 2),
      record('contacts', PROPS, 'a', 3),
      JSON.stringify({ type: 'STATE', value: { n: 1 } }),
    ];
    const file = path.join(dir, 'w.duckdb');
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ duckdb_path: file, temp_dir: dir, batch_rows: 2, ...config }));
    const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'target-bigquery.js'), '--config', path.join(dir, 'config.json')], { input: lines.join('\n') + '\n', encoding: 'utf8' });
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout.trim()).to.equal('{"n":1}');
    const logs = r.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as RaisedLine);
    return { raised: logs.filter((l) => l.msg.startsWith('DuckDB memory_limit raised')), file };
  };

  const read = async (file: string, sql: string): Promise<string[]> => {
    const db = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY' });
    try {
      const c = await db.connect();
      return (await c.runAndReadAll(sql)).getRows().map((r) => r.map(String).join(' '));
    } finally {
      db.closeSync();
    }
  };

  // The 1,000 properties, id, updated_time and the target's five _sdc_ columns.
  const COLUMNS = 1007;

  it('appends a keyless wide stream (plain insert), raising the limit for it alone and saying so once', async () => {
    const { raised, file } = load([], {});
    expect(raised.map((l) => [l.stream, l.columns, l.duckdb_memory_limit])).to.deep.equal([['contacts', COLUMNS, '128MB']]);
    expect(Number(/^(\d+)MB$/.exec(raised[0]!.memory_limit)?.[1])).to.be.greaterThan(128);
    expect(await read(file, `SELECT id, p999 FROM facebook_ads.contacts ORDER BY id, updated_time`)).to.deep.equal(['a p999 of a@1', 'a p999 of a@2', 'a p999 of a@3', 'b p999 of b@1']);
  });

  it('MERGEs a keyed wide stream without history', async () => {
    const { raised, file } = load(['id'], { history: false });
    expect(raised.map((l) => [l.stream, l.columns])).to.deep.equal([['contacts', COLUMNS]]);
    expect(await read(file, `SELECT id, p0, p999 FROM facebook_ads.contacts ORDER BY id`)).to.deep.equal(['a p0 of a@3 p999 of a@3', 'b p0 of b@1 p999 of b@1']);
  });

  it('MERGEs a keyed wide stream and keeps its history', async () => {
    const { raised, file } = load(['id'], {});
    expect(raised.map((l) => [l.stream, l.columns])).to.deep.equal([['contacts', COLUMNS]]);
    expect(await read(file, `SELECT id, p999 FROM facebook_ads.contacts ORDER BY id`)).to.deep.equal(['a p999 of a@3', 'b p999 of b@1']);
    expect(await read(file, `SELECT id, p999 FROM facebook_ads.contacts__history ORDER BY id, updated_time`)).to.deep.equal(['a p999 of a@1', 'a p999 of a@2', 'a p999 of a@3', 'b p999 of b@1']);
    expect(await read(file, `SELECT count(*) FROM facebook_ads.small`)).to.deep.equal(['2']);
  });
});
