// The peers' world, side by side in one run: our tap and the three real Facebook taps (Airbyte,
// singer-io, MeltanoLabs; bench/peers/install.sh) against one sandbox world, each reading the same
// thing (entities + ad-level daily insights, 3 accounts, `days` days), with wall time, Graph calls
// (the sandbox's counters), records, peak RSS and whether its spend per account and day is the
// world's. Also our tap's memory on this world (with and without the launcher's V8 flags) and its
// incremental re-run, whose calls per account feed the sharding scenario.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { startSandbox, type Sandbox } from '../../connector/sandbox/index.js';
import { REPO_ROOT } from '../../connector/core/config.js';
import { bin, jsonLines, peerEnv, selectSinger, type PeerName } from '../peers/run.js';
import { PEER_FAULT_STREAMS } from '../peers/verdicts.js';
import { runChild, type ChildRun } from '../proc.js';
import { check, fmtBytes, fmtMs, fmtNum, fmtRatio, ratio, type Section } from '../report.js';
import { runTap, type TapRun } from '../tap-run.js';

export interface PeersOptions {
  dir: string;
  days: number;
  /** Runs of our tap as shipped (the memory figure is the highest of them). */
  oursRuns: number;
  /** Why the Python peers are left out (--no-peers, install.sh failed); undefined = run them. */
  peersLeftOut: string | undefined;
  timeoutMs: number;
}

/** What every tap reads: entity streams + ad-level daily insights, in each tap's own stream names. */
export const SELECTION: Record<'ours' | PeerName, { streams: string[]; insights: string }> = {
  ours: { streams: ['campaigns', 'ad_sets', 'ads', 'ad_creatives', 'insights_ad'], insights: 'insights_ad' },
  airbyte: { streams: ['campaigns', 'ad_sets', 'ads', 'ad_creatives', 'ads_insights'], insights: 'ads_insights' },
  singer: { streams: ['campaigns', 'adsets', 'ads', 'adcreative', 'ads_insights'], insights: 'ads_insights' },
  meltano: { streams: ['campaigns', 'adsets', 'ads', 'creatives', 'adsinsights_default'], insights: 'adsinsights_default' },
};

/** A peer's selection without the streams its own faults stop (verdicts.ts PEER_FAULT_STREAMS: the real API refuses them too). */
const readable = (peer: PeerName): string[] => SELECTION[peer].streams.filter((s) => !(s in PEER_FAULT_STREAMS[peer]));

const PEER_LABEL: Record<PeerName, string> = {
  airbyte: 'Airbyte source-facebook-marketing 6.1.9',
  singer: 'singer-io tap-facebook 1.26.0',
  meltano: 'MeltanoLabs tap-facebook 0.9.0',
};

export const peersInstalled = (peer: PeerName | 'target-duckdb'): boolean => existsSync(join(REPO_ROOT, 'bench', 'peers', '.venv', peer, '.pin'));

/** The record of a Singer RECORD line (`record`) or an Airbyte one (`record.data`) of `stream`, else undefined. */
export function recordOf(m: Record<string, unknown>, stream: string): Record<string, unknown> | undefined {
  if (m['type'] !== 'RECORD') return undefined;
  const rec = m['record'] as Record<string, unknown> | undefined;
  if (m['stream'] === stream) return rec;
  return rec?.['stream'] === stream ? (rec['data'] as Record<string, unknown> | undefined) : undefined;
}

/**
 * Spend in cents per "account|day" from Singer/Airbyte lines of one ad-level insights stream, as a
 * target merging on the row key (ad, day) would hold it: a row read twice counts once, the last wins.
 */
export function spendByAccountDay(lines: Array<Record<string, unknown>>, stream: string): Map<string, number> {
  const rows = new Map<string, { key: string; cents: number }>();
  for (const m of lines) {
    const r = recordOf(m, stream);
    if (!r) continue;
    const day = String(r['date_start']).slice(0, 10);
    rows.set(`${String(r['ad_id'])}|${day}`, { key: `${String(r['account_id']).replace(/^act_/, '')}|${day}`, cents: Math.round(Number(r['spend'] ?? 0) * 100) });
  }
  const out = new Map<string, number>();
  for (const { key, cents } of rows.values()) out.set(key, (out.get(key) ?? 0) + cents);
  return out;
}

