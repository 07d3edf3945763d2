// `fb-ads-elt sync` as a user runs it: the shipped bin, real tap and target processes, the Graph
// sandbox on loopback with injected faults, a DuckDB file and a state file between runs.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../connector/core/config.js';
import { nowEnv } from '../../connector/core/clock.js';
import { startSandbox, type Sandbox } from '../../connector/sandbox/index.js';
import type { SyncSummary } from '../../connector/pipeline/summary.js';

interface CliRun {
  code: number | null;
  summary: SyncSummary;
  stderr: string;
}

/** Runs `fb-ads-elt sync` pinned to `now` (FB_ADS_ELT_NOW), as a user pins a run to the sandbox's clock. */
function runCli(now: Date, args: string[]): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'fb-ads-elt.js'), 'sync', ...args, '--json'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...nowEnv(now) } });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      try {
        resolve({ code, summary: JSON.parse(out) as SyncSummary, stderr: err });
      } catch (e) {
        reject(new Error(`no JSON summary on stdout (exit ${code}): ${out}\n${err.slice(-2000)}`, { cause: e }));
      }
    });
  });
}

/** States of a process's threads, its main thread first ("Z" a zombie, "D" in a disk wait); [] once it is gone. */
function threadStates(pid: string): string[] {
  try {
    const tids = readdirSync(`/proc/${pid}/task`).sort((x, y) => (x === pid ? -1 : y === pid ? 1 : Number(x) - Number(y)));
    return tids.map((t) => /^State:\s+(\S)/m.exec(readFileSync(`/proc/${pid}/task/${t}/status`, 'utf8'))?.[1] ?? '?');
  } catch {
    return [];
  }
}

/** A process's command line and parent, for a failure message. */
function procLine(pid: string): string {
  try {
    const ppid = /^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return `${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim() || '(no command line)'} (parent ${ppid ?? '?'})`;
  } catch {
    return '(gone)';
  }
}

