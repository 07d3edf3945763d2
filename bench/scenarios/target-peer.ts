// Our target against target-duckdb 0.8.0 (bench/peers/install.sh; duckdb pinned below 1.5) on the
// same Singer file of insights_ad rows as the tap emits them: rows/s, peak RSS, and the rows each
// one's table holds afterwards (target-duckdb with duckdb ≥ 1.5 loses the first row of every batch).
import { spawnSync } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { bin } from '../peers/run.js';
import { runChild, type ChildRun } from '../proc.js';
import { check, fmtBytes, fmtMs, fmtNum, fmtRatio, ratio, type Section } from '../report.js';
import { writeInsightsInput } from '../singer-input.js';
import { peersInstalled } from './peers.js';
import { TARGET_ARGS, TARGET_NODE } from '../target-command.js';

export interface TargetPeerOptions {
  dir: string;
  /** Rows in the file: small enough that target-duckdb finishes in well under a minute here. */
  rows: number;
  timeoutMs: number;
  /** Run target-duckdb too (false: --no-peers). */
  withPeer: boolean;
}

async function countOurs(db: string): Promise<number> {
  const inst = await DuckDBInstance.create(db, { access_mode: 'READ_ONLY' });
  const conn = await inst.connect();
  try {
    const r = await conn.runAndReadAll('SELECT count(*) FROM facebook_ads.insights_ad');
    return Number(r.getRows()[0]?.[0] ?? NaN);
  } finally {
    conn.closeSync();
    inst.closeSync();
  }
}

function countTheirs(db: string): number {
  const r = spawnSync(bin('target-duckdb', 'python'), ['-c', 'import duckdb,sys; print(duckdb.connect(sys.argv[1], read_only=True).execute("select count(*) from bench.insights_ad").fetchone()[0])', db], { encoding: 'utf8' });
  return r.status === 0 ? Number(r.stdout.trim()) : NaN;
}

export async function targetPeerBench(o: TargetPeerOptions): Promise<Section> {
  const started = performance.now();
  const input = join(o.dir, 'target-peer.jsonl');
  const bytes = await writeInsightsInput(input, o.rows);
  const lineBytes = Math.round(statSync(input).size / (o.rows + 2));
  const oursDb = join(o.dir, 'ours.duckdb');
  const oursCfg = join(o.dir, 'ours-target.json');
  writeFileSync(oursCfg, JSON.stringify({ destination: 'duckdb', duckdb_path: oursDb, temp_dir: o.dir }));
  const ours: ChildRun = await runChild(TARGET_NODE, { args: [...TARGET_ARGS, '--config', oursCfg], stdinFile: input, cwd: o.dir, timeoutMs: o.timeoutMs });
  if (ours.code !== 0) throw new Error(`target-bigquery exited ${ours.code}: ${ours.stderr.slice(-2000)}`);
  const oursRows = await countOurs(oursDb);
  const rows: string[][] = [['ours (target-bigquery, DuckDB)', fmtNum(oursRows), fmtMs(ours.wallMs), fmtNum(o.rows / (ours.wallMs / 1000)), fmtBytes(ours.peakRssBytes), '0']];
  const notes: string[] = [];
  const checks = [];
  if (!o.withPeer || !peersInstalled('target-duckdb')) {
    notes.push(o.withPeer ? 'target-duckdb did not run: its virtual environment is not installed (bench/peers/install.sh).' : 'target-duckdb was left out of this run (`--no-peers`).');
  } else {
    const theirDb = join(o.dir, 'theirs.duckdb');
    const theirCfg = join(o.dir, 'theirs-target.json');
    writeFileSync(theirCfg, JSON.stringify({ path: theirDb, default_target_schema: 'bench' }));
    const theirs = await runChild(bin('target-duckdb', 'target-duckdb'), { args: ['--config', theirCfg], stdinFile: input, cwd: o.dir, timeoutMs: o.timeoutMs });
    const theirRows = theirs.code === 0 ? countTheirs(theirDb) : NaN;
    rows.push([
      'target-duckdb 0.8.0 (duckdb 1.0.0)',
      fmtNum(theirRows),
      fmtMs(theirs.wallMs),
      fmtNum(o.rows / (theirs.wallMs / 1000)),
      fmtBytes(theirs.peakRssBytes),
      theirs.code === 0 ? '0' : `${theirs.code}: ${theirs.stderr.trim().split('\n').slice(-1)[0]?.slice(0, 200) ?? ''}`,
    ]);
    const speed = ratio(theirs.wallMs, ours.wallMs);
    const mem = ratio(ours.peakRssBytes, theirs.peakRssBytes);
    rows.push(['ours ÷ theirs', '', fmtRatio(ratio(ours.wallMs, theirs.wallMs)), fmtRatio(speed), fmtRatio(mem), '']);
    checks.push(check('target faster than target-duckdb on the same file', `${fmtRatio(speed)} its rows/s`, speed !== undefined && speed > 1));
    if (theirRows !== o.rows) notes.push(`target-duckdb's table holds ${fmtNum(theirRows)} of ${fmtNum(o.rows)} rows.`);
  }
  if (oursRows !== o.rows) notes.push(`Our table holds ${fmtNum(oursRows)} of ${fmtNum(o.rows)} rows.`);
  return {
    title: 'Target side by side: ours and target-duckdb on one Singer file',
    setup: `One file of ${fmtNum(o.rows)} synthetic insights_ad records (${fmtBytes(bytes)}, ~${fmtNum(lineBytes)} bytes a line: actions, action values, video p25–p100 and attribution windows as the tap emits them; bench/singer-input.ts), piped into each target: ours with its defaults (validation and history on), target-duckdb 0.8.0 with duckdb 1.0.0 (below 1.5, where it drops the first row of every batch) and its defaults. The size keeps target-duckdb's run short; the throughput at 1M rows is in the target throughput section. Rows counted in each one's table afterwards.`,
    tables: [{ head: ['target', 'rows in its table', 'wall', 'rows/s', 'peak RSS', 'exit'], rows }],
    checks,
    notes,
    seconds: (performance.now() - started) / 1000,
  };
}
