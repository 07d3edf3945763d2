// kill -9 at random points, then resume: the warehouse must equal a clean run's (0 lost, 0
// duplicates). Each round: fresh DuckDB file and state file, `fb-ads-elt sync` against the sandbox,
// SIGKILL to the target (odd rounds) or to the sync process itself (even rounds) after a random
// delay, then `sync` again until it exits 0 (a leftover target still holding the file gives exit 7:
// wait and retry). The killed target's sync must exit 7 naming it. Tables are compared row by row on every column except the _sdc_* metadata;
// sync_log is compared by (account, status): one row per account per run, so runs add rows by design.
// Usage: node --import tsx bench/reliability/kill9.ts [rounds=20] [seed=1]
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { REPO_ROOT } from '../../connector/core/config.js';
import { startSandbox } from '../../connector/sandbox/index.js';

const rounds = Number(process.argv[2] ?? 20);
let seed = Number(process.argv[3] ?? 1);
const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;

const sandbox = await startSandbox({ world: 'small', seed: 5, jobDurationMs: 5 });
const TODAY = sandbox.world.clock.today;
const START = new Date(Date.parse(TODAY) - 10 * 86_400_000).toISOString().slice(0, 10);

function configs(dir: string): string[] {
  writeFileSync(
    path.join(dir, 'tap.json'),
    JSON.stringify({ access_tokens: sandbox.tokens.map((t) => ({ label: t.label, token: t.token })), api_base_url: sandbox.baseUrl, start_date: START, end_date: TODAY, insights_poll_interval_seconds: 0.02, retry_base_ms: 10, max_retries: 1 }),
  );
  // Small batches: many commits, so a kill lands between commits as often as inside one.
  writeFileSync(path.join(dir, 'target.json'), JSON.stringify({ destination: 'duckdb', duckdb_path: path.join(dir, 'w.duckdb'), batch_rows: 50 }));
  return ['sync', '--config', path.join(dir, 'tap.json'), '--target-config', path.join(dir, 'target.json'), '--state-file', path.join(dir, 'state.json'), '--json'];
}

function start(args: string[]): { child: ChildProcess; done: Promise<{ code: number | null; signal: string | null; stderr: string }> } {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'fb-ads-elt.js'), ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  return { child, done: new Promise((r) => child.on('close', (code, signal) => r({ code, signal, stderr }))) };
}

/** The target's pid: a child of the sync process running bin/target-bigquery.js. */
function targetPid(syncPid: number): number | undefined {
  for (const p of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === syncPid && readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('target-bigquery')) return Number(p);
    } catch {
      // exited meanwhile
    }
  }
  return undefined;
}

async function untilOk(args: string[]): Promise<number> {
  for (let attempt = 1; attempt <= 20; attempt++) {
    const r = await start(args).done;
    if (r.code === 0) return attempt;
    if (r.code !== 7) throw new Error(`resume exited ${r.code}: ${r.stderr.slice(-1500)}`);
    await new Promise((res) => setTimeout(res, 1000));
  }
  throw new Error('resume never succeeded');
}

