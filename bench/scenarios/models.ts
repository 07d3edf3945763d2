// Models build time: each world is synced by the tap into a file, loaded by the target into a
// DuckDB file, then `fb-ads-elt models build --duckdb-path` runs real dbt on it (one `dbt build`).
// Per-node times come from dbt's run_results.json. The demo world is the baseline.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../connector/core/config.js';
import { readRunResults, type DbtRunResults } from '../../connector/dbt/results.js';
import { dbtWorkDir } from '../../connector/dbt/run.js';
import { startSandbox, type WorldName } from '../../connector/sandbox/index.js';
import { runChild, type ChildRun } from '../proc.js';
import { check, fmtBytes, fmtMs, fmtNum, fmtRatio, ratio, type Section } from '../report.js';
import { reachableAccounts, runTap, tokensConfig } from '../tap-run.js';
import { addDaysIso } from './sync.js';
import { MEMORY_TOKENS } from './tap-memory.js';
import { TARGET_ARGS, TARGET_NODE } from '../target-command.js';

export interface ModelsBenchOptions {
  dir: string;
  today: string;
  days: number;
  largeAccounts: number;
  pollSeconds: number;
  timeoutMs?: number;
}

export interface WorldBuild {
  world: WorldName;
  accounts: number;
  records: number;
  tapMs: number;
  loadMs: number;
  build: ChildRun;
  results: DbtRunResults | undefined;
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
    const load = await runChild(TARGET_NODE, { args: [...TARGET_ARGS, '--config', cfg], stdinFile: singer, cwd: REPO_ROOT, timeoutMs: o.timeoutMs ?? 600_000 });
    if (load.code !== 0) throw new Error(`target-bigquery exited ${load.code} loading the ${world} world: ${load.stderr.slice(-2000)}`);
    const build = await runChild(process.execPath, { args: [join(REPO_ROOT, 'bin/fb-ads-elt.js'), 'models', 'build', '--duckdb-path', db], cwd: REPO_ROOT, timeoutMs: o.timeoutMs ?? 600_000 });
    return { world, accounts: ids.length, records: tap.records, tapMs: tap.run.wallMs, loadMs: load.wallMs, build, results: readRunResults(join(dbtWorkDir(db), 'target', 'run_results.json')) };
  } finally {
    await sb.close();
  }
}

export async function modelsBench(o: ModelsBenchOptions): Promise<Section> {
  const started = performance.now();
  const demo = await buildWorld(o, 'demo', undefined);
  const large = await buildWorld(o, 'large', o.largeAccounts);
  const modelsOf = (w: WorldBuild) => (w.results?.nodes ?? []).filter((n) => n.resourceType === 'model');
  const count = (w: WorldBuild, pred: (s: string) => boolean) => modelsOf(w).filter((m) => pred(m.status)).length;
  const failed = (w: WorldBuild) => (w.results?.failed ?? []).filter((n) => n.resourceType !== 'model').length;
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
  const slowest = [...modelsOf(large)].sort((a, b) => b.seconds - a.seconds).slice(0, 5);
  const buildRatio = ratio(large.build.wallMs, demo.build.wallMs);
  const dataRatio = ratio(large.records, demo.records);
  const ok = demo.build.code === 0 && large.build.code === 0;
  const modelMs = (w: WorldBuild) => modelsOf(w).reduce((a, m) => a + m.seconds * 1000, 0);
  const findings =
    buildRatio !== undefined && dataRatio !== undefined && buildRatio < dataRatio / 2
      ? [
          `dbt build: ${fmtMs(demo.build.wallMs)} on the demo world and ${fmtMs(large.build.wallMs)} on ${fmtRatio(dataRatio)} the data (large slice): the time is mostly fixed cost, not data. The models' own SQL took ${fmtMs(modelMs(demo))} / ${fmtMs(modelMs(large))} of it (dbt's per-node execution_time); the rest is dbt's start-up and parsing (a fresh warehouse directory has no partial-parse cache), seeds and the data tests.`,
        ]
      : [];
  return {
    title: 'Models build (real dbt build of the dbt project on DuckDB)',
    setup: `Each world synced by the tap (${o.days} days, tokens ${MEMORY_TOKENS.join(', ')}), loaded by target-bigquery into a fresh DuckDB file, then \`fb-ads-elt models build --duckdb-path <file>\` (one real \`dbt build\`: seeds, every model, data and unit tests) timed as a child process. Demo world = baseline; large world = its first ${o.largeAccounts} reachable accounts.`,
    tables: [
      { head: ['world', 'accounts', 'tap records', 'tap', 'target load', 'models build', 'exit', 'models', 'failed tests', 'build peak RSS'], rows: [row(demo), row(large)] },
      {
        head: ['comparison', 'large ÷ demo'],
        rows: [
          ['tap records (data size)', fmtRatio(dataRatio)],
          ['models build wall time', fmtRatio(buildRatio)],
        ],
      },
      ...(slowest.length ? [{ head: ['slowest models (large world)', 'ms'], rows: slowest.map((m) => [m.name, fmtNum(Math.round(m.seconds * 1000))]) }] : []),
    ],
    checks: [
      check('models build succeeds on both worlds (timing only reported)', ok ? `exit 0 on both; build time scales ${fmtRatio(buildRatio)} for ${fmtRatio(dataRatio)} the data` : `exit ${demo.build.code} (demo) / ${large.build.code} (large)`, ok, {
        why: `dbt build failed: ${[demo, large]
          .filter((w) => w.build.code !== 0)
          .map(
            (w) =>
              `${w.world}: ${
                w.build.stderr
                  .split('\n')
                  .filter((l) => l.includes('"error"'))
                  .slice(-1)[0]
                  ?.slice(0, 400) ?? w.build.stderr.slice(-400)
              }`,
          )
          .join('; ')}`,
        close: 'fix the failing model/test named above (dbt/), then re-run the bench.',
      }),
    ],
    findings,
    notes: ['No numeric target was set for the models build; it is reported so a regression shows up as a ratio change between runs.'],
    seconds: (performance.now() - started) / 1000,
  };
}
