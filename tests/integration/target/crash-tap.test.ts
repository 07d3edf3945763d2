// Exactly-once with the real pipeline: tap-facebook-ads reads the loopback Graph sandbox and pipes
// into target-bigquery (DuckDB); the target is SIGKILLed at random moments, and each restart runs
// the tap with the last STATE the target emitted, as an orchestrator would. The final tables must
// equal a clean run's row for row (run-specific columns aside: extraction/receipt times, table
// versions — so in _sdc_table_versions only which tables have one — and sync_log and
// insights_coverage, which record each run by design: the crashed runs' coverage must still claim
// every day the clean run read, since each row lands before the bookmark it precedes).
import { expect } from 'chai';
import { VERSIONS_TABLE } from '../../../connector/target/sql.js';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../../connector/core/config.js';
import { nowEnv } from '../../../connector/core/clock.js';
import { startSandbox, type Sandbox } from '../../../connector/sandbox/index.js';
import { openWarehouse, type Warehouse } from './harness.js';

const KILLS = 10;

interface PipelineRun {
  killed: boolean;
  targetCode: number | null;
  lastState: Record<string, unknown> | undefined;
  stderr: string;
}

async function pipeline(now: Date, tapConfig: string, targetConfig: string, stateFile: string | undefined, killAfterMs?: number): Promise<PipelineRun> {
  const env = { ...process.env, METADATA_SERVER_DETECTION: 'none', LOG_LEVEL: 'warn', ...nowEnv(now) };
  const tap = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'tap-facebook-ads.js'), '--config', tapConfig, ...(stateFile ? ['--state', stateFile] : [])], { stdio: ['ignore', 'pipe', 'pipe'], env });
  const target = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'target-bigquery.js'), '--config', targetConfig], { stdio: ['pipe', 'pipe', 'pipe'], env });
  tap.stdout!.pipe(target.stdin!);
  target.stdin!.on('error', () => undefined); // EPIPE once the target is killed
  let out = '';
  let err = '';
  target.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  target.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  tap.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  let killed = false;
  const timer =
    killAfterMs === undefined
      ? undefined
      : setTimeout(() => {
          killed = target.exitCode === null;
          target.kill('SIGKILL');
        }, killAfterMs);
  const targetCode = await new Promise<number | null>((resolve) => target.once('close', (c) => resolve(c)));
  if (timer) clearTimeout(timer);
  if (tap.exitCode === null) {
    const gone = new Promise((r) => tap.once('close', r));
    tap.kill('SIGKILL');
    await gone;
  }
  let lastState: Record<string, unknown> | undefined;
  for (const line of out.split('\n')) if (line.trim()) lastState = JSON.parse(line) as Record<string, unknown>;
  return { killed, targetCode, lastState, stderr: err };
}

/** Rows without the columns that legitimately differ between runs. */
function comparable(rows: Record<string, unknown>[]): string[] {
  return rows
    .map((r) => {
      const { _sdc_received_at: _a, _sdc_batched_at: _b, _sdc_extracted_at: _c, _sdc_table_version: _d, _sdc_deleted_at: del, ...rest } = r;
      return JSON.stringify({ ...rest, deleted: del !== null && del !== undefined });
    })
    .sort();
}

