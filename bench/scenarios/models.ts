// Models build time: each world is synced by the tap into a file, loaded by the target into a
// DuckDB file, then `fb-ads-elt models build --duckdb-path` runs the dbt project on it (the models
// runner). The demo world is the baseline; the large-world slice is the figure.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../connector/core/config.js';
import { startSandbox, type WorldName } from '../../connector/sandbox/index.js';
import { runChild, type ChildRun } from '../proc.js';
import { check, fmtBytes, fmtMs, fmtNum, fmtRatio, ratio, type Section } from '../report.js';
import { reachableAccounts, runTap, tokensConfig } from '../tap-run.js';
import { addDaysIso } from './sync.js';
import { MEMORY_TOKENS } from './tap-memory.js';

export interface ModelsBenchOptions {
  dir: string;
  today: string;
  days: number;
  largeAccounts: number;
  pollSeconds: number;
  timeoutMs?: number;
}

interface ModelSummary {
  ok?: boolean;
  models?: Array<{ name: string; status: string; rows?: number; ms?: number; error?: string }>;
  tests?: { passed?: unknown[] | number; failed?: unknown[] };
}

export interface WorldBuild {
  world: WorldName;
  accounts: number;
  records: number;
  tapMs: number;
  loadMs: number;
  build: ChildRun;
  summary: ModelSummary | undefined;
}

/** The JSON summary `models build` prints on stdout (pretty-printed, so the whole stdout). */
export function parseModelSummary(stdout: string): ModelSummary | undefined {
  const start = stdout.indexOf('{');
  if (start < 0) return undefined;
  try {
    return JSON.parse(stdout.slice(start)) as ModelSummary;
  } catch {
    return undefined; // the runner printed something else; the wall time still stands
  }
}

async function buildWorld(o: ModelsBenchOptions, world: WorldName, accountLimit: number | undefined): Promise<WorldBuild> {
  const dir = join(o.dir, `models-${world}`);
  mkdirSync(dir, { recursive: true });
  const sb = await startSandbox({ world, seed: 1, today: o.today, jobDurationMs: 20 });
  try {
    const ids = reachableAccounts(sb, MEMORY_TOKENS).slice(0, accountLimit ?? Infinity);
    const singer = join(dir, 'tap.jsonl');
    const tap = await runTap(sb, {
      dir,
      name: `models-${world}`,
      config: { access_tokens: tokensConfig(sb, MEMORY_TOKENS), api_base_url: sb.baseUrl, account_ids: ids, start_date: addDaysIso(o.today, -(o.days - 1)), end_date: o.today, insights_poll_interval_seconds: o.pollSeconds },
      stdoutFile: singer,
      ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}),
    });
    const db = join(dir, 'warehouse.duckdb');
    const cfg = join(dir, 'target.json');
    writeFileSync(cfg, JSON.stringify({ destination: 'duckdb', duckdb_path: db, temp_dir: dir }));
    const load = await runChild(process.execPath, { args: [join(REPO_ROOT, 'bin/target-bigquery.js'), '--config', cfg], stdinFile: singer, cwd: REPO_ROOT, timeoutMs: o.timeoutMs ?? 600_000 });
    if (load.code !== 0) throw new Error(`target-bigquery exited ${load.code} loading the ${world} world: ${load.stderr.slice(-2000)}`);
    let out = '';
    const build = await runChild(process.execPath, { args: [join(REPO_ROOT, 'bin/fb-ads-elt.js'), 'models', 'build', '--duckdb-path', db], cwd: REPO_ROOT, timeoutMs: o.timeoutMs ?? 600_000, onLine: (l) => (out += l + '\n') });
    return { world, accounts: ids.length, records: tap.records, tapMs: tap.run.wallMs, loadMs: load.wallMs, build, summary: parseModelSummary(out) };
  } finally {
    await sb.close();
  }
}

