// The real peer connectors as a fidelity check of the sandbox: Airbyte's source-facebook-marketing,
// singer-io tap-facebook and MeltanoLabs tap-facebook, each from its own virtual environment, run
// against the small world with their Graph host redirected to loopback (redirect/sitecustomize.py);
// every request the sandbox rejected is listed with its verdict (verdicts.ts) in a Markdown report.
// Not part of `npm test`: `node --import tsx bench/peers/run.ts [--only airbyte,singer,meltano]
// [--days 3] [--timeout 900] [--out bench/peers/RESULTS.md]`.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DateTime } from 'luxon';
import { startSandbox as startOwnSandbox, type Sandbox } from '../../connector/sandbox/index.js';
import type { RejectedCall } from '../../connector/sandbox/stats.js';
import { graphApiMeta } from '../../connector/sandbox/meta.js';
import { PEER_FAULT_STREAMS, verdictOf, type Verdict } from './verdicts.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const OUT_DIR = path.join(HERE, 'out');
const REDIRECT = path.join(HERE, 'redirect');

export type PeerName = 'airbyte' | 'singer' | 'meltano';

interface PeerRun {
  peer: PeerName;
  label: string;
  exitCode: number | null;
  timedOut: boolean;
  seconds: number;
  calls: number;
  records: Record<string, number>;
  rejected: RejectedCall[];
  blocked: string[];
  stderrTail: string;
}

interface Ctx {
  sb: Sandbox;
  /** Accounts one token (agency) reaches: every peer reads the same ones. */
  accounts: string[];
  token: string;
  start: string;
  end: string;
  timeoutS: number;
}

function parseArgs(argv: string[]): { only: PeerName[]; days: number; timeoutS: number; out: string; sandbox: string | undefined } {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const only = (get('only') ?? 'airbyte,singer,meltano').split(',').map((s) => s.trim()) as PeerName[];
  for (const p of only) if (!['airbyte', 'singer', 'meltano'].includes(p)) throw new Error(`--only: unknown peer ${p}`);
  const days = Number(get('days') ?? 3);
  const timeoutS = Number(get('timeout') ?? 900);
  if (!Number.isInteger(days) || days < 1 || days > 28) throw new Error('--days must be an integer 1..28');
  return { only, days, timeoutS, out: get('out') ?? path.join(HERE, 'RESULTS.md'), sandbox: get('sandbox') };
}

/** An executable of a peer's virtual environment (install.sh). */
export function bin(peer: PeerName | 'target-duckdb', name: string): string {
  return path.join(HERE, '.venv', peer, 'bin', name);
}

/** The environment that points a Python peer at the sandbox from outside its code (redirect/sitecustomize.py). */
export function peerEnv(sandboxUrl: string, blockedLog: string): NodeJS.ProcessEnv {
  return { ...process.env, PYTHONPATH: REDIRECT, FB_PEERS_SANDBOX_URL: sandboxUrl, FB_PEERS_BLOCKED_LOG: blockedLog, PYTHONDONTWRITEBYTECODE: '1' };
}

/** Runs one peer command with the redirect loaded; stdout to a file, returns exit code and stderr tail. */
function runPy(ctx: Ctx, dir: string, file: string, args: string[], stdoutFile: string): Promise<{ code: number | null; timedOut: boolean; stderr: string }> {
  const env = peerEnv(ctx.sb.baseUrl, path.join(dir, 'blocked.log'));
  return new Promise((resolve) => {
    const child = spawn(file, args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => chunks.push(d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr = (stderr + d).slice(-20_000);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, ctx.timeoutS * 1000);
    child.on('close', (code) => {
      clearTimeout(timer);
      writeFileSync(stdoutFile, Buffer.concat(chunks));
      writeFileSync(`${stdoutFile}.stderr`, stderr);
      resolve({ code, timedOut, stderr });
    });
  });
}

export function jsonLines(file: string): Array<Record<string, unknown>> {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}

function countRecords(lines: Array<Record<string, unknown>>, streamOf: (m: Record<string, unknown>) => string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of lines) {
    const s = streamOf(m);
    if (s !== undefined) out[s] = (out[s] ?? 0) + 1;
  }
  return out;
}