describe('target-bigquery crash safety with the real tap against the Graph sandbox', function () {
  this.timeout(600000);
  let sandbox: Sandbox;
  let dir: string;
  let clean: Warehouse;
  let crashed: Warehouse;
  before(async () => {
    sandbox = await startSandbox({ world: 'small', seed: 7, jobDurationMs: 0, today: '2026-11-20', rateLimits: false });
    dir = mkdtempSync(path.join(os.tmpdir(), 'target-crash-tap-'));
    clean = await openWarehouse('duckdb');
    crashed = await openWarehouse('duckdb');
  });
  after(async () => {
    await sandbox?.close();
    await clean?.close();
    await crashed?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`loads the same rows as a clean run after ${KILLS} SIGKILLs of the target, each resumed from its last emitted STATE`, async () => {
    const tapConfig = path.join(dir, 'tap.json');
    writeFileSync(
      tapConfig,
      JSON.stringify({
        access_tokens: sandbox.tokens.map((t) => ({ label: t.label, token: t.token })),
        api_base_url: sandbox.baseUrl,
        start_date: '2026-11-15',
        end_date: '2026-11-19',
        insights_lookback_days: 3,
      }),
    );
    const cfg = (w: Warehouse, name: string): string => {
      const f = path.join(dir, name);
      writeFileSync(f, JSON.stringify({ duckdb_path: w.duckdbPath, batch_rows: 150, temp_dir: dir }));
      return f;
    };
    const cleanCfg = cfg(clean, 'clean.json');
    const crashCfg = cfg(crashed, 'crash.json');

    const t0 = Date.now();
    const first = await pipeline(sandbox.now(), tapConfig, cleanCfg, undefined);
    expect(first.targetCode, first.stderr).to.equal(0);
    const span = Date.now() - t0;

    let seed = Date.now() % 100000;
    const rand = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const stateFile = path.join(dir, 'state.json');
    let state: Record<string, unknown> | undefined;
    let kills = 0;
    let runs = 0;
    // The kill lands within the time a run takes: the clean run's at first, then that of the last run
    // that finished before its kill (runs resumed from a later state have less to do; a faster target
    // or a shifted clock once left a run short of its tenth kill in 30).
    let base = span;
    while (kills < KILLS && runs < KILLS * 4) {
      runs++;
      if (state) writeFileSync(stateFile, JSON.stringify(state));
      const started = Date.now();
      const r = await pipeline(sandbox.now(), tapConfig, crashCfg, state ? stateFile : undefined, Math.floor(base * (0.1 + 0.8 * rand())));
      if (r.killed) kills++;
      else {
        expect(r.targetCode, r.stderr).to.equal(0);
        base = Math.max(50, Date.now() - started);
      }
      state = r.lastState ?? state;
    }
    if (state) writeFileSync(stateFile, JSON.stringify(state));
    const last = await pipeline(sandbox.now(), tapConfig, crashCfg, state ? stateFile : undefined);
    expect(last.targetCode, last.stderr).to.equal(0);
    expect(kills).to.equal(KILLS);

    const perRun = new Set(['sync_log', 'insights_coverage', VERSIONS_TABLE]);
    const tables = (await clean.tables()).filter((t) => !perRun.has(t));
    // Coverage: the days the crashed warehouse says were read include every day the clean run read.
    const daysRead = async (w: Warehouse): Promise<Set<string>> => {
      const out = new Set<string>();
      for (const r of await w.rows('insights_coverage'))
        for (let d = String(r['date_start']).slice(0, 10); d <= String(r['date_stop']).slice(0, 10); d = new Date(Date.parse(`${d}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10)) out.add(`${String(r['account_id'])}|${String(r['stream'])}|${d}`);
      return out;
    };
    const cleanDays = await daysRead(clean);
    expect(cleanDays.size, 'the clean run wrote coverage').to.be.greaterThan(0);
    const crashedDays = await daysRead(crashed);
    expect(
      [...cleanDays].filter((d) => !crashedDays.has(d)),
      'days read by the clean run that the crashed runs do not claim',
    ).to.deep.equal([]);
    const activated = async (w: typeof clean): Promise<string[]> => (await w.rows(VERSIONS_TABLE)).map((r) => String(r['table_name'])).sort();
    expect(await activated(crashed), 'tables with an activated version').to.deep.equal(await activated(clean));
    expect(tables).to.include.members(['campaigns', 'ads', 'insights_ad', 'campaigns__history']);
    expect(await crashed.tables()).to.include.members(tables);
    let total = 0;
    const counts: string[] = [];
    for (const t of tables) {
      const a = comparable(await clean.rows(t));
      const b = comparable(await crashed.rows(t));
      expect(b.length, `${t} row count`).to.equal(a.length);
      expect(b, t).to.deep.equal(a);
      total += a.length;
      counts.push(`${t}=${a.length}`);
    }
    expect(total, counts.join(' ')).to.be.greaterThan(300);
  });
});
