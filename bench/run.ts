// `npm run bench`: runs the benchmark scenarios (start-up, target throughput/memory, a memory soak, the real peers
// side by side with our tap's memory on their world, sharding on paper, tap memory as accounts grow,
// full and incremental sync vs a naive baseline, models build) and writes bench/RESULTS.md with the
// figures, the command, the commit, the machine and the date. `--quick` is a smaller run; `--only a,b`
// picks scenarios and keeps the other scenarios' sections of the existing file as they are;
// `--no-peers` leaves the Python peers out (they install from PyPI into bench/peers/.venv).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from '../connector/core/config.js';
import { startSandbox } from '../connector/sandbox/index.js';
import { describeCommit, describeMachine } from './machine.js';
import { parseResults, renderResults, type Results, type Section } from './report.js';
import { syncBench } from './scenarios/sync.js';
import { tapMemoryBench } from './scenarios/tap-memory.js';
import { targetBench } from './scenarios/target.js';
import { soakBench } from './scenarios/soak.js';
import { modelsBench } from './scenarios/models.js';
import { peersWorldBench, type PeersWorldResult } from './scenarios/peers.js';
import { shardingBench } from './scenarios/sharding.js';
import { startupBench } from './scenarios/startup.js';
import { targetPeerBench } from './scenarios/target-peer.js';

/** Every scenario, in RESULTS.md's order. */
export const SCENARIOS = ['startup', 'target', 'soak', 'peers', 'sharding', 'tap-memory', 'sync', 'models'] as const;
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
  startupRuns: number;
  startupSourceRuns: number;
  peersDays: number;
  /** Runs of our tap as shipped on the peers' world (memory: the highest). */
  peersOursRuns: number;
  /** Rows of the Singer file ours and target-duckdb both load. */
  targetPeerRows: number;
  /** Rows of the memory soak (one target run into a growing table) and how often its input says STATE. */
  soakRows: number;
  soakStateEvery: number;
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
  startupRuns: 9,
  startupSourceRuns: 3,
  peersDays: 30,
  peersOursRuns: 3,
  targetPeerRows: 50_000,
  soakRows: 10_000_000,
  soakStateEvery: 100_000,
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
  startupRuns: 5,
  startupSourceRuns: 1,
  peersDays: 7,
  peersOursRuns: 1,
  targetPeerRows: 5_000,
  soakRows: 100_000,
  soakStateEvery: 10_000,
};

export interface BenchArgs {
  quick: boolean;
  only: Scenario[];
  out: string;
  /** Run the Python peers (installing them first); --no-peers turns it off. */
  peers: boolean;
}

export function parseArgs(argv: string[]): BenchArgs {
  const a: BenchArgs = { quick: false, only: [...SCENARIOS], out: join(REPO_ROOT, 'bench', 'RESULTS.md'), peers: true };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i]!;
    if (v === '--quick') a.quick = true;
    else if (v === '--only') {
      const list = (argv[++i] ?? '').split(',').filter(Boolean);
      const bad = list.filter((s) => !(SCENARIOS as readonly string[]).includes(s));
      if (bad.length || list.length === 0) throw new Error(`--only takes a comma-separated list of ${SCENARIOS.join(', ')}; got "${list.join(',')}"`);
      a.only = list as Scenario[];
    } else if (v === '--out') a.out = argv[++i] ?? a.out;
    else if (v === '--no-peers') a.peers = false;
    else throw new Error(`unknown argument "${v}" (use --quick, --only <list>, --out <file>, --no-peers)`);
  }
  return a;
}

