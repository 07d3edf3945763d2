// DuckDB's buffer pool too small for a batch (duckdb_memory_limit): the real DuckDB's "Out of
// Memory Error" must reach the user as what to change — not as "a bug" — with nothing of the
// batch committed and no STATE emitted.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../../connector/core/config.js';
import { generateLines } from './generate.js';

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
});
