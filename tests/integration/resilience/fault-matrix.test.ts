// The real tap (a child process, as Meltano runs it) against the loopback sandbox with one injected
// fault per run. Each run is compared with a clean baseline run: records arrive exactly once, the
// bookmarks are the baseline's (or absent for an account that failed), the exit code and message say
// what happened, and no configured secret appears anywhere in stdout, stderr or the state.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createHmac } from 'node:crypto';
import pLimit from 'p-limit';
import { startSandbox, type Sandbox, type FaultSpec, type SandboxStats } from '../../../connector/sandbox/index.js';
import { discover } from '../../../connector/tap/discover.js';
import { REPO_ROOT } from '../../../connector/core/config.js';
import { nowEnv } from '../../../connector/core/clock.js';

const APP_SECRET = 'fault-matrix-app-secret-77';
/** Streams the matrix reads: enough to cover discovery, incremental entities and async insights. */
const STREAMS = new Set(['ad_accounts', 'campaigns', 'ads', 'insights_account', 'insights_ad', 'sync_log']);
const TAP_TIMEOUT_MS = 120_000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stream → key → record (without _sdc_ columns) */
  records: Map<string, Map<string, Record<string, unknown>>>;
  duplicates: string[];
  state: { bookmarks: Record<string, Record<string, unknown>> };
  logs: Array<Record<string, unknown>>;
  syncLog: Array<Record<string, unknown>>;
}

const strip = (r: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.entries(r).filter(([k]) => !k.startsWith('_sdc_')));

function parseRun(code: number | null, stdout: string, stderr: string): Run {
  const keys = new Map<string, string[]>();
  const records = new Map<string, Map<string, Record<string, unknown>>>();
  const duplicates: string[] = [];
  const syncLog: Array<Record<string, unknown>> = [];
  let state: Run['state'] = { bookmarks: {} };
  for (const line of stdout.split('\n')) {
    if (!line.trim()) continue;
    const m = JSON.parse(line) as { type: string; stream?: string; key_properties?: string[]; record?: Record<string, unknown>; value?: Run['state'] };
    if (m.type === 'SCHEMA') keys.set(m.stream!, m.key_properties ?? []);
    if (m.type === 'STATE') state = m.value!;
    if (m.type !== 'RECORD') continue;
    if (m.stream === 'sync_log') {
      syncLog.push(m.record!);
      continue;
    }
    const k = JSON.stringify((keys.get(m.stream!) ?? []).map((p) => m.record![p]));
    const per = records.get(m.stream!) ?? new Map<string, Record<string, unknown>>();
    if (per.has(k)) duplicates.push(`${m.stream} ${k}`);
    per.set(k, strip(m.record!));
    records.set(m.stream!, per);
  }
  const logs = stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { code, stdout, stderr, records, duplicates, state, logs, syncLog };
}

/** One tap run under one fault, against its own sandbox generated from the same seed as the baseline's. */
interface Scenario {
  name: string;
  faults: (ctx: Ctx) => FaultSpec[];
  over?: Record<string, unknown>;
  /** Replaces the token list (e.g. only an expired token). */
  tokens?: (ctx: Ctx) => Array<{ label: string; token: string }>;
  check: (run: Run, stats: SandboxStats, ctx: Ctx) => void;
}
interface Ctx {
  baseline: Run;
  /** account → token labels that reach it (from the baseline's ad_accounts.access). */
  reach: Map<string, Set<string>>;
  world: Sandbox['world'];
}
/** Parallel tap runs: each is mostly waiting (retries, jobs, startup), so a few at a time keeps CI fast. */
const PARALLEL_RUNS = 3;