describe('fb-ads-elt sync (CLI, against the sandbox)', function () {
  this.timeout(300_000);
  let sandbox: Sandbox;
  let dir: string;
  let args: string[];

  before(async () => {
    sandbox = await startSandbox({ world: 'small', seed: 5, jobDurationMs: 10 });
    dir = mkdtempSync(path.join(tmpdir(), 'e2e-cli-sync-'));
    writeFileSync(
      path.join(dir, 'tap.json'),
      JSON.stringify({ access_tokens: sandbox.tokens.map((t) => ({ label: t.label, token: t.token })), api_base_url: sandbox.baseUrl, start_date: '2026-11-12', end_date: sandbox.world.clock.today, insights_poll_interval_seconds: 0.02, retry_base_ms: 10, max_retries: 1 }),
    );
    writeFileSync(path.join(dir, 'target.json'), JSON.stringify({ destination: 'duckdb', duckdb_path: path.join(dir, 'w.duckdb') }));
    args = ['--config', path.join(dir, 'tap.json'), '--target-config', path.join(dir, 'target.json'), '--state-file', path.join(dir, 'state.json')];
  });
  afterEach(() => sandbox.faults.clear());
  after(async () => {
    await sandbox?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('syncs, saves the committed state and prints a JSON summary, relaying redacted JSON logs on stderr', async () => {
    const r = await runCli(sandbox.now(), args);
    expect(r.code, r.stderr.slice(-3000)).to.equal(0);
    expect(r.summary.status).to.equal('ok');
    expect(r.summary.accounts.found).to.equal(sandbox.world.accounts.length);
    expect(r.summary.rows['insights_account']).to.be.greaterThan(0);
    expect(r.summary.objects['campaigns']).to.have.property('deleted_or_archived').that.is.a('number');
    const state = JSON.parse(readFileSync(path.join(dir, 'state.json'), 'utf8')) as { bookmarks: Record<string, Record<string, unknown>> };
    expect(Object.keys(state.bookmarks['campaigns'] ?? {})).to.have.length(sandbox.world.accounts.length);
    const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
    for (const l of lines) expect(() => JSON.parse(l), l).not.to.throw();
    for (const t of sandbox.tokens) expect(r.stderr).not.to.include(t.token);
  });

  it('re-reads only the streams --full-refresh names from start_date, the others from their bookmarks, and keeps the state of both', async () => {
    const first = await runCli(sandbox.now(), args);
    expect(first.code, first.stderr.slice(-3000)).to.equal(0);
    const again = await runCli(sandbox.now(), [...args, '--full-refresh', 'campaigns']);
    expect(again.code, again.stderr.slice(-3000)).to.equal(0);
    // Every campaign the token reaches is read again, as rows without a bookmark; nothing else is.
    const campaigns = sandbox.world.campaigns.length;
    expect(first.summary.objects['campaigns']?.found).to.equal(0);
    expect(again.summary.objects['campaigns']).to.include({ found: campaigns, first_read: campaigns, added: 0 });
    expect(again.summary.objects['ad_sets']?.found).to.equal(0);
    expect(again.stderr).to.match(/full refresh: campaigns is read from start_date/);
    const state = JSON.parse(readFileSync(path.join(dir, 'state.json'), 'utf8')) as { bookmarks: Record<string, Record<string, unknown>> };
    expect(Object.keys(state.bookmarks['campaigns'] ?? {})).to.have.length(sandbox.world.accounts.length);
  });

  it('counts nothing as added on a second run without state against the loaded warehouse: the rows are "read without a bookmark"', async () => {
    const r = await runCli(sandbox.now(), [...args.slice(0, 4), '--days', '1']);
    expect(r.code, r.stderr.slice(-3000)).to.equal(0);
    const streams = Object.entries(r.summary.objects);
    expect(streams.length).to.be.greaterThan(0);
    for (const [stream, c] of streams) {
      expect(c.added, stream).to.equal(0);
      expect(c.updated, stream).to.equal(0);
      expect(c.first_read, stream).to.equal(c.found);
    }
    expect(r.summary.objects['campaigns']?.first_read).to.be.greaterThan(0);
  });

  it("refuses another tap's state file with exit 2 before the tap starts, naming the file and the unknown stream, leaving the file as it was", async () => {
    const foreign = path.join(dir, 'singer-io-state.json');
    const text = '{"bookmarks":{"ads_insights":{"date_start":"2025-01-01T00:00:00Z"}}}';
    writeFileSync(foreign, text);
    const r = await runCli(sandbox.now(), [...args.slice(0, 4), '--state-file', foreign]);
    expect(r.code, r.stderr.slice(-3000)).to.equal(2);
    const f = r.summary.failures[0];
    expect(f?.message).to.include(foreign).and.include('unknown stream "ads_insights"').and.include("another tap's state");
    expect(f?.hint).to.include(`mv ${foreign}`);
    expect(readFileSync(foreign, 'utf8')).to.equal(text);
  });

  it('warns once, naming it, that an empty state file makes the run a backfill; an account no token reaches gets a hint naming --account', async () => {
    const empty = path.join(dir, 'empty-state.json');
    writeFileSync(empty, '');
    const r = await runCli(sandbox.now(), [...args.slice(0, 4), '--state-file', empty, '--account', '999999', '--days', '1']);
    const warnings = r.stderr.split('\n').filter((l) => l.includes('empty state file'));
    expect(warnings, r.stderr.slice(-3000)).to.have.length(1);
    expect(JSON.parse(warnings[0]!)).to.include({ level: 'warn', msg: `empty state file ${empty}: this run backfills from start_date` });
    const failure = r.summary.failures.find((x) => x.account_id === '999999');
    expect(failure?.hint, JSON.stringify(r.summary.failures)).to.include('--account').and.not.include('config.account_ids');
  });

  it('exits 5 when one account is forbidden, names it with a hint, and still commits the others', async () => {
    const victim = sandbox.world.accounts[1]!.accountId;
    sandbox.faults.add({ kind: 'account_forbidden', accountId: victim });
    const r = await runCli(sandbox.now(), [...args, '--days', '2']);
    expect(r.code, r.stderr.slice(-3000)).to.equal(5);
    expect(r.summary.status).to.equal('partial');
    const failure = r.summary.failures.find((f) => f.account_id === victim);
    expect(failure).to.include({ scope: 'account', kind: 'permission' });
    expect(failure?.hint).to.be.a('string').and.not.equal('');
    expect(r.summary.accounts.failed).to.equal(1);
    expect(r.summary.accounts.added).to.equal(0);
    expect(r.summary.accounts.list.filter((a) => a.status === 'ok')).to.have.length(sandbox.world.accounts.length - 1);
  });

  it('exits 5 when one token is dead on a first run, and the summary names that token with its hint', async () => {
    const dead = sandbox.tokens[0]!.label;
    sandbox.faults.add({ kind: 'token_expired', token: dead });
    const fresh = [...args.slice(0, 4), '--state-file', path.join(dir, 'first-run-state.json'), '--days', '1'];
    const r = await runCli(sandbox.now(), fresh);
    expect(r.code, r.stderr.slice(-3000)).to.equal(5);
    expect(r.summary.accounts.failed).to.equal(0);
    const token = r.summary.failures.find((f) => f.scope === 'tap');
    expect(token, JSON.stringify(r.summary.failures)).to.include({ kind: 'auth' });
    expect(token?.message).to.include(`token "${dead}"`);
    expect(token?.hint).to.match(/token/);
    // No "some accounts failed" without an account: the cause is the token named above.
    expect(r.summary.failures.map((f) => f.message)).not.to.include('tap exited with 5');
    for (const t of sandbox.tokens) expect(JSON.stringify(r.summary)).not.to.include(t.token);
  });

  /**
   * A long sync (start_date far back) into its own warehouse, sent `signals` SIGINTs 200 ms apart once
   * the tap reads insights — as a terminal's Ctrl-C reaches the CLI's process group (the children run
   * in their own). Resolves with the exit code or signal, stdout, stderr and the paths it used.
   */
  async function interruptedSync(name: string, signals: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string; warehouse: string; state: string }> {
    const long = path.join(dir, 'tap-long.json');
    const config = JSON.parse(readFileSync(path.join(dir, 'tap.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(long, JSON.stringify({ ...config, start_date: '2025-06-01' }));
    const target = path.join(dir, `target-${name}.json`);
    const warehouse = path.join(dir, `${name}.duckdb`);
    writeFileSync(target, JSON.stringify({ destination: 'duckdb', duckdb_path: warehouse }));
    const state = path.join(dir, `${name}-state.json`);
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'fb-ads-elt.js'), 'sync', '--config', long, '--target-config', target, '--state-file', state, '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...nowEnv(sandbox.now()) },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => {
      const first = err === '' || !err.includes('"stream":"insights_');
      err += c.toString();
      if (first && err.includes('"stream":"insights_')) for (let i = 0; i < signals; i++) setTimeout(() => child.kill('SIGINT'), 200 * i);
    });
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('close', (c, sig) => resolve([c, sig])));
    return { code, signal, out, err, warehouse, state };
  }

  it('ends a run interrupted by Ctrl-C twice with exit 7, a summary and the saved state, leaving no target behind', async () => {
    const { code, out, err, warehouse, state } = await interruptedSync('sigint', 2);
    expect(code, err.slice(-3000)).to.equal(7);
    const summary = JSON.parse(out) as SyncSummary;
    expect(summary.failures.map((f) => f.kind)).to.include('stopped');
    expect(err).to.include('SIGINT again: already stopping');
    expect(summary.state.written, 'state saved').to.equal(true);
    expect(existsSync(state)).to.equal(true);
    // The target ended with the CLI: the file is free for the re-run typed next.
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await DuckDBInstance.create(warehouse);
    db.closeSync();
  });

  it('stops at once on a third Ctrl-C (killed by SIGINT: the shell shows 130) and kills the tap and the target, so the warehouse is free for the re-run', async () => {
    const { code, signal, err, warehouse } = await interruptedSync('sigint3', 3);
    expect([code, signal], err.slice(-3000)).to.deep.equal([null, 'SIGINT']);
    expect(err).to.include('SIGINT a third time: stopping at once');
    // No target left committing in the background, holding the DuckDB file against the re-run. A
    // killed target may still be tearing down (its main thread a zombie, a thread finishing a disk
    // write, seen in full CI runs): the lock must then be free within moments, never held by a
    // target still running.
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        const db = await DuckDBInstance.create(warehouse);
        db.closeSync();
        return;
      } catch (e) {
        const pid = /\(PID (\d+)\)/.exec(String(e))?.[1];
        const threads = pid ? threadStates(pid) : [];
        const dying = threads.length === 0 || threads[0] === 'Z';
        if (!dying || Date.now() > deadline) throw new Error(`${String(e)}\nholder ${pid ?? '?'}: ${pid ? procLine(pid) : ''} threads ${threads.join('')}\nCLI stderr tail: ${err.slice(-2000)}`, { cause: e });
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  });

  it('exits 3 with the token hint when every token has expired, leaving the state file as it was', async () => {
    const before = readFileSync(path.join(dir, 'state.json'), 'utf8');
    for (const t of sandbox.tokens) sandbox.faults.add({ kind: 'token_expired', token: t.label });
    const r = await runCli(sandbox.now(), [...args, '--account', sandbox.world.accounts[0]!.accountId]);
    expect(r.code, r.stderr.slice(-3000)).to.equal(3);
    expect(r.summary.status).to.equal('failed');
    expect(r.summary.failures.map((f) => f.kind)).to.include('auth');
    expect(r.summary.failures.some((f) => /token/i.test(f.hint ?? ''))).to.equal(true);
    expect(readFileSync(path.join(dir, 'state.json'), 'utf8')).to.equal(before);
  });

  // Last: it moves the sandbox's clock.
  it('lists creatives refused with 190/492 (no role on their Page) as skipped objects in its summary, with the fix, and exits 0', async () => {
    sandbox.advanceDay(3); // ads change, so their creatives are re-read by id
    const byPage = new Map<string, string[]>();
    for (const c of sandbox.world.creatives) byPage.set(c.pageId, [...(byPage.get(c.pageId) ?? []), c.id]);
    const onPage = [...byPage.values()].sort((a, b) => b.length - a.length)[0]!;
    sandbox.faults.add({ kind: 'graph_error', name: 'error_190_492', path: `^/(${onPage.join('|')})$` });
    const r = await runCli(sandbox.now(), [...args, '--days', '2']);
    expect(r.code, r.stderr.slice(-3000)).to.equal(0);
    expect(r.summary.skipped_objects.length).to.be.greaterThan(0);
    for (const o of r.summary.skipped_objects) {
      expect(onPage.map((id) => `creative ${id}`)).to.include(o.object);
      expect(o.kind).to.equal('permission');
      expect(o.hint).to.match(/role on the Facebook Page/);
    }
    expect(r.summary.failures).to.deep.equal([]);
  });
});
