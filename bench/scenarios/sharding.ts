// 1,000 ad accounts on paper: Graph calls and wall time when accounts are sharded across workers
// (README "Deploy" → "Scaling past one machine"), computed from our tap's measured calls per account
// (the peers' world run) under Meta's published Marketing API budgets. A model, not a measurement:
// every assumption is a named constant printed beside the figures.
import { fmtMs, fmtNum, type Section } from '../report.js';

/** Meta's published budgets (per ad account; reads cost 1 point), with where each comes from. */
export const META_BUDGETS = {
  source: "developers.facebook.com/docs/marketing-apis/rate-limiting (Marketing API Rate Limiting: API-level score, ads_management BUC) and research/meta-marketing-api.md §rate limits (ads_insights BUC, from a third-party summary of Meta's Business Use Case page)",
  /** API-level score per ad account: max score, decaying over 300 s (development: 60, standard: 9,000). */
  scorePer300s: { development: 60, standard: 9_000 },
  /** ads_management calls per ad account per hour: base + 40 × active ads. */
  adsManagementPerHour: (tier: Tier, activeAds: number): number => (tier === 'development' ? 300 : 100_000) + 40 * activeAds,
  /** ads_insights calls per ad account per hour: base + 400 × active ads (development also − 0.001 × user errors). */
  adsInsightsPerHour: (tier: Tier, activeAds: number): number => (tier === 'development' ? 600 : 190_000) + 400 * activeAds,
};
export type Tier = 'development' | 'standard';

/** What the model assumes about the real API (the sandbox answers at once, Meta does not). */
export const ASSUMPTIONS = {
  accounts: 1_000,
  /** Active ads per account (budgets grow with it; 50 is a small advertiser). */
  activeAds: 50,
  /** Round trip of one Graph call. */
  callLatencyMs: 400,
  /** Time an async insights report run takes on Meta's side for one account's ad-level report. */
  reportRunMs: { full: 60_000, incremental: 15_000 },
  /** The tap's max_concurrency (accounts in flight per worker; spec.json default). */
  perWorker: 4,
  workers: [1, 4, 16],
};

export interface ShardPlan {
  workers: number;
  calls: number;
  wallMs: number;
  /** Calls per second across all workers at full speed. */
  callsPerSecond: number;
  /** One account's calls against its 300 s score / hourly budgets (calls all land within one account's run). */
  accountScoreShare: Record<Tier, number>;
  accountHourShare: Record<Tier, number>;
}

/** The model: accounts run `perWorker` at a time per worker; one account takes its calls' latency plus one report run. */
export function planShards(callsPerAccount: number, reportRunMs: number, workers: number, a = ASSUMPTIONS): ShardPlan {
  const accountMs = callsPerAccount * a.callLatencyMs + reportRunMs;
  const waves = Math.ceil(a.accounts / (workers * a.perWorker));
  const wallMs = waves * accountMs;
  const calls = a.accounts * callsPerAccount;
  const hourBudget = (t: Tier): number => Math.min(META_BUDGETS.adsManagementPerHour(t, a.activeAds), META_BUDGETS.adsInsightsPerHour(t, a.activeAds));
  return {
    workers,
    calls,
    wallMs,
    callsPerSecond: (Math.min(workers * a.perWorker, a.accounts) * callsPerAccount) / (accountMs / 1000),
    accountScoreShare: { development: callsPerAccount / META_BUDGETS.scorePer300s.development, standard: callsPerAccount / META_BUDGETS.scorePer300s.standard },
    accountHourShare: { development: callsPerAccount / hourBudget('development'), standard: callsPerAccount / hourBudget('standard') },
  };
}

const pct = (x: number): string => `${(100 * x).toFixed(x < 0.01 ? 2 : 0)} %`;

export function shardingBench(measured: { full: number; incremental: number; days: number }): Section {
  const a = ASSUMPTIONS;
  const rows: string[][] = [];
  for (const [run, perAccount, jobMs] of [
    [`first sync (${measured.days} days)`, measured.full, a.reportRunMs.full],
    ['daily incremental', measured.incremental, a.reportRunMs.incremental],
  ] as const) {
    for (const w of a.workers) {
      const p = planShards(perAccount, jobMs, w);
      rows.push([run, String(w), fmtNum(p.calls), fmtMs(p.wallMs), fmtNum(p.callsPerSecond, 1), `${pct(p.accountScoreShare.development)} / ${pct(p.accountScoreShare.standard)}`, `${pct(p.accountHourShare.development)} / ${pct(p.accountHourShare.standard)}`]);
    }
  }
  const fits = planShards(measured.full, a.reportRunMs.full, 1).accountScoreShare.development <= 1;
  return {
    title: `Sharding on paper: ${fmtNum(a.accounts)} accounts under Meta's budgets`,
    setup: `Computed, not run: our tap's Graph calls per account measured in this run on the peers' world (${measured.full.toFixed(1)} per account for a ${measured.days}-day first sync of entities + ad-level insights, ${measured.incremental.toFixed(1)} for the incremental re-run), scaled to ${fmtNum(a.accounts)} accounts sharded over N workers (Airflow mapped tasks or one Meltano job per shard, README "Deploy"), each running ${a.perWorker} accounts at a time (max_concurrency). Assumed: ${a.callLatencyMs} ms per Graph call, an async report run takes ${a.reportRunMs.full / 1000} s (first sync) / ${a.reportRunMs.incremental / 1000} s (incremental) on Meta's side, ${a.activeAds} active ads per account. Budgets: ${META_BUDGETS.source}.`,
    tables: [{ head: ['run', 'workers', 'Graph calls', 'wall time', 'calls/s (all workers)', "one account's calls ÷ its 300 s score (dev / standard)", '÷ its hourly BUC budget (dev / standard)'], rows }],
    checks: [],
    notes: [
      `Meta's budgets are per ad account (the API-level score: ${META_BUDGETS.scorePer300s.development} points per 300 s in the development tier, ${fmtNum(META_BUDGETS.scorePer300s.standard)} in standard; ads_management ${fmtNum(META_BUDGETS.adsManagementPerHour('development', 0))} / ${fmtNum(META_BUDGETS.adsManagementPerHour('standard', 0))} + 40 × active ads per hour; ads_insights ${fmtNum(META_BUDGETS.adsInsightsPerHour('development', 0))} / ${fmtNum(META_BUDGETS.adsInsightsPerHour('standard', 0))} + 400 × active ads per hour), so adding workers does not spend any one account's budget faster: each account is read by exactly one shard. ${fits ? "One account's whole first sync fits in its development-tier 300 s score, so the tier does not bound wall time here; the wall time is latency and Meta's report-run time, divided by workers × max_concurrency." : "One account's first sync exceeds its development-tier 300 s score: the tap paces on the usage headers and waits, so the development tier adds waits not modelled here."}`,
      'What all shards share is the app: Meta\'s app-level limit (error code 4) has no published number for the Marketing API ("determined by total users of an app"). Each worker\'s tap reads the same app-wide usage headers (X-App-Usage, X-Business-Use-Case-Usage) and paces before a budget is spent (usage_pause_threshold), and a code-4 throttle pauses every worker of that process; separate shard processes learn it from the headers of their next answer. Keep shards × max_concurrency modest (the default 4 × a few shards) and stagger shard schedules.',
      "Per-shard state: each shard has its own state file (Airflow: state.shard-<k>-of-<N>.json; Meltano: one state ID per job), assets (businesses, ad accounts, pages, pixels, catalogs) are synced once by their own task so no shard marks another's rows deleted.",
    ],
    seconds: 0,
  };
}
