// DuckDB's buffer pool too small for a batch (duckdb_memory_limit): the real DuckDB's "Out of
// Memory Error" must reach the user as what to change — not as "a bug" — with nothing of the
// batch committed and no STATE emitted.
import { expect } from 'chai';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../../connector/core/config.js';
import { generateLines } from './generate.js';
import { commitMemoryMb } from '../../../connector/target/duckdb/memory.js';

describe('target-bigquery when DuckDB runs out of memory', function () {
  this.timeout(60000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'target-oom-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 1 naming duckdb_memory_limit and batch_bytes as the fix, and emits no STATE', () => {
    const input = path.join(dir, 'in.jsonl');
    writeFileSync(input, [...generateLines({ messages: 400, stateEvery: 100 })].join('\n') + '\n');
    const config = path.join(dir, 'config.json');
    // 4MB: read_json alone asks for a 32 MiB buffer, so every batch fails the same way.
    writeFileSync(config, JSON.stringify({ duckdb_path: path.join(dir, 'w.duckdb'), temp_dir: dir, duckdb_memory_limit: '4MB' }));
    const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'target-bigquery.js'), '--config', config], { input: readFileSync(input, 'utf8'), encoding: 'utf8' });
    expect(r.status, r.stderr).to.equal(1);
    expect(r.stdout).to.equal('');
    const last = JSON.parse(r.stderr.trim().split('\n').pop()!) as { msg: string; hint: string; duckdb_memory_limit?: string };
    expect(last.msg).to.match(/^DuckDB ran out of memory loading a batch of \d+ rows of stream "\w+" \(duckdb_memory_limit 4MB\): Out of Memory Error/);
    expect(last.hint).to.match(/Raise duckdb_memory_limit .* or lower batch_bytes/);
    expect(last.duckdb_memory_limit).to.equal('4MB');
  });

  it('keeps a duckdb_memory_limit the user set: a wide table (1,000 columns) too wide for it fails, naming the limit its columns need, and that limit loads it', () => {
    // A HubSpot- or Salesforce-like stream: 1,000 properties, two rows then a re-read (MERGE and history).
    const props = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`p${i}`, { type: ['null', 'string'] }]));
    const row = (id: string, day: string): string => JSON.stringify({ type: 'RECORD', stream: 'contacts', record: { id, updated_time: `2024-01-0${day}T00:00:00Z`, ...Object.fromEntries(Object.keys(props).map((p) => [p, `${p} of ${id}`])) } });
    const lines = [
      JSON.stringify({ type: 'SCHEMA', stream: 'contacts', schema: { type: 'object', properties: { id: { type: 'string' }, updated_time: { type: 'string', format: 'date-time' }, ...props } }, key_properties: ['id'] }),
      row('a', '1'),
      row('b', '1'),
      row('a', '2'),
      row('a', '3'),
      JSON.stringify({ type: 'STATE', value: { n: 1 } }),
    ];
    const run = (limit: string | undefined): SpawnSyncReturns<string> => {
      const config = path.join(dir, 'config.json');
      writeFileSync(config, JSON.stringify({ duckdb_path: path.join(dir, 'w.duckdb'), temp_dir: dir, batch_rows: 2, ...(limit ? { duckdb_memory_limit: limit } : {}) }));
      return spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin', 'target-bigquery.js'), '--config', config], { input: lines.join('\n') + '\n', encoding: 'utf8' });
    };
    // 128MB is the default's value: set by the user, it is theirs, and never raised.
    const failed = run('128MB');
    expect(failed.status, failed.stderr).to.equal(1);
    expect(failed.stderr).not.to.include('memory_limit raised');
    const last = JSON.parse(failed.stderr.trim().split('\n').pop()!) as { msg: string; hint: string; columns?: number; duckdb_memory_limit?: string };
    expect(last.msg).to.match(/\(duckdb_memory_limit 128MB\): Out of Memory Error/);
    expect(last.columns).to.equal(1007);
    expect(last.duckdb_memory_limit).to.equal('128MB');
    const limit = /set duckdb_memory_limit to at least "(\d+MB)"/.exec(last.hint)?.[1];
    // What the target raises its default to for such a table.
    expect(limit, last.hint).to.equal(`${commitMemoryMb(1007, 'history')}MB`);
    const loaded = run(limit);
    expect(loaded.status, loaded.stderr).to.equal(0);
    expect(loaded.stdout.trim()).to.equal('{"n":1}');
  });
});