/** Compares spend per account and day with the world's truth: '' when equal, else what differs (missing, extra, other amounts). */
export function spendDiff(got: Map<string, number>, truth: Map<string, number>): string {
  const keys = [...new Set([...got.keys(), ...truth.keys()])].sort();
  const bad = keys.filter((k) => (got.get(k) ?? 0) !== (truth.get(k) ?? 0));
  if (bad.length === 0) return '';
  const money = (c: number | undefined): string => (c === undefined ? 'none' : (c / 100).toFixed(2));
  const missing = bad.filter((k) => !got.has(k));
  const extra = bad.filter((k) => !truth.has(k));
  const other = bad.filter((k) => got.has(k) && truth.has(k));
  const eg = (k: string | undefined): string => (k === undefined ? '' : ` (e.g. ${k.replace('|', ' on ')}: ${money(got.get(k))} vs ${money(truth.get(k))})`);
  const parts = [missing.length ? `${missing.length} missing${eg(missing[0])}` : '', extra.length ? `${extra.length} not in the world's window${eg(extra[0])}` : '', other.length ? `${other.length} with another amount${eg(other[0])}` : ''].filter(Boolean);
  return `${bad.length} of ${truth.size} account-days differ: ${parts.join('; ')}`;
}

interface TapSide {
  name: string;
  processes: number;
  wallMs: number;
  cpuSeconds: number | undefined;
  calls: number;
  records: number;
  insightsRows: number;
  peakRssBytes: number;
  spend: string;
  exit: string;
}

function truthOf(sb: Sandbox, accounts: string[], since: string, until: string, includeDeleted: boolean): Map<string, number> {
  const out = new Map<string, number>();
  for (const a of accounts) {
    for (const r of sb.expectedInsights({ accountId: a, level: 'ad', since, until, includeDeleted })) {
      const key = `${a}|${r['date_start']}`;
      out.set(key, (out.get(key) ?? 0) + Math.round(Number(r['spend'] ?? 0) * 100));
    }
  }
  return out;
}

function verdictOf(got: Map<string, number>, truth: Map<string, number>, truthLive: Map<string, number>): string {
  const d = spendDiff(got, truth);
  if (!d) return 'yes';
  return spendDiff(got, truthLive) ? `no: ${d}` : `no: ${d}; equals the world without deleted ads (it does not ask for their insights)`;
}

/** One peer process: discover (untimed), then the timed read with the sandbox's counters reset. */
async function runPeer(sb: Sandbox, o: PeersOptions, peer: PeerName, account: string | undefined, accounts: string[], w: { since: string; until: string }, token: string): Promise<{ run: ChildRun; calls: number; lines: Array<Record<string, unknown>> }> {
  const name = `${peer}${account ? `-${account}` : ''}`;
  const dir = o.dir;
  const cfg = join(dir, `${name}.config.json`);
  const out = join(dir, `${name}.out.jsonl`);
  const env = peerEnv(sb.baseUrl, join(dir, `${name}.blocked.log`));
  const sel = readable(peer);
  let exe: string;
  let readArgs: string[];
  if (peer === 'airbyte') {
    writeFileSync(cfg, JSON.stringify({ account_ids: accounts, credentials: { auth_type: 'Service', access_token: token }, start_date: `${w.since}T00:00:00Z`, end_date: `${w.until}T23:59:59Z`, insights_lookback_window: 1 }));
    exe = bin('airbyte', 'source-facebook-marketing');
    const disc = await runChild(exe, { args: ['discover', '--config', cfg], env, cwd: dir, keepStdout: (l) => l.includes('"CATALOG"'), timeoutMs: o.timeoutMs });
    const catalogMsg = disc.kept.map((l) => JSON.parse(l) as Record<string, unknown>).find((m) => m['type'] === 'CATALOG');
    const streams = ((catalogMsg?.['catalog'] as { streams?: Array<{ name: string; supported_sync_modes: string[] }> } | undefined)?.streams ?? []).filter((s) => sel.includes(s.name));
    const configured = join(dir, `${name}.catalog.json`);
    writeFileSync(configured, JSON.stringify({ streams: streams.map((s) => ({ stream: s, sync_mode: s.supported_sync_modes.includes('full_refresh') ? 'full_refresh' : s.supported_sync_modes[0], destination_sync_mode: 'overwrite' })) }));
    readArgs = ['read', '--config', cfg, '--catalog', configured];
  } else {
    writeFileSync(cfg, JSON.stringify({ account_id: account, access_token: token, start_date: `${w.since}T00:00:00Z`, end_date: `${w.until}T00:00:00Z`, ...(peer === 'singer' ? { insights_buffer_days: 1 } : {}) }));
    exe = bin(peer, 'tap-facebook');
    const discovered = join(dir, `${name}.discovered.json`);
    await runChild(exe, { args: ['--config', cfg, '--discover'], env, cwd: dir, stdoutFile: discovered, timeoutMs: o.timeoutMs });
    const catalog = join(dir, `${name}.catalog.json`);
    writeFileSync(catalog, JSON.stringify(selectSinger(JSON.parse(readFileSync(discovered, 'utf8')) as never, [], sel)));
    readArgs = ['--config', cfg, peer === 'singer' ? '--properties' : '--catalog', catalog];
  }
  sb.resetStats();
  const run = await runChild(exe, { args: readArgs, env, cwd: dir, stdoutFile: out, timeoutMs: o.timeoutMs });
  return { run, calls: sb.stats().calls, lines: jsonLines(out) };
}

