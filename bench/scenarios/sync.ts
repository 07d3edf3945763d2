// Full sync of a 20-account slice of the sandbox's large world (latency and rate limits on) in our
// tuned mode vs a naive mode of the same tap reached through config alone (one account at a time,
// one async job per day, no pacing), then an incremental re-sync with nothing changed.
import type { Sandbox, SandboxStats } from '../../connector/sandbox/index.js';
import { check, fmtBytes, fmtMs, fmtNum, fmtRatio, ratio, type Section } from '../report.js';
import { insightsCost } from '../sandbox-cost.js';
import { reachableAccounts, runTap, tapStartupMs, tokensConfig, type TapRun } from '../tap-run.js';
import { SCOPE_KEY } from '../../connector/tap/scope.js';

export interface SyncBenchOptions {
  dir: string;
  accounts: number;
  /** Accounts the naive mode runs on (it is strictly serial per account, so figures scale by accounts). */
  naiveAccounts: number;
  /** Accounts the incremental re-sync covers (calls are reported per account). */
  incrementalAccounts: number;
  days: number;
  /** The sandbox's world clock day (= the tap's today). */
  today: string;
  /** Sandbox settings, for the write-up. */
  latencyMs: number;
  jobDurationMs: number;
  pollSeconds: number;
  timeoutMs?: number;
}

export const NAIVE_KNOBS = { max_concurrency: 1, insights_max_days_per_job: 1, usage_pause_threshold: 100 } as const;

export function addDaysIso(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}

export interface SyncFigures {
  tuned: TapRun;
  tunedSubset: TapRun;
  naiveSubset: TapRun;
  incremental: TapRun;
}

const ENTITY_ENDPOINTS: Array<[string, string]> = [
  ['campaigns', 'GET /act_{id}/campaigns'],
  ['ad_sets', 'GET /act_{id}/adsets'],
  ['ads', 'GET /act_{id}/ads'],
  ['ad_creatives', 'GET /act_{id}/adcreatives'],
  ['pixels (account level)', 'GET /act_{id}/adspixels'],
];
const INSIGHT_ENDPOINTS: Array<[string, string]> = [
  ['insights: report runs created', 'POST /act_{id}/insights'],
  ['insights: status polls', 'GET /{id}'],
  ['insights: result pages', 'GET /{id}/insights'],
  // One HTTP request each, holding up to 50 reads: report runs' status polls, creatives by id.
  ['Batch API requests (status polls of report runs, objects by id)', 'POST /'],
];

/** Calls per account for each endpoint family (the sandbox counts by path pattern). */
export function perAccountCalls(stats: SandboxStats, accounts: number): Array<{ what: string; endpoint: string; total: number; perAccount: number }> {
  const rows = [...ENTITY_ENDPOINTS, ...INSIGHT_ENDPOINTS].map(([what, endpoint]) => {
    const total = stats.byEndpoint[endpoint] ?? 0;
    return { what, endpoint, total, perAccount: total / Math.max(1, accounts) };
  });
  const listed = new Set(rows.map((r) => r.endpoint));
  const other = Object.entries(stats.byEndpoint)
    .filter(([k]) => !listed.has(k) && !k.startsWith('jobs:'))
    .reduce((s, [, v]) => s + v, 0);
  rows.push({ what: 'discovery, token checks (per run, not per account)', endpoint: 'everything else', total: other, perAccount: other / Math.max(1, accounts) });
  return rows;
}

const recPerSec = (r: TapRun): number => r.records / (r.run.wallMs / 1000);

