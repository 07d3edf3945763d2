// Stress loop for issue 17's lost-tail bug: `fb-ads-elt sync` run N times against the sandbox while
// busy loops load every core; each run compares what the tap says it wrote (its summary line) with
// what the target committed (the DuckDB row counts) and with the run's exit code.
// Usage: node --import tsx bench/reliability/stdout-loss.ts [runs=50] [busyLoops=cores*2] [world=small] [days=14]
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { REPO_ROOT } from '../../connector/core/config.js';
import { startSandbox } from '../../connector/sandbox/index.js';

const runs = Number(process.argv[2] ?? 50);
const busy = Number(process.argv[3] ?? os.availableParallelism() * 2);
const world = (process.argv[4] ?? 'small') as 'small' | 'demo';
const days = Number(process.argv[5] ?? 14);

/** CPU hogs that spin in 50 ms slices and end when our stdin pipe to them closes (even if we are killed). */
const SPIN = 'const spin=()=>{const t=Date.now();while(Date.now()-t<50);setImmediate(spin)};spin();process.stdin.on("end",()=>process.exit());process.stdin.resume()';
function busyLoops(n: number): ChildProcess[] {
  return Array.from({ length: n }, () => spawn(process.execPath, ['-e', SPIN], { stdio: ['pipe', 'ignore', 'ignore'] }));
}

interface RunOutcome {
  code: number | null;
  tapRecords: number | undefined;
  committed: number;
  stderrTail: string;
}

async function committedRows(file: string): Promise<number> {
  const db = await DuckDBInstance.create(file);
  const c = await db.connect();
  try {
    const tables = (await c.runAndReadAll(`select table_name from information_schema.tables where table_schema='facebook_ads' and table_name not like '%__history' and table_name not like '%__sdc_stage' and not starts_with(table_name, '_sdc_')`))
      .getRows()
      .map((r) => String(r[0]));
    let total = 0;
    for (const t of tables) total += Number((await c.runAndReadAll(`select count(*) from facebook_ads."${t}"`)).getRows()[0]![0]);
    return total;
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

function syncOnce(dir: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const args = ['sync', '--config', path.join(dir, 'tap.json'), '--target-config', path.join(dir, 'target.json'), '--json'];
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'fb-ads-elt.js'), ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr: err }));
  });
}

const sandbox = await startSandbox({ world, seed: 5, jobDurationMs: 5 });
const TODAY = sandbox.world.clock.today;
const START = new Date(Date.parse(TODAY) - days * 86_400_000).toISOString().slice(0, 10);
const loops = busyLoops(busy);
const outcomes: RunOutcome[] = [];
try {
  for (let i = 0; i < runs; i++) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'stdout-loss-'));
    writeFileSync(
      path.join(dir, 'tap.json'),
      JSON.stringify({ access_tokens: sandbox.tokens.map((t) => ({ label: t.label, token: t.token })), api_base_url: sandbox.baseUrl, start_date: START, end_date: TODAY, insights_poll_interval_seconds: 0.02, retry_base_ms: 10, max_retries: 1 }),
    );
    writeFileSync(path.join(dir, 'target.json'), JSON.stringify({ destination: 'duckdb', duckdb_path: path.join(dir, 'w.duckdb') }));
    const r = await syncOnce(dir);
    // The tap's own summary line (relayed by sync) says how many RECORD lines it wrote.
    const m = /"component":"tap-facebook-ads"[^\n]*"type":"summary"[^\n]*"records":(\d+)/.exec(r.stderr) ?? /"records":(\d+)[^\n]*"type":"summary"/.exec(r.stderr);
    const tapRecords = m ? Number(m[1]) : undefined;
    const committed = await committedRows(path.join(dir, 'w.duckdb')).catch(() => -1);
    outcomes.push({ code: r.code, tapRecords, committed, stderrTail: r.stderr.slice(-1500) });
    const lost = tapRecords === undefined ? '?' : tapRecords - committed;
    console.log(`run ${i + 1}/${runs}: exit ${r.code}, tap wrote ${tapRecords}, committed ${committed}, lost ${lost}`);
    if (r.code !== 0)
      console.log(
        r.stderr
          .split('\n')
          .filter((l) => /"level":"error"/.test(l))
          .slice(-5)
          .join('\n'),
      );
    rmSync(dir, { recursive: true, force: true });
  }
} finally {
  for (const l of loops) l.kill('SIGKILL');
  await sandbox.close();
}
const silent = outcomes.filter((o) => o.code === 0 && o.tapRecords !== undefined && o.tapRecords !== o.committed).length;
const lossy = outcomes.filter((o) => o.tapRecords !== undefined && o.tapRecords !== o.committed).length;
const failed = outcomes.filter((o) => o.code !== 0).length;
console.log(JSON.stringify({ runs, busy_loops: busy, world, days, runs_with_loss: lossy, silent_loss_exit_0: silent, non_zero_exit: failed }));
if (silent > 0) process.exitCode = 1;