function peerSide(peer: PeerName, runs: Array<{ run: ChildRun; calls: number; lines: Array<Record<string, unknown>> }>, truth: Map<string, number>, live: Map<string, number>): TapSide {
  const lines = runs.flatMap((r) => r.lines);
  const isRecord = (m: Record<string, unknown>): boolean => m['type'] === 'RECORD';
  const insights = SELECTION[peer].insights;
  const got = spendByAccountDay(lines, insights);
  const bad = runs.filter((r) => r.run.code !== 0);
  return {
    name: PEER_LABEL[peer],
    processes: runs.length,
    wallMs: runs.reduce((a, r) => a + r.run.wallMs, 0),
    cpuSeconds: runs.every((r) => r.run.cpuSeconds !== undefined) ? runs.reduce((a, r) => a + (r.run.cpuSeconds ?? 0), 0) : undefined,
    calls: runs.reduce((a, r) => a + r.calls, 0),
    records: lines.filter(isRecord).length,
    insightsRows: lines.filter((m) => recordOf(m, insights) !== undefined).length,
    peakRssBytes: Math.max(...runs.map((r) => r.run.peakRssBytes)),
    spend: verdictOf(got, truth, live),
    exit: bad.length ? `exit ${bad.map((r) => r.run.code ?? r.run.signal).join(', ')}: ${bad[0]!.run.stderr.trim().split('\n').slice(-1)[0]?.slice(0, 200) ?? ''}` : '0',
  };
}

export interface PeersWorldResult {
  sections: Section[];
  /** Our tap's Graph calls per account: a full `days`-day read and an incremental re-run. */
  callsPerAccount: { full: number; incremental: number; days: number; wallMsPerAccount: number };
}