describe('fault matrix: the real tap against the sandbox', function () {
  this.timeout(4 * TAP_TIMEOUT_MS);
  let dir: string;
  let ctx: Ctx;
  let secrets: string[];
  const children = new Set<ChildProcess>();
  const sandboxes = new Set<Sandbox>();
  const results = new Map<string, { run: Run; stats: SandboxStats }>();

  const newSandbox = async (): Promise<Sandbox> => {
    // Rate limits on (generous budgets) so every answer carries real usage headers, as Meta's do.
    const sb = await startSandbox({ world: 'small', seed: 3, appSecret: APP_SECRET, rateLimits: true, jobDurationMs: 20 });
    sandboxes.add(sb);
    return sb;
  };

  const configFor = (sb: Sandbox, over: Record<string, unknown> = {}): Record<string, unknown> => ({
    access_tokens: sb.tokens.map((t) => ({ label: t.label, token: t.token })),
    app_secret: APP_SECRET,
    api_base_url: sb.baseUrl,
    api_version: sb.apiVersion,
    start_date: '2026-11-14',
    end_date: '2026-11-20',
    retry_base_ms: 5,
    max_retries: 3,
    request_timeout_seconds: 1,
    max_concurrency: 3,
    insights_poll_interval_seconds: 0.02,
    circuit_breaker: { failures: 5, pause_seconds: 0.2 },
    ...over,
  });

  /** Runs the tap on `sb`'s clock (FB_ADS_ELT_NOW), so the world's days are the tap's whatever today is. */
  const runTap = async (sb: Sandbox, cfg: Record<string, unknown>): Promise<Run> => {
    const cfgFile = path.join(dir, `config-${Date.now()}-${Math.random().toString(16).slice(2)}.json`);
    writeFileSync(cfgFile, JSON.stringify(cfg));
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin/tap-facebook-ads.js'), '--config', cfgFile, '--catalog', path.join(dir, 'catalog.json')], {
      cwd: REPO_ROOT,
      env: { ...process.env, LOG_LEVEL: 'info', ...nowEnv(sb.now()) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), TAP_TIMEOUT_MS);
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    clearTimeout(timer);
    children.delete(child);
    return parseRun(code, stdout, stderr);
  };

  /** Every record is the baseline's, once; nothing else arrived. Failed accounts may miss records. */
  const expectSameData = (run: Run, failedAccounts: Set<string> = new Set()): void => {
    expect(run.duplicates, 'records emitted twice').to.deep.equal([]);
    for (const [stream, base] of ctx.baseline.records) {
      const got = run.records.get(stream) ?? new Map<string, Record<string, unknown>>();
      for (const [k, rec] of base) {
        const acct = String(rec['account_id'] ?? '');
        if (failedAccounts.has(acct) && stream !== 'ad_accounts') continue;
        expect(got.get(k), `${stream} ${k} missing or different`).to.deep.equal(rec);
      }
      for (const k of got.keys()) expect(base.has(k), `${stream} ${k} was not in the baseline`).to.equal(true);
    }
  };

  /**
   * Bookmarks equal the baseline's. For a failed account a stream's bookmark may only exist when
   * sync_log says that stream finished ('ok'); a failed or skipped stream keeps no new bookmark.
   */
  const expectBookmarks = (run: Run, failedAccounts: Set<string> = new Set()): void => {
    for (const [stream, per] of Object.entries(ctx.baseline.state.bookmarks)) {
      for (const [acct, bm] of Object.entries(per)) {
        const got = run.state.bookmarks[stream]?.[acct];
        if (!failedAccounts.has(acct)) {
          expect(got, `${stream}/${acct}`).to.deep.equal(bm);
          continue;
        }
        const row = run.syncLog.find((r) => r['account_id'] === acct);
        const streams = (row?.['streams'] as Array<{ stream: string; status: string }> | undefined) ?? [];
        const status = streams.find((x) => x.stream === stream)?.status;
        if (status === 'ok') expect(got, `${stream}/${acct} finished`).to.deep.equal(bm);
        else expect(got, `${stream}/${acct} moved although the stream ${status ?? 'did not run'}`).to.equal(undefined);
      }
    }
  };

  const expectNoSecrets = (run: Run): void => {
    const all = run.stdout + run.stderr + JSON.stringify(run.state);
    for (const s of secrets) expect(all.includes(s), 'a configured secret leaked').to.equal(false);
  };

  const firedTotal = (st: SandboxStats): number => Object.values(st.faultsFired).reduce((a, b) => a + b, 0);
  const retriesInSyncLog = (run: Run): number => run.syncLog.reduce((n, r) => n + Number(r['retries'] ?? 0), 0);

  /** A recoverable fault: everything arrives exactly once with the baseline's bookmarks and exit 0. */
  const recovers = (name: string, faults: FaultSpec[], over?: Record<string, unknown>, extra?: (run: Run, st: SandboxStats) => void): Scenario => ({
    name,
    faults: () => faults,
    ...(over ? { over } : {}),
    check: (run, st) => {
      expect(run.code, run.stderr.slice(-1500)).to.equal(0);
      expect(firedTotal(st), 'the fault fired').to.equal(faults.reduce((n, f) => n + (f.times ?? 1), 0));
      expectSameData(run);
      expectBookmarks(run);
      // Faults on account paths are retried inside account work, so sync_log counts them.
      if (faults.every((f) => f.path !== undefined)) expect(retriesInSyncLog(run), 'sync_log counts the retries').to.equal(firedTotal(st));
      // Fewer consecutive failures than circuit_breaker.failures must not pause the run.
      if (!extra)
        expect(
          run.logs.some((l) => String(l['msg']).startsWith('circuit breaker opened')),
          'breaker opened',
        ).to.equal(false);
      extra?.(run, st);
    },
  });

  /** The token that reaches one account alone and shares another (the small world has one). */
  const dyingToken = (c: Ctx): { label: string; exclusive: Set<string> } => {
    const labels = [...new Set([...c.reach.values()].flatMap((x) => [...x]))];
    const label = labels.find((l) => [...c.reach.values()].some((x) => x.has(l) && x.size === 1) && [...c.reach.values()].some((x) => x.has(l) && x.size > 1));
    if (!label) throw new Error('the small world should have a token with an exclusive and a shared account');
    return { label, exclusive: new Set([...c.reach].filter(([, x]) => x.size === 1 && x.has(label)).map(([a]) => a)) };
  };
  const firstAccount = (c: Ctx): string => [...c.reach.keys()].sort()[0]!;
  const lastAccount = (c: Ctx): string => [...c.reach.keys()].sort().at(-1)!;

  // Faults with a path hit account calls (and show up in sync_log); those without one hit the first
  // calls of the run (token checks, discovery).
  const SCENARIOS: Scenario[] = [
    recovers('a BUC insights throttle (80000) twice', [{ kind: 'throttle', code: 80000, path: '/insights', times: 2, regainMinutes: 0 }]),
    recovers('an app throttle (code 4) twice at the start', [{ kind: 'throttle', code: 4, times: 2, regainMinutes: 0 }]),
    recovers('a user throttle (code 17) on campaigns', [{ kind: 'throttle', code: 17, path: '/campaigns', times: 1, regainMinutes: 0 }]),
    recovers('an ad-account throttle (613) on ads', [{ kind: 'throttle', code: 613, path: '/act_\\d+/ads$', times: 1, regainMinutes: 0 }]),
    recovers('two HTTP 500s on ads', [{ kind: 'http_500', path: '/act_\\d+/ads$', times: 2 }]),
    recovers('two HTTP 503s on campaigns', [{ kind: 'http_503', path: '/campaigns', times: 2 }]),
    recovers('two connection resets at the start', [{ kind: 'reset', times: 2 }]),
    recovers('a request that never answers', [{ kind: 'timeout', path: '/campaigns', times: 1 }]),
    recovers('a burst of 503s that opens the circuit breaker', [{ kind: 'http_503', times: 6 }], { max_retries: 8, circuit_breaker: { failures: 3, pause_seconds: 0.2 } }, (run) => {
      const opened = run.logs.find((l) => String(l['msg']).startsWith('circuit breaker opened'));
      expect(opened, 'breaker opened').to.not.equal(undefined);
      expect(String(opened?.['reason'])).to.match(/code 2|503/);
    }),
    {
      name: 'a forbidden account: isolated, the others complete, exit 5, sync_log names it with the permission error',
      faults: (c) => [{ kind: 'account_forbidden', accountId: firstAccount(c) }],
      check: (run, _st, c) => {
        const victim = firstAccount(c);
        expect(run.code, run.stderr.slice(-1500)).to.equal(5);
        const row = run.syncLog.find((r) => r['account_id'] === victim);
        expect(row?.['status']).to.equal('failed');
        expect(row?.['error_class']).to.equal('permission');
        expect(String(row?.['hint'])).to.match(/role|access|permission/i);
        expect(run.syncLog.filter((r) => r['account_id'] !== victim).every((r) => r['status'] === 'ok')).to.equal(true);
        expect(run.logs.some((l) => l['level'] === 'error' && String(l['msg']).includes(victim))).to.equal(true);
        expectSameData(run, new Set([victim]));
        expectBookmarks(run, new Set([victim]));
      },
    },
    {
      name: 'a token expiring mid-run: shared accounts finish on the other token, its own accounts fail with auth (exit 5)',
      faults: (c) => [{ kind: 'token_expired', token: dyingToken(c).label, path: '/insights' }],
      check: (run, _st, c) => {
        const { label, exclusive } = dyingToken(c);
        expect(run.code, run.stderr.slice(-1500)).to.equal(5);
        expect(run.logs.some((l) => l['level'] === 'warn' && l['token_label'] === label && /not used again/.test(String(l['msg'])))).to.equal(true);
        for (const r of run.syncLog) {
          if (exclusive.has(String(r['account_id']))) {
            expect(r['status']).to.equal('failed');
            expect(r['error_class']).to.equal('auth');
            expect(String(r['error_message'])).to.include(`"${label}"`);
          } else {
            expect(r['status'], `account ${String(r['account_id'])}`).to.equal('ok');
          }
        }
        expectSameData(run, exclusive);
        expectBookmarks(run, exclusive);
      },
    },
    {
      name: 'the only token already expired: exit 3, the message names the token, no records',
      faults: () => [],
      tokens: (c) => {
        const expired = c.world.expiredTokens[0];
        if (!expired) throw new Error('the small world should have an expired token');
        return [{ label: expired.label, token: expired.token }];
      },
      check: (run, _st, c) => {
        expect(run.code, run.stderr.slice(-1500)).to.equal(3);
        const last = run.logs.at(-1)!;
        expect(last['level']).to.equal('error');
        expect(String(last['msg'])).to.include(`"${c.world.expiredTokens[0]!.label}"`);
        expect(String(last['hint'])).to.match(/token/i);
        expect(run.records.size).to.equal(0);
      },
    },
    {
      name: 'an account whose ads keep answering 500: it fails transient after max_retries (exit 5), its ads bookmark stays put',
      faults: (c) => [{ kind: 'http_500', path: `/act_${lastAccount(c)}/ads$` }],
      check: (run, st, c) => {
        const victim = lastAccount(c);
        expect(run.code, run.stderr.slice(-1500)).to.equal(5);
        const row = run.syncLog.find((r) => r['account_id'] === victim);
        expect(row?.['status']).to.equal('failed');
        expect(row?.['error_class']).to.equal('transient');
        expect(Number(row?.['retries'])).to.equal(3);
        expect(st.faultsFired['http_500']).to.equal(4);
        expect(run.state.bookmarks['ads']?.[victim]).to.equal(undefined);
        expectSameData(run, new Set([victim]));
        expectBookmarks(run, new Set([victim]));
      },
    },
  ];

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'fault-matrix-'));
    const catalog = discover();
    for (const st of catalog.streams) {
      for (const m of st.metadata) if (m.breadcrumb.length === 0) (m.metadata as Record<string, unknown>)['selected'] = STREAMS.has(st.tap_stream_id);
    }
    writeFileSync(path.join(dir, 'catalog.json'), JSON.stringify(catalog));
    const base = await newSandbox();
    const baseline = await runTap(base, configFor(base));
    if (baseline.code !== 0) throw new Error(`baseline tap run failed (${baseline.code}): ${baseline.stderr.slice(-2000)}`);
    const reach = new Map<string, Set<string>>();
    for (const rec of baseline.records.get('ad_accounts')?.values() ?? []) {
      const access = (rec['access'] as Array<{ token_label: string }> | undefined) ?? [];
      reach.set(String(rec['account_id']), new Set(access.map((a) => a.token_label)));
    }
    ctx = { baseline, reach, world: base.world };
    const tokens = [...base.tokens, ...base.world.expiredTokens].map((t) => t.token);
    secrets = [APP_SECRET, ...tokens, ...tokens.map((t) => createHmac('sha256', APP_SECRET).update(t).digest('hex'))];
    const limit = pLimit(PARALLEL_RUNS);
    await Promise.all(
      SCENARIOS.map((sc) =>
        limit(async () => {
          const sb = await newSandbox();
          try {
            for (const f of sc.faults(ctx)) sb.faults.add(f);
            const cfg = configFor(sb, { ...sc.over, ...(sc.tokens ? { access_tokens: sc.tokens(ctx) } : {}) });
            results.set(sc.name, { run: await runTap(sb, cfg), stats: sb.stats() });
          } finally {
            sandboxes.delete(sb);
            await sb.close();
          }
        }),
      ),
    );
  });

  after(async () => {
    for (const c of children) c.kill('SIGKILL');
    for (const sb of sandboxes) await sb.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('has a clean baseline with data in every selected stream and no secret in its output', () => {
    expect(ctx.baseline.duplicates).to.deep.equal([]);
    for (const st of STREAMS) if (st !== 'sync_log') expect(ctx.baseline.records.get(st)?.size ?? 0, st).to.be.greaterThan(0);
    expect(ctx.reach.size).to.be.at.least(4);
    expect(ctx.baseline.syncLog.every((r) => r['status'] === 'ok')).to.equal(true);
    expectNoSecrets(ctx.baseline);
  });

  for (const sc of SCENARIOS) {
    it(`under ${sc.name}: data exactly once, right bookmarks and exit code, no secret anywhere`, () => {
      const r = results.get(sc.name);
      if (!r) throw new Error('the scenario did not run');
      sc.check(r.run, r.stats, ctx);
      expectNoSecrets(r.run);
    });
  }
});