/** Selects every stream of a Singer catalog (breadcrumb [] metadata) but the skipped ones, or only `keep` when given. */
export function selectSinger(catalog: { streams: Array<{ tap_stream_id: string; metadata?: Array<{ breadcrumb: string[]; metadata: Record<string, unknown> }> }> }, skip: readonly string[], keep?: readonly string[]): unknown {
  for (const s of catalog.streams) {
    const selected = keep ? keep.includes(s.tap_stream_id) : !skip.includes(s.tap_stream_id);
    // With `keep` (the side-by-side bench) every field of a kept stream too: singer-io emits only
    // the key fields of a stream whose fields are not selected one by one.
    if (keep) for (const m of s.metadata ?? []) if (m.breadcrumb.length === 2) m.metadata['selected'] = selected;
    const top = s.metadata?.find((m) => m.breadcrumb.length === 0);
    if (top) top.metadata['selected'] = selected;
    else (s.metadata ??= []).push({ breadcrumb: [], metadata: { selected } });
  }
  return catalog;
}

async function runSingerLike(ctx: Ctx, peer: 'singer' | 'meltano', account: string, skip: readonly string[]): Promise<PeerRun> {
  const dir = path.join(OUT_DIR, `${peer}-${account}-pass${skip.length + 1}`);
  mkdirSync(dir, { recursive: true });
  const config = peer === 'singer'
    ? { account_id: account, access_token: ctx.token, start_date: `${ctx.start}T00:00:00Z`, end_date: `${ctx.end}T00:00:00Z`, insights_buffer_days: 1 }
    : { account_id: account, access_token: ctx.token, start_date: `${ctx.start}T00:00:00Z`, end_date: `${ctx.end}T00:00:00Z` };
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config, null, 1));
  const t0 = performance.now();
  ctx.sb.resetStats();
  const tap = bin(peer, 'tap-facebook');
  const disc = await runPy(ctx, dir, tap, ['--config', 'config.json', '--discover'], path.join(dir, 'catalog.json'));
  let read = disc;
  if (disc.code === 0) {
    const catalog = selectSinger(JSON.parse(readFileSync(path.join(dir, 'catalog.json'), 'utf8')) as never, skip);
    writeFileSync(path.join(dir, 'catalog.selected.json'), JSON.stringify(catalog));
    read = await runPy(ctx, dir, tap, ['--config', 'config.json', peer === 'singer' ? '--properties' : '--catalog', 'catalog.selected.json'], path.join(dir, 'output.jsonl'));
  }
  const lines = jsonLines(path.join(dir, 'output.jsonl'));
  return finish(ctx, peer, `${peer} (account ${account})${skipLabel(skip)}`, dir, read, t0, countRecords(lines, (m) => (m['type'] === 'RECORD' ? String(m['stream']) : undefined)));
}

interface AirbyteStream {
  name: string;
  supported_sync_modes: string[];
}

const skipLabel = (skip: readonly string[]): string => (skip.length ? `, without ${skip.join(', ')}` : '');

async function runAirbyte(ctx: Ctx, skip: readonly string[]): Promise<PeerRun> {
  const dir = path.join(OUT_DIR, `airbyte-pass${skip.length + 1}`);
  mkdirSync(dir, { recursive: true });
  const config = {
    account_ids: ctx.accounts,
    credentials: { auth_type: 'Service', access_token: ctx.token },
    start_date: `${ctx.start}T00:00:00Z`,
    end_date: `${ctx.end}T23:59:59Z`,
    insights_lookback_window: 1,
  };
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config, null, 1));
  const t0 = performance.now();
  ctx.sb.resetStats();
  const src = bin('airbyte', 'source-facebook-marketing');
  const disc = await runPy(ctx, dir, src, ['discover', '--config', 'config.json'], path.join(dir, 'discover.jsonl'));
  let read = disc;
  const catalogMsg = jsonLines(path.join(dir, 'discover.jsonl')).find((m) => m['type'] === 'CATALOG');
  if (catalogMsg) {
    const streams = (catalogMsg['catalog'] as { streams: AirbyteStream[] }).streams;
    const configured = {
      streams: streams.filter((s) => !skip.includes(s.name)).map((s) => ({
        stream: s,
        sync_mode: s.supported_sync_modes.includes('full_refresh') ? 'full_refresh' : s.supported_sync_modes[0],
        destination_sync_mode: 'overwrite',
      })),
    };
    writeFileSync(path.join(dir, 'configured_catalog.json'), JSON.stringify(configured));
    read = await runPy(ctx, dir, src, ['read', '--config', 'config.json', '--catalog', 'configured_catalog.json'], path.join(dir, 'output.jsonl'));
  }
  const lines = jsonLines(path.join(dir, 'output.jsonl'));
  const records = countRecords(lines, (m) => (m['type'] === 'RECORD' ? String((m['record'] as Record<string, unknown>)['stream']) : undefined));
  return finish(ctx, 'airbyte', `airbyte (accounts ${ctx.accounts.join(', ')})${skipLabel(skip)}`, dir, read, t0, records);
}