export async function modelsBench(o: ModelsBenchOptions): Promise<Section> {
  const started = performance.now();
  const demo = await buildWorld(o, 'demo', undefined);
  const large = await buildWorld(o, 'large', o.largeAccounts);
  const count = (w: WorldBuild, pred: (s: string) => boolean) => (w.summary?.models ?? []).filter((m) => pred(m.status)).length;
  const failed = (w: WorldBuild) => (Array.isArray(w.summary?.tests?.failed) ? w.summary!.tests!.failed!.length : 0);
  const row = (w: WorldBuild) => [
    w.world,
    String(w.accounts),
    fmtNum(w.records),
    fmtMs(w.tapMs),
    fmtMs(w.loadMs),
    fmtMs(w.build.wallMs),
    `${w.build.code}`,
    `${count(w, (s) => s !== 'error')} ok / ${count(w, (s) => s === 'error')} error`,
    String(failed(w)),
    fmtBytes(w.build.peakRssBytes),
  ];
  const slowest = [...(large.summary?.models ?? [])].sort((a, b) => (b.ms ?? 0) - (a.ms ?? 0)).slice(0, 5);
  const buildRatio = ratio(large.build.wallMs, demo.build.wallMs);
  const dataRatio = ratio(large.records, demo.records);
  const ok = demo.build.code === 0 && large.build.code === 0;
  const modelMs = (w: WorldBuild) => (w.summary?.models ?? []).reduce((a, m) => a + (m.ms ?? 0), 0);
  const findings =
    buildRatio !== undefined && dataRatio !== undefined && buildRatio < dataRatio / 2
      ? [
          `connector/models build: ${fmtMs(demo.build.wallMs)} on the demo world and ${fmtMs(large.build.wallMs)} on ${fmtRatio(dataRatio)} the data (large slice): the time is mostly fixed cost, not data. The models' own SQL took ${fmtMs(modelMs(demo))} / ${fmtMs(modelMs(large))} of it (the runner's per-model ms); the rest is process start-up (tsx), project parsing/rendering, seeds and the data tests.`,
        ]
      : [];
  return {
    title: 'Models build (dbt project on DuckDB via the models runner)',
    setup: `Each world synced by the tap (${o.days} days, tokens ${MEMORY_TOKENS.join(', ')}), loaded by target-bigquery into a fresh DuckDB file, then \`fb-ads-elt models build --duckdb-path <file>\` (seeds, every model, data tests) timed as a child process. Demo world = baseline; large world = its first ${o.largeAccounts} reachable accounts.`,
    tables: [
      { head: ['world', 'accounts', 'tap records', 'tap', 'target load', 'models build', 'exit', 'models', 'failed tests', 'build peak RSS'], rows: [row(demo), row(large)] },
      { head: ['comparison', 'large ÷ demo'], rows: [['tap records (data size)', fmtRatio(dataRatio)], ['models build wall time', fmtRatio(buildRatio)]] },
      ...(slowest.length ? [{ head: ['slowest models (large world)', 'ms', 'rows'], rows: slowest.map((m) => [m.name, fmtNum(m.ms ?? 0), fmtNum(m.rows ?? 0)]) }] : []),
    ],
    checks: [
      check('models build succeeds on both worlds (timing only reported)', ok ? `exit 0 on both; build time scales ${fmtRatio(buildRatio)} for ${fmtRatio(dataRatio)} the data` : `exit ${demo.build.code} (demo) / ${large.build.code} (large)`, ok, {
        why: `the models runner failed: ${[demo, large].filter((w) => w.build.code !== 0).map((w) => `${w.world}: ${w.build.stderr.split('\n').filter((l) => l.includes('"error"')).slice(-1)[0]?.slice(0, 400) ?? w.build.stderr.slice(-400)}`).join('; ')}`,
        close: 'fix the failing model/test named above (connector/models or dbt/), then re-run the bench.',
      }),
    ],
    findings,
    notes: ['No numeric target was set for the models build; it is reported so a regression shows up as a ratio change between runs.'],
    seconds: (performance.now() - started) / 1000,
  };
}