export async function syncBench(sb: Sandbox, o: SyncBenchOptions): Promise<{ full: Section; incremental: Section; figures: SyncFigures }> {
  const started = performance.now();
  const labels = ['agency'];
  const all = reachableAccounts(sb, labels);
  if (all.length < o.accounts) throw new Error(`the sandbox world reaches ${all.length} accounts with ${labels.join(', ')}; the bench wants ${o.accounts}`);
  const accounts = all.slice(0, o.accounts);
  const subset = accounts.slice(0, o.naiveAccounts);
  const startDate = addDaysIso(o.today, -(o.days - 1));
  const base = {
    access_tokens: tokensConfig(sb, labels),
    api_base_url: sb.baseUrl,
    start_date: startDate,
    end_date: o.today,
    // The sandbox's async jobs run in jobDurationMs instead of minutes, so polling is scaled the same way (both modes).
    insights_poll_interval_seconds: o.pollSeconds,
  };
  const t = o.timeoutMs ?? 600_000;
  const startup = await tapStartupMs(o.dir, base);
  const tuned = await runTap(sb, { dir: o.dir, name: 'full-tuned', config: { ...base, account_ids: accounts }, timeoutMs: t });
  const tunedSubset = await runTap(sb, { dir: o.dir, name: 'subset-tuned', config: { ...base, account_ids: subset }, timeoutMs: t });
  const naiveSubset = await runTap(sb, { dir: o.dir, name: 'subset-naive', config: { ...base, account_ids: subset, ...NAIVE_KNOBS }, timeoutMs: t });
  const cost = insightsCost(sb, accounts[0]!, startDate, o.today);
  const fullSeconds = (performance.now() - started) / 1000;

  // Naive is one account at a time, so its wall time and calls for N accounts are N × per account.
  const scale = o.accounts / o.naiveAccounts;
  const naiveWall20 = naiveSubset.run.wallMs * scale;
  const naiveCalls20 = naiveSubset.stats.calls * scale;
  const speedSubset = ratio(naiveSubset.run.wallMs, tunedSubset.run.wallMs);
  const speedSubsetNet = ratio(naiveSubset.run.wallMs - startup, tunedSubset.run.wallMs - startup);
  const speed20Net = ratio(naiveWall20 - startup * scale, tuned.run.wallMs - startup);
  const speed20 = ratio(naiveWall20, tuned.run.wallMs);
  const callsSubset = ratio(tunedSubset.stats.calls, naiveSubset.stats.calls);
  const calls20 = ratio(tuned.stats.calls, naiveCalls20);
  const cpu = (v: number | undefined) => (v === undefined ? 'n/a' : `${v.toFixed(1)} s`);
  const row = (name: string, r: TapRun, n: number) => [
    name,
    String(n),
    fmtMs(r.run.wallMs),
    fmtNum(r.stats.calls),
    fmtNum(r.stats.jobsCreated),
    fmtNum(r.stats.throttles),
    fmtNum(r.stats.errors),
    fmtNum(r.records),
    fmtNum(recPerSec(r)),
    cpu(r.run.cpuSeconds),
    r.run.cpuSeconds ? fmtNum(r.records / r.run.cpuSeconds) : 'n/a',
    cpu(r.sandboxCpuSeconds),
    fmtBytes(r.run.peakRssBytes),
  ];
  const head = ['run', 'accounts', 'wall', 'API calls', 'async jobs', 'throttles served', 'errors served', 'records', 'records/s', 'tap CPU', 'records per tap CPU-second', 'sandbox CPU', 'tap peak RSS'];
  const full: Section = {
    title: `Full sync: ${o.accounts} accounts, ${o.days} days`,
    setup: `Sandbox \`large\` world (seed 1), the first ${o.accounts} ad accounts the \`agency\` token reaches (${fmtNum(sb.world.ads.filter((a) => accounts.includes(a.accountId)).length)} ads, ${fmtNum(sb.world.adsets.filter((a) => accounts.includes(a.accountId)).length)} ad sets, ${fmtNum(sb.world.campaigns.filter((a) => accounts.includes(a.accountId)).length)} campaigns), start_date ${startDate} .. ${o.today}; sandbox latency ${o.latencyMs} ms per request, async jobs take ${o.jobDurationMs} ms, rate limits on (default budgets: 20,000 app / 5,000 per account per 300 s). Tuned = the tap's defaults (max_concurrency 4, 31-day jobs, pacing above 75 %). Naive = the same tap with \`${JSON.stringify(NAIVE_KNOBS)}\` and nothing else changed. Both poll jobs every ${o.pollSeconds} s at first (×1.5 per poll), scaled to the sandbox's job duration.`,
    tables: [
      {
        head,
        rows: [
          row('tuned', tuned, o.accounts),
          row('tuned (same accounts as naive)', tunedSubset, o.naiveAccounts),
          row('naive', naiveSubset, o.naiveAccounts),
          ['naive, scaled to ' + o.accounts + ' accounts', String(o.accounts), fmtMs(naiveWall20), fmtNum(naiveCalls20), fmtNum(naiveSubset.stats.jobsCreated * scale), '–', '–', fmtNum(naiveSubset.records * scale), fmtNum(recPerSec(naiveSubset)), '–', '–', '–', '–'],
        ],
      },
      {
        head: ['comparison', `measured on the same ${o.naiveAccounts} account(s)`, `${o.accounts} accounts (naive scaled ×${fmtNum(scale, 1)})`],
        rows: [
          ['speed-up (naive wall ÷ tuned wall)', fmtRatio(speedSubset), fmtRatio(speed20)],
          [`speed-up without the tap's fixed start-up (${fmtMs(startup)} per run)`, fmtRatio(speedSubsetNet), fmtRatio(speed20Net)],
          ['calls (tuned ÷ naive)', fmtRatio(callsSubset), fmtRatio(calls20)],
          ['async jobs (tuned ÷ naive)', fmtRatio(ratio(tunedSubset.stats.jobsCreated, naiveSubset.stats.jobsCreated)), fmtRatio(ratio(tuned.stats.jobsCreated, naiveSubset.stats.jobsCreated * scale))],
        ],
      },
    ],
    checks: [
      check('≥ 5× faster than the naive baseline', `${fmtRatio(speed20)} (${o.accounts} accounts, naive scaled); ${fmtRatio(speedSubset)} on the same ${o.naiveAccounts} account(s)`, speed20 !== undefined && speed20 >= 5, {
        why: `the tuned run is CPU-bound, not wait-bound: the sandbox spent ${cpu(tuned.sandboxCpuSeconds)} of CPU generating and serialising insights in the bench process and the tap ${cpu(tuned.run.cpuSeconds)}, against ${fmtMs(tuned.run.wallMs)} of wall time on 2 cores shared by both (and by other work on this machine); the naive run waits on ${fmtNum(naiveSubset.stats.jobsCreated)} jobs one after the other, which only costs ${o.jobDurationMs} ms each here`,
        close:
          'run the bench on a quieter or larger machine, or with the sandbox in its own process on its own core; with real Graph job durations (seconds to minutes per job) the naive mode waits far longer per job while the tuned mode overlaps 4 jobs and runs 31 days per job, so the ratio grows with job duration.',
      }),
      check('≤ 1/3 of the naive baseline’s API calls', `${fmtRatio(calls20)} of naive (${fmtNum(tuned.stats.calls)} vs ${fmtNum(naiveCalls20)})`, calls20 !== undefined && calls20 <= 1 / 3, {
        why: 'entity streams and discovery cost the same in both modes; only insights jobs differ',
        close: 'fewer, longer insights jobs (insights_max_days_per_job up to 93).',
      }),
    ],
    notes: [
      'Records per tap CPU-second is the figure least bent by other load on the machine: wall times here stretch with the load average, CPU seconds much less.',
      `Naive ran on ${o.naiveAccounts} of the ${o.accounts} accounts to fit the bench's time budget; with max_concurrency 1 the tap syncs one account after the other, so its wall time and calls for ${o.accounts} accounts are ${fmtNum(scale, 1)}× the measured ones (all accounts of this world have the same tree size: 8 campaigns × 6 ad sets × 7 ads). The ratio measured on the same accounts is in the second column and needs no scaling.`,
      'All three knobs exist in spec.json; the naive mode needed no code change. max_concurrency 1 caps accounts, jobs and HTTP requests together (connector/tap/sync.ts uses it for the account, job and entity limiters; connector/graph/client.ts for in-flight requests).',
      `Throttles: the tuned mode stays under the default budgets; usage_pause_threshold 100 disables pacing in naive mode but at ${fmtNum(naiveSubset.stats.calls / Math.max(1, o.naiveAccounts))} calls per account spread over ${fmtMs(naiveSubset.run.wallMs / o.naiveAccounts)} it does not reach the 5,000-call account budget either.`,
      `The large world has ${sb.world.name === 'large' ? '60' : '?'} days of delivery history (its generator's fixed historyDays) and ${fmtNum(sb.world.ads.length / sb.world.accounts.length)} ads per account; the sandbox has no option for a 5,000-ad/20-account/90-day world, so this is the closest: ${o.accounts} accounts of the large world (${fmtNum(sb.world.ads.filter((a) => accounts.includes(a.accountId)).length)} ads), 90 days requested, of which the days before the world's history start return no rows.`,
    ],
    seconds: fullSeconds,
    findings: [
      `connector/sandbox/insights.ts computeInsights (test infrastructure, but it sets the pace of this bench): one account, ${o.days} days, in the bench process: ${cost.map((c) => `${c.level} ${fmtNum(c.rows)} rows in ${fmtMs(c.ms)}`).join(', ')}. Every level walks every ad-day and rolls up (so an account-level report costs about what the ad-level one does), and the 4 insights reports of a sync pay it 4×. In the tuned 20-account sync the sandbox used ${cpu(tuned.sandboxCpuSeconds)} CPU against the tap's ${cpu(tuned.run.cpuSeconds)}. Caching per-account ad-day vectors across levels would make the sandbox several times cheaper.`,
      `bin/tap-facebook-ads.js: \`--discover\` (no API call) takes ${fmtMs(startup)}: Node plus loading the compiled modules and reading the config; every run pays it (${Math.round((100 * startup) / tunedSubset.run.wallMs)} % of the 1-account tuned run).`,
    ],
  };

  // Incremental: the tuned run's final state, nothing changed in the world.
  const incStarted = performance.now();
  const incAccounts = accounts.slice(0, o.incrementalAccounts);
  // The state of runs that always synced these accounts: the full run's, its scope narrowed to them.
  // Its scope as it came would have the run read the pixel listings of the accounts it leaves out
  // (what narrowing account_ids costs: README "Narrowing account_ids or business_ids").
  const fullState = (tuned.lastState ?? {}) as Record<string, unknown>;
  const incState = fullState[SCOPE_KEY] ? { ...fullState, [SCOPE_KEY]: { ...(fullState[SCOPE_KEY] as Record<string, unknown>), accounts: incAccounts.map((a) => a.replace(/^act_/, '')) } } : fullState;
  const incremental = await runTap(sb, { dir: o.dir, name: 'incremental', config: { ...base, account_ids: incAccounts }, state: incState, timeoutMs: t });
  const per = perAccountCalls(incremental.stats, incAccounts.length);
  const fullPer = perAccountCalls(tuned.stats, o.accounts);
  const entityCalls = per.filter((p) => ENTITY_ENDPOINTS.some(([, e]) => e === p.endpoint));
  const jobsPerAccount = (incremental.stats.byEndpoint['POST /act_{id}/insights'] ?? 0) / incAccounts.length;
  const reports = Object.keys(incremental.recordsByStream).filter((s) => s.startsWith('insights_')).length || 4;
  const entityOk = entityCalls.every((p) => p.perAccount <= 1);
  const inc: Section = {
    title: 'Incremental re-sync, nothing changed',
    setup: `The tuned full sync's last STATE fed back to ${incAccounts.length} of its ${o.accounts} accounts right after it, its scope narrowed to them as if every run had synced only those (world clock unchanged; calls are per account, so a subset keeps the bench short). Calls per account, per stream, from the sandbox's per-endpoint counters; the full sync's figures are the baseline.`,
    tables: [
      {
        head: ['stream / endpoint', 'calls per account (incremental)', 'calls per account (full sync)', 'incremental ÷ full'],
        rows: per.map((p, i) =>
          p.endpoint === 'everything else'
            ? [`${p.what} (${p.endpoint})`, `${fmtNum(p.total)} per run`, `${fmtNum(fullPer[i]!.total)} per run`, fmtRatio(ratio(p.total, fullPer[i]!.total))]
            : [`${p.what} (\`${p.endpoint}\`)`, fmtNum(p.perAccount, 2), fmtNum(fullPer[i]!.perAccount, 2), fmtRatio(ratio(p.perAccount, fullPer[i]!.perAccount))],
        ),
      },
      {
        head: ['run', 'wall', 'API calls', 'async jobs', 'records', 'wall ÷ full', 'calls ÷ full'],
        rows: [
          ['full (baseline), per account', fmtMs(tuned.run.wallMs / o.accounts), fmtNum(tuned.stats.calls / o.accounts, 1), fmtNum(tuned.stats.jobsCreated / o.accounts, 1), fmtNum(tuned.records / o.accounts), '1.00×', '1.00×'],
          [
            'incremental, per account',
            fmtMs(incremental.run.wallMs / incAccounts.length),
            fmtNum(incremental.stats.calls / incAccounts.length, 1),
            fmtNum(incremental.stats.jobsCreated / incAccounts.length, 1),
            fmtNum(incremental.records / incAccounts.length),
            fmtRatio(ratio(incremental.run.wallMs / incAccounts.length, tuned.run.wallMs / o.accounts)),
            fmtRatio(ratio(incremental.stats.calls / incAccounts.length, tuned.stats.calls / o.accounts)),
          ],
        ],
      },
    ],
    checks: [
      check('1 call per account per entity stream', entityCalls.map((p) => `${p.what.split(' ')[0]} ${fmtNum(p.perAccount, 2)}`).join(', '), entityOk, {
        why: 'see the table: a stream above 1 call per account pages through unchanged objects or re-reads them by id',
        close: 'server-side updated_time filtering for every entity edge, and page sizes that fit an unchanged account in one page.',
      }),
      check(`insights: only the lookback jobs (1 per report per account when lookback ≤ insights_max_days_per_job)`, `${fmtNum(jobsPerAccount, 2)} jobs per account for ${reports} reports`, jobsPerAccount <= reports, {
        why: 'the lookback window was split into more than one job per report',
        close: 'keep insights_lookback_days ≤ insights_max_days_per_job.',
      }),
    ],
    notes: [
      `Records in the incremental run by stream: ${Object.entries(incremental.recordsByStream)
        .map(([k, v]) => `${k} ${fmtNum(v)}`)
        .join(', ')}. Insights rows are the lookback re-read (insights_lookback_days 28, Meta restates recent days).`,
    ],
    seconds: (performance.now() - incStarted) / 1000,
  };
  return { full, incremental: inc, figures: { tuned, tunedSubset, naiveSubset, incremental } };
}