function finish(ctx: Ctx, peer: PeerName, label: string, dir: string, r: { code: number | null; timedOut: boolean; stderr: string }, t0: number, records: Record<string, number>): PeerRun {
  const stats = ctx.sb.stats();
  const blockedFile = path.join(dir, 'blocked.log');
  const blocked = existsSync(blockedFile) ? [...new Set(readFileSync(blockedFile, 'utf8').split('\n').filter(Boolean).map((l) => l.replace(/^\d+ /, '')))] : [];
  writeFileSync(path.join(dir, 'rejected.json'), JSON.stringify(stats.rejected ?? null, null, 1));
  // A sandbox from before the rejected log (--sandbox <older checkout>) gives counts only.
  const rejected = stats.rejected ?? Array.from({ length: stats.errors }, (): RejectedCall => ({ method: '?', path: '?', version: '?', params: {}, status: 0, code: 0, message: 'details unavailable: this sandbox keeps no rejected log' }));
  return { peer, label, exitCode: r.code, timedOut: r.timedOut, seconds: (performance.now() - t0) / 1000, calls: stats.calls, records, rejected, blocked, stderrTail: r.stderr.split('\n').filter(Boolean).slice(-6).join('\n') };
}

// ---------------------------------------------------------------------------------------------

interface Group {
  key: string;
  count: number;
  example: RejectedCall;
  verdict: Verdict;
}

function groups(rejected: RejectedCall[], peer: PeerName): Group[] {
  const by = new Map<string, Group>();
  for (const r of rejected) {
    const pathPattern = r.path.replace(/\/act_\d+/g, '/act_{id}').replace(/\/\d+(?=\/|$)/g, '/{id}');
    const key = `${r.method} ${pathPattern} → ${r.code}${r.subcode !== undefined ? `/${r.subcode}` : ''} ${r.message}`;
    const g = by.get(key);
    if (g) g.count++;
    else by.set(key, { key, count: 1, example: r, verdict: verdictOf(peer, r) });
  }
  return [...by.values()];
}

