// The target-bigquery CLI end to end: stdin Singer lines in, state values out on stdout, one JSON
// error line on stderr and the documented exit code on failure, for both destinations.
import { DuckDBInstance } from '@duckdb/node-api';
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../../connector/core/config.js';
import { EXIT_CODES } from '../../../connector/core/errors.js';
import { scratchRoot } from '../../../connector/core/scratch.js';
import { KINDS, openWarehouse, fixture, DATASET, PROJECT, type Warehouse } from './harness.js';

async function cli(configFile: string, input: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const stdin = openSync(input, 'r');
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'target-bigquery.js'), '-c', configFile], {
    stdio: [stdin, 'pipe', 'pipe'],
    env: { ...process.env, METADATA_SERVER_DETECTION: 'none' },
  });
  closeSync(stdin);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
  return { code, stdout, stderr };
}

for (const kind of KINDS) {
  describe(`target-bigquery CLI on ${kind}`, function () {
    this.timeout(60000);
    let w: Warehouse;
    let dir: string;
    let configFile: string;
    beforeEach(async () => {
      w = await openWarehouse(kind);
      dir = mkdtempSync(path.join(os.tmpdir(), 'target-cli-'));
      configFile = path.join(dir, 'config.json');
      const base = { batch_rows: 2, temp_dir: dir };
      writeFileSync(configFile, JSON.stringify(kind === 'duckdb' ? { ...base, duckdb_path: w.duckdbPath } : { ...base, destination: 'bigquery', project_id: PROJECT, dataset: DATASET, api_endpoint: w.emulator!.url }));
    });
    afterEach(async () => {
      await w.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('writes the value of each committed STATE on stdout, as the Singer spec says, and exits 0 after loading', async () => {
      const r = await cli(configFile, fixture('duplicate_keys_in_batch'));
      expect(r.code, r.stderr).to.equal(EXIT_CODES.ok);
      // The tap's value itself (what Meltano stores and hands the next run's tap), never wrapped
      // in {"type": "STATE", "value": …}.
      const lines = r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as unknown);
      expect(lines).to.deep.equal([{ bookmarks: { campaigns: { '1001': { updated_time: '2024-01-03T00:00:00+0000' } } } }]);
      expect((await w.rows('campaigns')).length).to.equal(2);
    });

    it('loads a SCHEMA written for another JSON Schema draft, with a time without offset and a format it does not know, writing only JSON lines on stderr', async () => {
      // What taps copy from their sources: a draft-04 header (ajv refused to compile it: exit 6 for
      // the whole stream), the Meltano SDK's TimeType value "12:00:00" (refused: RFC 3339 wants an
      // offset), and a custom format (ajv's plain-text warning on stderr, twice).
      const schema = { $schema: 'http://json-schema.org/draft-04/schema#', type: 'object', properties: { id: { type: 'string' }, at: { type: ['null', 'string'], format: 'time' }, code: { type: 'string', format: 'x-custom-code' } } };
      const input = path.join(dir, 'drafts.jsonl');
      const lines = [
        { type: 'SCHEMA', stream: 's', schema, key_properties: ['id'] },
        { type: 'RECORD', stream: 's', record: { id: 'a', at: '12:00:00', code: 'q' } },
        { type: 'RECORD', stream: 's', record: { id: 'b', at: '23:59:59.5+01:00', code: 'r' } },
        { type: 'STATE', value: { n: 1 } },
      ];
      writeFileSync(input, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
      const r = await cli(configFile, input);
      expect(r.code, r.stderr).to.equal(EXIT_CODES.ok);
      for (const line of r.stderr.trim().split('\n').filter(Boolean)) expect(() => JSON.parse(line) as unknown, line).to.not.throw();
      expect(r.stdout.trim()).to.equal('{"n":1}');
      expect((await w.rows('s', ['id'])).map((row) => [row['id'], row['at'], row['code']])).to.deep.equal([
        ['a', '12:00:00', 'q'],
        ['b', '23:59:59.5+01:00', 'r'],
      ]);
    });

    it('reports what it committed (and dropped as stale) as record_count metrics per stream and account, tagged committed or stale', async () => {
      const input = path.join(dir, 'two-accounts.jsonl');
      const rec = (id: string, account: string, version?: number): string => JSON.stringify({ type: 'RECORD', stream: 'campaigns', ...(version ? { version } : {}), record: { id, account_id: account } });
      writeFileSync(
        input,
        [
          JSON.stringify({ type: 'SCHEMA', stream: 'campaigns', schema: { type: 'object', properties: { id: { type: 'string' }, account_id: { type: 'string' } } }, key_properties: ['id'] }),
          rec('1', 'A'),
          rec('2', 'A'),
          rec('3', 'B'),
          rec('1', 'A'),
          JSON.stringify({ type: 'ACTIVATE_VERSION', stream: 'campaigns', version: 20 }),
          rec('4', 'B', 10),
          JSON.stringify({ type: 'STATE', value: { done: true } }),
        ].join('\n') + '\n',
      );
      const r = await cli(configFile, input);
      expect(r.code, r.stderr).to.equal(EXIT_CODES.ok);
      const logs = r.stderr
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const metrics = logs.filter((l) => l['metric'] === 'record_count');
      expect(metrics.map((m) => [m['value'], m['tags']])).to.have.deep.members([
        [3, { stream: 'campaigns', account_id: 'A', status: 'committed' }],
        [1, { stream: 'campaigns', account_id: 'B', status: 'committed' }],
        [1, { stream: 'campaigns', account_id: 'B', status: 'stale' }],
      ]);
      expect(logs.find((l) => String(l['msg']).startsWith('stale records dropped'))).to.include({ level: 'warn', stream: 'campaigns', line: 7, version: 10, activated_version: 20 });
      expect(logs.find((l) => l['msg'] === 'load finished')).to.include({ stale_records: 1 });
      expect(String(metrics[0]!['msg'])).to.match(/^METRIC: \{"type":"counter","metric":"record_count","value":\d+,"tags":\{"stream":"campaigns"/);
      expect((await w.rows('campaigns')).length).to.equal(3);
    });

    it('emits a state holding an integer beyond 2^53 digit for digit', async () => {
      const input = path.join(dir, 'big-state.jsonl');
      writeFileSync(input, `${JSON.stringify({ type: 'SCHEMA', stream: 'campaigns', schema: { type: 'object', properties: { id: { type: 'string' } } }, key_properties: ['id'] })}\n{"type":"STATE","value":{"cursor":9007199254740993,"f":0.5}}\n`);
      const r = await cli(configFile, input);
      expect(r.code, r.stderr).to.equal(EXIT_CODES.ok);
      expect(r.stdout).to.equal('{"cursor":9007199254740993,"f":0.5}\n');
    });

    it('exits 6 on a broken line with one JSON error line naming line and stream, keeping committed STATE', async () => {
      const r = await cli(configFile, fixture('bad_json_line'));
      expect(r.code).to.equal(EXIT_CODES.data);
      const errors = r.stderr
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((l) => l['level'] === 'error');
      expect(errors).to.have.length(1);
      expect(errors[0]).to.include({ error_kind: 'data', exit_code: 6, line: 5, stream: 'campaigns' });
      expect(String(errors[0]!['msg'])).to.match(/line 5: not valid JSON/);
      expect(
        r.stdout
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as unknown),
      ).to.deep.equal([{ bookmarks: { campaigns: { '1001': { updated_time: '2024-01-01T00:00:00Z' } } } }]);
      expect((await w.rows('campaigns', ['id'])).map((x) => x['id'])).to.deep.equal(['1', '2']);
    });
  });
}

describe('target-bigquery CLI configuration', function () {
  this.timeout(30000);
  it('exits 2 when the BigQuery destination has no project_id', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'target-cli-'));
    try {
      const configFile = path.join(dir, 'config.json');
      writeFileSync(configFile, JSON.stringify({ destination: 'bigquery', dataset: DATASET }));
      const r = await cli(configFile, fixture('duplicate_keys_in_batch'));
      expect(r.code).to.equal(EXIT_CODES.config);
      expect(r.stderr).to.match(/project_id is required/);
      expect(r.stdout).to.equal('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits 7 with "another run holds <file> (pid N: program)" when another process holds the DuckDB file', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'target-cli-'));
    const file = path.join(dir, 'w.duckdb');
    const holder = spawn(process.execPath, ['--input-type=module', '-e', `import { DuckDBInstance } from '@duckdb/node-api'; await DuckDBInstance.create(${JSON.stringify(file)}); console.log('held'); setInterval(() => {}, 1000);`], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      await new Promise((r) => holder.stdout.once('data', r));
      const configFile = path.join(dir, 'config.json');
      writeFileSync(configFile, JSON.stringify({ duckdb_path: file }));
      const r = await cli(configFile, fixture('duplicate_keys_in_batch'));
      expect(r.code).to.equal(EXIT_CODES.retryLater);
      const error = JSON.parse(r.stderr.trim().split('\n').pop()!) as Record<string, unknown>;
      // The holder's program is named: often a notebook or a shell rather than a run.
      expect(error['msg']).to.equal(`another run holds ${file} (pid ${holder.pid}: ${process.execPath})`);
      expect(error['hint'])
        .to.match(/wait for that run to finish/)
        .and.match(/close the DuckDB client/);
      expect(r.stdout).to.equal('');
    } finally {
      holder.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('creates the DuckDB warehouse owner-only (0600) even when started with umask 022', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'target-cli-'));
    const previous = process.umask(0o022); // the child inherits it: the common default
    try {
      const file = path.join(dir, 'new', 'w.duckdb');
      const configFile = path.join(dir, 'config.json');
      writeFileSync(configFile, JSON.stringify({ duckdb_path: file, temp_dir: dir }));
      const r = await cli(configFile, fixture('duplicate_keys_in_batch'));
      expect(r.code, r.stderr).to.equal(EXIT_CODES.ok);
      expect((statSync(file).mode & 0o777).toString(8), 'the warehouse').to.equal('600');
      expect((statSync(path.dirname(file)).mode & 0o777).toString(8), 'the folder it created').to.equal('700');
    } finally {
      process.umask(previous);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('leaves row data only in a private folder after kill -9, and the next start removes it', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'target-cli-'));
    try {
      const configFile = path.join(dir, 'config.json');
      writeFileSync(configFile, JSON.stringify({ duckdb_path: path.join(dir, 'w.duckdb'), temp_dir: dir }));
      const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'target-bigquery.js'), '-c', configFile], { stdio: ['pipe', 'ignore', 'ignore'] });
      child.stdin.write(JSON.stringify({ type: 'SCHEMA', stream: 's', schema: { type: 'object', properties: { id: { type: 'string' }, pad: { type: 'string' } } }, key_properties: ['id'] }) + '\n');
      for (let i = 0; i < 400; i++) child.stdin.write(JSON.stringify({ type: 'RECORD', stream: 's', record: { id: String(i), pad: 'x'.repeat(1000) } }) + '\n');
      const root = scratchRoot(dir);
      const deadline = Date.now() + 20_000;
      const batchFiles = (): string[] => readdirSync(root).flatMap((d) => readdirSync(path.join(root, d)).map((f) => path.join(root, d, f)));
      while (batchFiles().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const [file] = batchFiles();
      expect(file, 'a batch file with row data exists while it runs').to.be.a('string');
      expect(statSync(file!).mode & 0o077, 'not readable by group or others').to.equal(0);
      expect(statSync(path.dirname(file!)).mode & 0o077).to.equal(0);
      child.kill('SIGKILL');
      await new Promise((r) => child.once('close', r));
      expect(existsSync(file!), 'kill -9 leaves it').to.equal(true);
      const r = await cli(configFile, fixture('duplicate_keys_in_batch'));
      expect(r.code, r.stderr).to.equal(EXIT_CODES.ok);
      expect(readdirSync(root), 'the next run removed it and its own').to.deep.equal([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('target-bigquery CLI stopped by a signal (Ctrl-C on a Singer pipe reaches the target too)', function () {
  this.timeout(60000);
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'target-stop-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('commits what it received up to the last complete line, echoes the state covering it and exits 7; the incomplete line is not read', async () => {
    const duckdbPath = path.join(dir, 'w.duckdb');
    const configFile = path.join(dir, 'config.json');
    writeFileSync(configFile, JSON.stringify({ duckdb_path: duckdbPath, batch_rows: 3, temp_dir: dir }));
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'target-bigquery.js'), '-c', configFile], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const closed = new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
    const record = (id: number): string => JSON.stringify({ type: 'RECORD', stream: 'campaigns', record: { id: String(id), name: `c${id}` } });
    const lines = [
      JSON.stringify({ type: 'SCHEMA', stream: 'campaigns', schema: { type: 'object', properties: { id: { type: 'string' }, name: { type: ['null', 'string'] } } }, key_properties: ['id'] }),
      ...[1, 2, 3].map(record),
      JSON.stringify({ type: 'STATE', value: { n: 1 } }),
      ...[4, 5].map(record),
      JSON.stringify({ type: 'STATE', value: { n: 2 } }),
    ];
    // The tap is still writing: the last line has no line break yet.
    child.stdin!.write(lines.join('\n') + '\n' + record(6).slice(0, 30));
    // {"n":1} is echoed once the first batch (3 rows) is committed: the target has read that far.
    await new Promise<void>((resolve) =>
      child.stdout!.setEncoding('utf8').on('data', (d: string) => {
        stdout += d;
        if (stdout.includes('{"n":1}')) resolve();
      }),
    );
    child.kill('SIGTERM');
    expect(await closed, stderr).to.equal(EXIT_CODES.retryLater);
    expect(stdout.trim().split('\n')).to.deep.equal(['{"n":1}', '{"n":2}']);
    const last = JSON.parse(stderr.trim().split('\n').pop()!) as Record<string, unknown>;
    expect(last).to.include({ error_kind: 'transient', signal: 'SIGTERM' });
    expect(String(last['msg'])).to.match(/^stopped by SIGTERM before the input ended/);
    const db = await DuckDBInstance.create(duckdbPath, { access_mode: 'READ_ONLY' });
    const c = await db.connect();
    try {
      const ids = (await c.runAndReadAll('select id from facebook_ads.campaigns order by id')).getRows().map((r) => String(r[0]));
      expect(ids).to.deep.equal(['1', '2', '3', '4', '5']);
    } finally {
      c.closeSync();
      db.closeSync();
    }
  });
});
