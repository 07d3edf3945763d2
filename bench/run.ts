// `npm run bench`: runs the benchmark scenarios (target throughput/memory, tap memory, full and
// incremental sync vs a naive baseline, models build) and writes bench/RESULTS.md with the figures,
// the command, the machine and the date. `--quick` is a smaller run; `--only a,b` picks scenarios.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from '../connector/core/config.js';
import { startSandbox } from '../connector/sandbox/index.js';
import { describeMachine } from './machine.js';
import { renderResults, type Results, type Section } from './report.js';
import { syncBench } from './scenarios/sync.js';
import { tapMemoryBench } from './scenarios/tap-memory.js';
import { targetBench } from './scenarios/target.js';
import { modelsBench } from './scenarios/models.js';

export const SCENARIOS = ['target', 'tap-memory', 'sync', 'models'] as const;
type Scenario = (typeof SCENARIOS)[number];

export interface BenchPlan {
  targetSizes: number[];
  targetSmallBatchBytes: number;
  syncAccounts: number;
  naiveAccounts: number;
  incrementalAccounts: number;
  syncDays: number;
  memoryCounts: number[];
  memoryDays: number;
  latencyMs: number;
  jobDurationMs: number;
  pollSeconds: number;
  modelsDays: number;
  modelsLargeAccounts: number;
}

export const FULL: BenchPlan = {
  targetSizes: [10_000, 100_000, 1_000_000],
  targetSmallBatchBytes: 4 * 1024 * 1024,
  syncAccounts: 20,
  naiveAccounts: 1,
  incrementalAccounts: 5,
  syncDays: 90,
  memoryCounts: [5, 20, 48],
  memoryDays: 1,
  latencyMs: 30,
  jobDurationMs: 100,
  pollSeconds: 0.05,
  modelsDays: 7,
  modelsLargeAccounts: 3,
};

export const QUICK: BenchPlan = {
  targetSizes: [2_000, 20_000],
  targetSmallBatchBytes: 2 * 1024 * 1024,
  syncAccounts: 4,
  naiveAccounts: 1,
  incrementalAccounts: 2,
  syncDays: 30,
  memoryCounts: [2, 8],
  memoryDays: 3,
  latencyMs: 20,
  jobDurationMs: 60,
  pollSeconds: 0.03,
  modelsDays: 7,
  modelsLargeAccounts: 2,
};

export interface BenchArgs {
  quick: boolean;
  only: Scenario[];
  out: string;
}

export function parseArgs(argv: string[]): BenchArgs {
  const a: BenchArgs = { quick: false, only: [...SCENARIOS], out: join(REPO_ROOT, 'bench', 'RESULTS.md') };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i]!;
    if (v === '--quick') a.quick = true;
    else if (v === '--only') {
      const list = (argv[++i] ?? '').split(',').filter(Boolean);
      const bad = list.filter((s) => !(SCENARIOS as readonly string[]).includes(s));
      if (bad.length || list.length === 0) throw new Error(`--only takes a comma-separated list of ${SCENARIOS.join(', ')}; got "${list.join(',')}"`);
      a.only = list as Scenario[];
    } else if (v === '--out') a.out = argv[++i] ?? a.out;
    else throw new Error(`unknown argument "${v}" (use --quick, --only <list>, --out <file>)`);
  }
  return a;
}

const say = (msg: string): void => {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
};

export async function runBench(args: BenchArgs): Promise<Results> {
  const plan = args.quick ? QUICK : FULL;
  const started = performance.now();
  const machine = describeMachine();
  const date = new Date().toISOString();
  const today = date.slice(0, 10);
  const sections: Section[] = [];
  const findings: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'fb-ads-elt-bench-'));
  const want = (s: Scenario) => args.only.includes(s);
  try {
    if (want('target')) {
      say(`target: ${plan.targetSizes.join(', ')} rows`);
      sections.push(await targetBench({ sizes: plan.targetSizes, smallBatchBytes: plan.targetSmallBatchBytes }));
    }
    if (want('tap-memory') || want('sync')) {
      say('starting the sandbox (large world)');
      // The world follows today's calendar; the tap is pinned to the sandbox's clock (bench/tap-run.ts).
      const sb = await startSandbox({ world: 'large', seed: 1, today, latencyMs: plan.latencyMs, jobDurationMs: plan.jobDurationMs, rateLimits: true });
      try {
        if (want('tap-memory')) {
          say(`tap memory: ${plan.memoryCounts.join(', ')} accounts`);
          sections.push(await tapMemoryBench(sb, { dir, counts: plan.memoryCounts, days: plan.memoryDays, today, pollSeconds: plan.pollSeconds }));
        }
        if (want('sync')) {
          say(`sync: ${plan.syncAccounts} accounts tuned, ${plan.naiveAccounts} naive, ${plan.syncDays} days`);
          const r = await syncBench(sb, { dir, accounts: plan.syncAccounts, naiveAccounts: plan.naiveAccounts, incrementalAccounts: plan.incrementalAccounts, days: plan.syncDays, today, latencyMs: plan.latencyMs, jobDurationMs: plan.jobDurationMs, pollSeconds: plan.pollSeconds });
          sections.push(r.full, r.incremental);
        }
      } finally {
        await sb.close();
      }
    }
    if (want('models')) {
      say('models build');
      sections.push(await modelsBench({ dir, today, days: plan.modelsDays, largeAccounts: plan.modelsLargeAccounts, pollSeconds: plan.pollSeconds }));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  for (const s of sections) findings.push(...(s.findings ?? []));
  const command = `npm run bench${args.quick ? ' -- --quick' : ''}${args.only.length < SCENARIOS.length ? `${args.quick ? '' : ' --'} --only ${args.only.join(',')}` : ''}`;
  return { command, date, machine, mode: args.quick ? 'quick' : 'full', sections, totalSeconds: (performance.now() - started) / 1000, findings };
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const args = parseArgs(process.argv.slice(2));
  const results = await runBench(args);
  writeFileSync(args.out, renderResults(results));
  say(`wrote ${args.out} (${results.totalSeconds.toFixed(0)} s)`);
}