const cut = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n)}…` : s);
const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function report(runs: PeerRun[], ctx: Ctx, command: string, started: Date): string {
  const stamp = graphApiMeta().stamp;
  const lines: string[] = [];
  lines.push('# Real peers against the sandbox: rejected requests', '');
  lines.push(`Run ${started.toISOString().slice(0, 16)}Z with \`${command}\` (bench/peers/README.md).`);
  lines.push(`Sandbox: small world, clock = the run's clock, job duration 0, rate-limit budgets out of reach; what it accepts comes from ${stamp.sdk_package} ${stamp.sdk_version} (${stamp.api_version}).`);
  lines.push(`Window ${ctx.start} .. ${ctx.end}; token \`agency\` (accounts ${ctx.accounts.join(', ')}).`, '');
  lines.push('| peer | exit | seconds | Graph calls | records | rejected | of which SDK-valid (sandbox bugs) | peer faults | other | blocked hosts |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of runs) {
    const gs = groups(r.rejected, r.peer);
    const n = (k: Verdict['kind']) => gs.filter((g) => g.verdict.kind === k).reduce((a, g) => a + g.count, 0);
    const recs = Object.values(r.records).reduce((a, b) => a + b, 0);
    lines.push(`| ${r.label} | ${r.timedOut ? 'timeout' : String(r.exitCode)} | ${r.seconds.toFixed(0)} | ${r.calls} | ${recs} | ${r.rejected.length} | ${n('sandbox')} | ${n('peer')} | ${n('expected')} | ${r.blocked.length ? r.blocked.join(', ') : 'none'} |`);
  }
  lines.push('', '`SDK-valid` = a request Meta\'s SDK metadata says is valid that the sandbox refused: each one is a sandbox bug to fix. `peer faults` = requests the real API would refuse too (reason given). `other` = answers a client must handle (e.g. a report read before its run completed).', '');
  lines.push('A peer fault that stops a stream or the whole peer would hide the rest, so each peer runs again without the streams such faults stop, one more per pass (bench/peers/verdicts.ts `PEER_FAULT_STREAMS`):', '');
  for (const [peer, streams] of Object.entries(PEER_FAULT_STREAMS)) for (const [stream, why] of Object.entries(streams)) lines.push(`- ${peer} \`${stream}\`: ${why}`);
  lines.push('');
  for (const r of runs) {
    lines.push(`## ${r.label}`, '');
    const recs = Object.entries(r.records).sort(([a], [b]) => a.localeCompare(b));
    lines.push(`Records per stream: ${recs.length ? recs.map(([s, n]) => `${s} ${n}`).join(', ') : 'none'}.`, '');
    const gs = groups(r.rejected, r.peer);
    if (gs.length === 0) lines.push('No request rejected.', '');
    else {
      lines.push('| count | request → error | verdict | why |', '|---|---|---|---|');
      for (const g of gs.sort((a, b) => a.verdict.kind.localeCompare(b.verdict.kind) || b.count - a.count)) {
        const fields = g.example.params['fields'];
        const req = `${g.key}${fields ? ` (fields=${cut(fields, 160)})` : ''}`;
        lines.push(`| ${g.count} | ${cell(cut(req, 600))} | ${g.verdict.kind === 'sandbox' ? '**sandbox bug**' : g.verdict.kind === 'peer' ? 'peer fault' : 'expected'} | ${cell(g.verdict.reason)} |`);
      }
      lines.push('');
    }
    if (r.exitCode !== 0) lines.push('Last lines of stderr:', '```', r.stderrTail, '```', '');
  }
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const install = spawnSync('bash', [path.join(HERE, 'install.sh')], { stdio: 'inherit' });
  if (install.status !== 0) throw new Error('bench/peers/install.sh failed');
  rmSync(OUT_DIR, { recursive: true, force: true });
  const started = new Date();
  // --sandbox <path to another checkout's connector/sandbox/index.ts>: measure an older sandbox (the "before" figures).
  const startSandbox = args.sandbox ? ((await import(path.resolve(args.sandbox))) as { startSandbox: typeof startOwnSandbox }).startSandbox : startOwnSandbox;
  // The peers compute dates from the system clock: the world's clock is the run's clock.
  // Rate limits stay on (budgets out of reach): the usage headers are part of every real answer, and
  // Airbyte reads x-fb-ads-insights-throttle unconditionally.
  const sb = await startSandbox({ world: 'small', now: started, jobDurationMs: 0, rateLimits: { appBudget: 1e9, accountBudget: 1e9 } });
  try {
    const agency = sb.tokens.find((t) => t.label === 'agency')!;
    const accounts = sb.world.users.find((u) => u.id === agency.userId)!.accountIds;
    const today = DateTime.fromJSDate(started, { zone: 'utc' });
    const ctx: Ctx = { sb, accounts, token: agency.token, start: today.minus({ days: args.days }).toISODate()!, end: today.minus({ days: 1 }).toISODate()!, timeoutS: args.timeoutS };
    const runs: PeerRun[] = [];
    const once = (peer: PeerName, skip: readonly string[]): Promise<PeerRun> => (peer === 'airbyte' ? runAirbyte(ctx, skip) : runSingerLike(ctx, peer, accounts[0]!, skip));
    for (const peer of args.only) {
      // Pass i leaves out the first i streams a peer fault stops (verdicts.ts), so each fault shows up
      // with its own rejection and the last pass exercises everything else.
      const broken = Object.keys(PEER_FAULT_STREAMS[peer]);
      for (const skip of broken.map((_, i) => broken.slice(0, i)).concat([broken])) {
        process.stderr.write(`peers: running ${peer}${skipLabel(skip)}…\n`);
        const last = await once(peer, skip);
        runs.push(last);
        process.stderr.write(`peers: ${last.label}: exit ${String(last.exitCode)}, ${last.calls} calls, ${last.rejected.length} rejected\n`);
      }
    }
    const command = `node --import tsx bench/peers/run.ts ${process.argv.slice(2).join(' ')}`.trim();
    writeFileSync(args.out, report(runs, ctx, command, started));
    process.stderr.write(`peers: wrote ${path.relative(process.cwd(), args.out)} (machine ${os.hostname()})\n`);
    const bugs = runs.flatMap((r) => groups(r.rejected, r.peer)).filter((g) => g.verdict.kind === 'sandbox').length;
    process.exitCode = bugs > 0 ? 1 : 0;
  } finally {
    await sb.close();
  }
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