export async function peersWorldBench(o: PeersOptions): Promise<PeersWorldResult> {
  const started = performance.now();
  const now = new Date();
  // As bench/peers/run.ts: the peers compute dates from the system clock, so the world's clock is the run's;
  // reports complete at once (singer-io sleeps 10 s after a first incomplete poll); budgets out of reach.
  const sb = await startSandbox({ world: 'small', now, jobDurationMs: 0, rateLimits: { appBudget: 1e9, accountBudget: 1e9 } });
  try {
    const agency = sb.tokens.find((t) => t.label === 'agency');
    const user = sb.world.users.find((u) => u.id === agency?.userId);
    if (!agency || !user) throw new Error('the small world has no agency token');
    const accounts = user.accountIds.map((a) => a.replace(/^act_/, ''));
    const today = DateTime.fromJSDate(sb.now(), { zone: 'utc' });
    const w = { since: today.minus({ days: o.days }).toISODate() ?? '', until: today.minus({ days: 1 }).toISODate() ?? '' };
    const truth = truthOf(sb, accounts, w.since, w.until, true);
    const live = truthOf(sb, accounts, w.since, w.until, false);

    const catalog = join(o.dir, 'ours.catalog.json');
    const golden = JSON.parse(readFileSync(join(REPO_ROOT, 'catalog.json'), 'utf8')) as { streams: Array<{ tap_stream_id: string; metadata?: Array<{ breadcrumb: string[]; metadata: Record<string, unknown> }> }> };
    writeFileSync(catalog, JSON.stringify(selectSinger(golden, [], SELECTION.ours.streams)));
    const config = { access_token: agency.token, api_base_url: sb.baseUrl, account_ids: accounts, start_date: w.since, end_date: w.until, insights_poll_interval_seconds: 0.05 };
    const ours = async (name: string, extra: { withoutNodeFlags?: boolean; state?: Record<string, unknown> } = {}): Promise<TapRun & { side: TapSide }> => {
      const out = join(o.dir, `${name}.out.jsonl`);
      const r = await runTap(sb, { dir: o.dir, name, config, args: ['--catalog', catalog], stdoutFile: out, timeoutMs: o.timeoutMs, ...extra });
      const lines = jsonLines(out);
      const got = spendByAccountDay(lines, 'insights_ad');
      return {
        ...r,
        side: {
          name: 'ours (tap-facebook-ads)',
          processes: 1,
          wallMs: r.run.wallMs,
          cpuSeconds: r.run.cpuSeconds,
          calls: r.stats.calls,
          records: r.records,
          insightsRows: r.recordsByStream['insights_ad'] ?? 0,
          peakRssBytes: r.run.peakRssBytes,
          spend: verdictOf(got, truth, live),
          exit: '0',
        },
      };
    };
    const shipped: Array<TapRun & { side: TapSide }> = [];
    for (let i = 0; i < o.oursRuns; i++) shipped.push(await ours(`ours-${i}`));
    const plain = await ours('ours-plain', { withoutNodeFlags: true });
    const memorySeconds = (performance.now() - started) / 1000;
    const first = shipped[0]!;
    const incremental = await ours('ours-incremental', first.lastState ? { state: first.lastState } : {});
    const peak = Math.max(...shipped.map((r) => r.run.peakRssBytes));
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
    const oursSide: TapSide = { ...first.side, wallMs: median(shipped.map((r) => r.run.wallMs)), peakRssBytes: peak };

    const memory: Section = {
      title: "Tap memory on the peers' world",
      setup: `Our tap on the peers' world (sandbox \`small\`, token \`agency\`: ${accounts.length} accounts, ${o.days} days ${w.since} .. ${w.until}, campaigns, ad sets, ads, creatives and ad-level daily insights), started as everything starts it (\`bin/tap-facebook-ads.js\` with its shebang's V8 flags, connector/cli/node-flags.ts), ${o.oursRuns} runs, then once as plain \`node bin/tap-facebook-ads.js\` without them. Peak RSS is the child's ru_maxrss (GNU time).`,
      tables: [
        {
          head: ['run', 'records', 'wall', 'tap CPU', 'peak RSS', 'RSS ÷ plain node'],
          rows: [
            ...shipped.map((r, i) => [`as shipped #${i + 1}`, fmtNum(r.records), fmtMs(r.run.wallMs), r.run.cpuSeconds === undefined ? 'n/a' : `${r.run.cpuSeconds.toFixed(2)} s`, fmtBytes(r.run.peakRssBytes), fmtRatio(ratio(r.run.peakRssBytes, plain.run.peakRssBytes))]),
            ['plain `node` (no V8 flags)', fmtNum(plain.records), fmtMs(plain.run.wallMs), plain.run.cpuSeconds === undefined ? 'n/a' : `${plain.run.cpuSeconds.toFixed(2)} s`, fmtBytes(plain.run.peakRssBytes), '1.00×'],
          ],
        },
      ],
      checks: [
        check("tap peak RSS ≤ 64 MiB on the peers' world", `${fmtBytes(peak)} (highest of ${o.oursRuns} runs; ${fmtBytes(plain.run.peakRssBytes)} without the V8 flags)`, peak <= 64 * 1024 * 1024, {
          why: "Node itself is most of it: the node binary's touched pages (code, ICU data for time zones) are ~40 MB of RSS before any JavaScript runs; the rest is the V8 heap (module code, the run's garbage) and malloc (HTTP buffers).",
          close: 'a single bundled and minified tap file (less module source and bytecode on the heap), or streaming JSON parsing of large insights pages.',
        }),
      ],
      notes: [
        "Where the memory went before (127 MiB, issue 20): axios (it loaded form-data, follow-redirects, http2 and undici's WebAssembly HTTP parser, ~20 MB), ajv compiling spec.json at every start (~6–9 MB), and V8's defaults (a 16 MB young generation, the optimising compiler's memory and pages of code). Now: node:http/https (connector/graph/http.ts), validators precompiled by `npm run build` (connector/core/validators.ts), and `--max-semi-space-size=1 --no-opt --optimize-for-size --single-threaded` on the tap's shebang: the tap's objects die young (it streams), its CPU is mostly JSON.parse/stringify in C++ builtins (compare the CPU column; the sync scenario shows CPU at scale), and a heap this small needs no GC helper threads.",
        `RSS of a bare \`node -e 0\` on this machine is ~40 MB (the floor); the tap's Node \`--version\` path is measured in the start-up section.`,
      ],
      seconds: memorySeconds,
    };

    const sides: TapSide[] = [oursSide];
    const notes: string[] = [];
    if (o.peersLeftOut === undefined) {
      for (const peer of ['airbyte', 'singer', 'meltano'] as const) {
        if (!peersInstalled(peer)) {
          notes.push(`${PEER_LABEL[peer]} did not run: its virtual environment is not installed (bench/peers/install.sh).`);
          continue;
        }
        const left = SELECTION[peer].streams.filter((st) => !readable(peer).includes(st));
        for (const st of left) notes.push(`${PEER_LABEL[peer]} ran without \`${st}\`: ${PEER_FAULT_STREAMS[peer][st] ?? ''} (a peer fault the real API refuses too; bench/peers/verdicts.ts).`);
        const runs = peer === 'airbyte' ? [await runPeer(sb, o, peer, undefined, accounts, w, agency.token)] : [];
        if (peer !== 'airbyte') for (const a of accounts) runs.push(await runPeer(sb, o, peer, a, accounts, w, agency.token));
        sides.push(peerSide(peer, runs, truth, live));
      }
    } else notes.push(`The Python peers were left out of this run: ${o.peersLeftOut}.`);
    const row = (s: TapSide): string[] => [
      s.name,
      String(s.processes),
      fmtMs(s.wallMs),
      fmtNum(s.calls),
      fmtNum(s.records),
      fmtNum(s.insightsRows),
      fmtBytes(s.peakRssBytes),
      s.spend,
      s.exit,
      fmtRatio(ratio(s.wallMs, oursSide.wallMs)),
      fmtRatio(ratio(s.calls, oursSide.calls)),
      fmtRatio(ratio(s.peakRssBytes, oursSide.peakRssBytes)),
    ];
    const taps: Section = {
      title: 'Taps side by side: ours and the real peers on one sandbox world',
      setup: `One sandbox (\`small\` world, clock = the run's clock, report runs complete at once, rate-limit budgets out of reach), token \`agency\` (${accounts.length} accounts), ${o.days} days (${w.since} .. ${w.until}). Every tap reads the same: campaigns, ad sets, ads, creatives and ad-level daily insights (${Object.entries(
        SELECTION,
      )
        .map(([k, v]) => `${k}: ${v.streams.join(', ')}`)
        .join(
          '; ',
        )}). The peers' Graph host is redirected to the sandbox from outside their code (bench/peers/redirect). singer-io and MeltanoLabs take one account per process: their three processes ran one after the other and their walls, calls and records are summed (peak RSS: the highest). Discovery is not timed. "Spend matches" compares spend per account and day (rows deduplicated on ad and day, as a target merging on the key holds them) with the world's truth (sandbox expectedInsights, deleted ads included).`,
      tables: [{ head: ['tap', 'processes', 'wall', 'Graph calls', 'records', 'ad-level insights rows', 'peak RSS', 'spend matches the world', 'exit', 'wall ÷ ours', 'calls ÷ ours', 'RSS ÷ ours'], rows: sides.map(row) }],
      checks: [],
      notes: [
        ...notes,
        `Our incremental re-run (the first run's STATE fed back, nothing changed in the world): ${fmtNum(incremental.stats.calls)} Graph calls, ${fmtMs(incremental.run.wallMs)} (full run: ${fmtNum(first.stats.calls)} calls).`,
        "Calls per tap are the sandbox's own counters for exactly that tap's read; Airbyte's batch API calls count once per HTTP request.",
      ],
      seconds: (performance.now() - started) / 1000,
    };
    return {
      sections: [memory, taps],
      callsPerAccount: { full: first.stats.calls / accounts.length, incremental: incremental.stats.calls / accounts.length, days: o.days, wallMsPerAccount: oursSide.wallMs / accounts.length },
    };
  } finally {
    await sb.close();
  }
}