async function snapshot(file: string): Promise<Map<string, string[]>> {
  const db = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY' });
  const c = await db.connect();
  const out = new Map<string, string[]>();
  try {
    const tables = (await c.runAndReadAll(`select table_name from information_schema.tables where table_schema='facebook_ads' and table_name not like '%__sdc_stage' and not starts_with(table_name, '_sdc_') order by 1`)).getRows().map((r) => String(r[0]));
    for (const t of tables) {
      const cols = (await c.runAndReadAll(`select column_name from information_schema.columns where table_schema='facebook_ads' and table_name='${t}' and column_name not like '\\_sdc\\_%' escape '\\' order by ordinal_position`)).getRows().map((r) => `"${String(r[0])}"`);
      // sync_log gets one row per account per run, and a resumed run reads less (incremental): compare
      // which accounts ended ok, once each.
      const select = t === 'sync_log' ? 'select distinct account_id, status' : `select ${cols.join(', ')}`;
      const rows = (await c.runAndReadAll(`${select} from facebook_ads."${t}" where _sdc_deleted_at is null`)).getRows().map((r) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
      out.set(t, rows.sort());
    }
  } finally {
    c.closeSync();
    db.closeSync();
  }
  return out;
}

function diff(a: Map<string, string[]>, b: Map<string, string[]>): { lost: number; extra: number; tables: string[] } {
  let lost = 0;
  let extra = 0;
  const tables: string[] = [];
  for (const t of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(t) ?? [];
    const y = b.get(t) ?? [];
    const count = (arr: string[]): Map<string, number> => arr.reduce((m, r) => m.set(r, (m.get(r) ?? 0) + 1), new Map<string, number>());
    const cx = count(x);
    const cy = count(y);
    let l = 0;
    let e = 0;
    for (const [r, n] of cx) l += Math.max(0, n - (cy.get(r) ?? 0));
    for (const [r, n] of cy) e += Math.max(0, n - (cx.get(r) ?? 0));
    if (l || e) tables.push(`${t} (-${l} +${e})`);
    lost += l;
    extra += e;
  }
  return { lost, extra, tables };
}

const results: Array<Record<string, unknown>> = [];
try {
  const cleanDir = mkdtempSync(path.join(os.tmpdir(), 'kill9-clean-'));
  const t0 = Date.now();
  await untilOk(configs(cleanDir));
  const cleanMs = Date.now() - t0;
  const clean = await snapshot(path.join(cleanDir, 'w.duckdb'));
  rmSync(cleanDir, { recursive: true, force: true });
  console.log(`clean run: ${cleanMs} ms, ${[...clean.values()].reduce((n, r) => n + r.length, 0)} rows in ${clean.size} tables`);
  for (let i = 0; i < rounds; i++) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kill9-'));
    const args = configs(dir);
    const victim = i % 2 === 0 ? 'target' : 'sync';
    // Within the first 80 % of a clean run's length, so the kill lands while it still runs (load varies).
    const delay = Math.round(500 + rand() * Math.max(1000, cleanMs * 0.8 - 500));
    const run = start(args);
    await new Promise((r) => setTimeout(r, delay));
    let killed = false;
    const pid = victim === 'target' ? targetPid(run.child.pid!) : run.child.pid;
    if (pid !== undefined) {
      try {
        process.kill(pid, 'SIGKILL');
        killed = true;
      } catch {
        killed = false;
      }
    }
    const first = await run.done;
    // A killed target must end its sync with 7 (retry later) naming it; a kill that missed (the run ended first), with 0.
    const expected: Array<number | null> = victim === 'sync' ? [null, 0] : [0, 7];
    const unexpectedExit = !expected.includes(first.code) || (victim === 'target' && first.code === 7 && !first.stderr.includes('target-bigquery was killed by SIGKILL'));
    const attempts = await untilOk(args);
    const d = diff(clean, await snapshot(path.join(dir, 'w.duckdb')));
    results.push({ round: i + 1, victim, delay_ms: delay, killed, first_exit: first.code ?? first.signal, unexpected_exit: unexpectedExit, resume_attempts: attempts, ...d });
    console.log(JSON.stringify(results.at(-1)));
    rmSync(dir, { recursive: true, force: true });
  }
} finally {
  await sandbox.close();
}
const killedRounds = results.filter((r) => r['killed']).length;
const bad = results.filter((r) => (r['lost'] as number) > 0 || (r['extra'] as number) > 0);
const unexpected = results.filter((r) => r['unexpected_exit']).length;
const byVictim = (v: string): number => results.filter((r) => r['killed'] && r['victim'] === v).length;
console.log(
  JSON.stringify({
    rounds,
    killed: killedRounds,
    killed_target: byVictim('target'),
    killed_sync: byVictim('sync'),
    rounds_with_difference: bad.length,
    lost: bad.reduce((n, r) => n + (r['lost'] as number), 0),
    duplicates_or_extra: bad.reduce((n, r) => n + (r['extra'] as number), 0),
    unexpected_exits: unexpected,
  }),
);
if (bad.length || unexpected) process.exitCode = 1;