/** Installs the Python peers (bench/peers/install.sh, idempotent); false when that fails (the report says so). */
function installPeers(): boolean {
  const r = spawnSync('bash', [join(REPO_ROOT, 'bench', 'peers', 'install.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
  return r.status === 0;
}

const say = (msg: string): void => {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
};

export async function runBench(args: BenchArgs): Promise<Results> {
  const plan = args.quick ? QUICK : FULL;
  const started = performance.now();
  const machine = describeMachine();
  const date = new Date().toISOString();
  // The code measured is the code at the start: branches merged while a long run goes on are not in it.
  const commit = describeCommit(REPO_ROOT, args.out);
  const today = date.slice(0, 10);
  const produced = new Map<Scenario, Section[]>();
  const add = (scenario: Scenario, ...s: Section[]): void => {
    produced.set(scenario, [...(produced.get(scenario) ?? []), ...s]);
  };
  const dir = mkdtempSync(join(tmpdir(), 'fb-ads-elt-bench-'));
  const want = (s: Scenario) => args.only.includes(s);
  try {
    if (want('startup')) {
      say(`start-up: --version of each bin, ${plan.startupRuns} runs`);
      add('startup', await startupBench({ runs: plan.startupRuns, sourceRuns: plan.startupSourceRuns }));
    }
    if (want('target')) {
      say(`target: ${plan.targetSizes.join(', ')} rows`);
      add('target', await targetBench({ sizes: plan.targetSizes, smallBatchBytes: plan.targetSmallBatchBytes, timeoutMs: 1_200_000 }));
    }
    if (want('soak')) {
      say(`memory soak: ${plan.soakRows} rows in one target run`);
      add('soak', await soakBench({ rows: plan.soakRows, stateEvery: plan.soakStateEvery, timeoutMs: 3_600_000 }));
    }
    let peersWorld: PeersWorldResult | undefined;
    if (want('peers') || want('sharding')) {
      const peersLeftOut = !want('peers') ? 'the peers scenario was not selected' : !args.peers ? '`--no-peers`' : installPeers() ? undefined : 'bench/peers/install.sh failed (its output is in the bench log)';
      const withPeers = peersLeftOut === undefined;
      say(`peers' world: ours${withPeers ? ', Airbyte, singer-io, MeltanoLabs' : ''}, ${plan.peersDays} days`);
      peersWorld = await peersWorldBench({ dir, days: plan.peersDays, oursRuns: plan.peersOursRuns, peersLeftOut, timeoutMs: 600_000 });
      if (want('peers')) {
        add('peers', ...peersWorld.sections);
        say(`target side by side: ${plan.targetPeerRows} rows`);
        add('peers', await targetPeerBench({ dir, rows: plan.targetPeerRows, timeoutMs: 600_000, withPeer: withPeers }));
      }
    }
    if (want('sharding') && peersWorld) add('sharding', shardingBench(peersWorld.callsPerAccount));
    if (want('tap-memory') || want('sync')) {
      say('starting the sandbox (large world)');
      // The world follows today's calendar; the tap is pinned to the sandbox's clock (bench/tap-run.ts).
      const sb = await startSandbox({ world: 'large', seed: 1, today, latencyMs: plan.latencyMs, jobDurationMs: plan.jobDurationMs, rateLimits: true });
      try {
        if (want('tap-memory')) {
          say(`tap memory: ${plan.memoryCounts.join(', ')} accounts`);
          add('tap-memory', await tapMemoryBench(sb, { dir, counts: plan.memoryCounts, days: plan.memoryDays, today, pollSeconds: plan.pollSeconds }));
        }
        if (want('sync')) {
          say(`sync: ${plan.syncAccounts} accounts tuned, ${plan.naiveAccounts} naive, ${plan.syncDays} days`);
          const r = await syncBench(sb, {
            dir,
            accounts: plan.syncAccounts,
            naiveAccounts: plan.naiveAccounts,
            incrementalAccounts: plan.incrementalAccounts,
            days: plan.syncDays,
            today,
            latencyMs: plan.latencyMs,
            jobDurationMs: plan.jobDurationMs,
            pollSeconds: plan.pollSeconds,
          });
          add('sync', r.full, r.incremental);
        }
      } finally {
        await sb.close();
      }
    }
    if (want('models')) {
      say('models build');
      add('models', await modelsBench({ dir, today, days: plan.modelsDays, largeAccounts: plan.modelsLargeAccounts, pollSeconds: plan.pollSeconds }));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const extra = [...(args.quick ? ['--quick'] : []), ...(args.only.length < SCENARIOS.length ? ['--only', args.only.join(',')] : []), ...(args.peers ? [] : ['--no-peers'])];
  const command = `npm run bench${extra.length ? ` -- ${extra.join(' ')}` : ''}`;
  return {
    run: { command, date, commit, mode: args.quick ? 'quick' : 'full' },
    machine,
    scenarios: SCENARIOS.map((name) => ({ name, sections: produced.get(name) })),
    totalSeconds: (performance.now() - started) / 1000,
  };
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const args = parseArgs(process.argv.slice(2));
  const results = await runBench(args);
  // The scenarios this run left out keep the sections the existing file has for them.
  const previous = existsSync(args.out) ? parseResults(readFileSync(args.out, 'utf8')) : undefined;
  writeFileSync(args.out, renderResults(results, previous));
  say(`wrote ${args.out} (${results.totalSeconds.toFixed(0)} s)`);
}
