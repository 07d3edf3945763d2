// One pipeline run: tap → target through an OS pipe (backpressure included), the last state the
// target committed persisted atomically for the next run, the models built on request, and a
// summary. Tap and target are child processes driven only through their CLI contracts.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import { nowEnv, runClock, type Clock } from '../core/clock.js';
import { SURFACE_ENV, type Surface } from '../core/surface.js';
import { asConnectorError, ConfigError, EXIT_CODES } from '../core/errors.js';
import { makeScratch } from '../core/scratch.js';
import { loadSchema, readJsonFile, REPO_ROOT } from '../core/config.js';
import type { Logger, LogSink } from '../core/log.js';
import { Redactor, secretsFromSchema } from '../core/secrets.js';
import { validateTapConfig, SPEC_PATH, type TapConfig } from '../tap/config.js';
import { validateTargetConfig, TARGET_SCHEMA_PATH, type TargetConfig } from '../target/config.js';
import { relayChildLogs, type ChildLogLine } from './child-logs.js';
import { childExitCode, combineExitCodes, killedFromOutside, type ChildOutcome } from './exit-code.js';
import { buildModels, type ModelsRunner } from './models-step.js';
import { modelsGate } from './models-gate.js';
import { nodeCommand } from '../cli/node-flags.js';
import { ProgressReporter } from './progress.js';
import { newRunId } from './run-id.js';
import { SingerMeter } from './singer-meter.js';
import { addRequestMetricLine, type RequestCounts } from '../singer/request-metrics.js';
import { readStateFile, StatePersister, stateFromTargetLine, writeStateAtomic } from './state-file.js';
import { checkDatasetOfState, checkStateFilePath, checkWarehouseOfState, duckdbPathOf } from './state-checks.js';
import { clearBookmarks, type FullRefresh } from './full-refresh.js';
import { bookmarkKeys } from '../tap/discover.js';
import { lockExclusive } from './run-lock.js';
import { accountsFromSyncLog, buildSummary, skippedObjectsOf, staleAccountsSaid, tapNotesOf, type Failure, type SyncSummary, type TapNotes } from './summary.js';
import type { SkippedObject } from '../tap/sync.js';
import { CountCheck, withCountFailures } from './verify-counts.js';
import { KILL_WAIT_MS, killGroups, type ForceStop } from './force-stop.js';
import type { TapState } from '../singer/state.js';

/** The steps of a sync run, as progress and /sync-status name them. */
export type SyncPhase = 'syncing' | 'building models';

/** The shipped CLIs, run with the same Node and their shebang's flags (bins register tsx themselves). */
export const DEFAULT_TAP_COMMAND = nodeCommand(path.join(REPO_ROOT, 'bin', 'tap-facebook-ads.js'));
export const DEFAULT_TARGET_COMMAND = nodeCommand(path.join(REPO_ROOT, 'bin', 'target-bigquery.js'));

export interface SyncOptions {
  tapConfigPath: string;
  targetConfigPath: string;
  stateFile?: string | undefined;
  catalogPath?: string | undefined;
  account?: string | undefined;
  days?: number | undefined;
  /** Clear these streams' bookmarks (of `account` only, when given) before the run: they are read from start_date (full-refresh.ts). */
  fullRefresh?: FullRefresh | undefined;
  /** Build the dbt models after a committed sync (DuckDB destination only). */
  models?: boolean | undefined;
  modelsProjectDir?: string | undefined;
  modelsVars?: Record<string, unknown> | undefined;
  runId?: string | undefined;
  /** Where the run was asked for: its hints name that surface's flags or POST body keys (core/surface.ts). Default the CLI. */
  surface?: Surface;
  log: Logger;
  /** Where relayed child log lines go (default stderr, like our own logs). */
  logSink?: LogSink;
  /** stderr-like sink for the live progress line. */
  progressOut?: { write(s: string): unknown; isTTY?: boolean; columns?: number };
  progressIntervalMs?: number;
  /** Relay child log lines at or above this level (default: warn on a TTY, debug otherwise). */
  relayLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** argv prefixes of the children (tests use stand-ins); default: the shipped bins. */
  tapCommand?: string[];
  targetCommand?: string[];
  modelsRunner?: ModelsRunner;
  env?: NodeJS.ProcessEnv;
  /** The run's clock (core/clock.ts), read once: the tap, the target and the models get that instant. Default: FB_ADS_ELT_NOW or the system clock. */
  clock?: Clock;
  cwd?: string;
  /** Aborting stops the tap; the target then commits what it has and the run ends (exit 7). */
  signal?: AbortSignal;
  /**
   * Firing it kills the tap and the target at once (SIGKILL to their process groups) and resolves
   * once both have exited: what the target had not committed is rolled back and read again by the next run.
   */
  force?: ForceStop;
  /** Sees the tap's progress/log fields as they arrive (the HTTP status uses it). */
  onChildLog?: (component: 'tap' | 'target', line: ChildLogLine) => void;
  onState?: (state: Record<string, unknown>) => void;
  /** The step the run is in: tap → target first, then (with `models`) the dbt build. */
  onPhase?: (phase: SyncPhase) => void;
}

export interface SyncResult {
  exitCode: number;
  summary: SyncSummary;
}

interface LoadedConfigs {
  redactor: Redactor;
  secrets: string[];
  tap: TapConfig;
  target: TargetConfig;
}

/** Validates both configs before anything is spawned (exit 2 early) and collects their secrets. */
export function loadPipelineConfigs(tapConfigPath: string, targetConfigPath: string, cwd = process.cwd()): LoadedConfigs {
  const tapRaw = readJsonFile(tapConfigPath, 'tap config');
  const targetRaw = readJsonFile(targetConfigPath, 'target config');
  const secrets = [...secretsFromSchema(loadSchema(SPEC_PATH), tapRaw), ...secretsFromSchema(loadSchema(TARGET_SCHEMA_PATH), targetRaw)];
  const redactor = new Redactor(secrets);
  try {
    // Named in every message ("Invalid tap config (tap.json): …"), as the bins and doctor name them.
    const { config: tap } = validateTapConfig(tapRaw, tapConfigPath);
    const { config: target } = validateTargetConfig(targetRaw, cwd, targetConfigPath);
    return { redactor, secrets, tap, target };
  } catch (err) {
    const e = asConnectorError(err);
    throw new ConfigError(redactor.redact(e.message), { hint: e.hint ?? 'See README "Configuration".' });
  }
}

/**
 * The state with the refreshed streams' bookmarks cleared, written to the state file before the tap
 * starts: a run that dies part-way then resumes as the refresh it was, never from the old bookmarks.
 */
function persistRefresh({ state: next, cleared }: ReturnType<typeof clearBookmarks>, o: SyncOptions, known: Record<string, string>, log: Logger): TapState | undefined {
  if (next && o.stateFile && cleared.length > 0) writeStateAtomic(o.stateFile, next);
  const streams = o.fullRefresh === 'all' ? Object.keys(known) : [...o.fullRefresh!];
  log.info(`full refresh: ${streams.length === Object.keys(known).length ? 'every stream is' : `${streams.join(', ')} ${streams.length === 1 ? 'is' : 'are'}`} read from start_date${o.account ? ` for account ${o.account}` : ''}`, {
    full_refresh: streams,
    bookmarks_cleared: cleared,
    ...(o.account ? { account: o.account } : {}),
  });
  return next;
}

function waitForExit(child: ChildProcess): Promise<ChildOutcome> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
}

/** A failure read from a child's error line: its message, error_kind and hint. */
function failureOf(scope: Failure['scope'], line: ChildLogLine, defaultKind: string): Failure {
  const hint = line.fields['hint'];
  return {
    scope,
    kind: typeof line.fields['error_kind'] === 'string' ? line.fields['error_kind'] : defaultKind,
    message: line.msg,
    ...(typeof hint === 'string' ? { hint } : {}),
  };
}

/** The one JSON error line runCli writes when a child fails (it carries exit_code and a hint). */
function fatalFrom(component: 'tap' | 'target', line: ChildLogLine): Failure | undefined {
  if (line.level !== 'error' || typeof line.fields['exit_code'] !== 'number') return undefined;
  return failureOf(component, line, 'error');
}

/**
 * A token the tap left out while the others carried on (an error line naming its label, no exit
 * code): the run ends partial, and without this the summary would name no cause at all.
 */
function tokenFailureFrom(line: ChildLogLine): Failure | undefined {
  if (line.level !== 'error' || typeof line.fields['exit_code'] === 'number' || typeof line.fields['token_label'] !== 'string') return undefined;
  return failureOf('tap', line, 'auth');
}

/**
 * The models step builds on DuckDB only: refused for a BigQuery target, by `sync --models` and by
 * `serve` with "models": true when it starts (not at each trigger). `asked` names what to drop.
 */
export function checkModelsDestination(models: boolean, destination: string, asked: '--models' | '"models": true in the serve config'): void {
  if (!models || destination === 'duckdb') return;
  throw new ConfigError(`${asked} builds the dbt project on DuckDB only, but the target writes to BigQuery`, {
    hint: `Run \`.venv/bin/dbt build --project-dir dbt --profiles-dir dbt --target bigquery\` after the sync (see README "dbt models"), or drop ${asked === '--models' ? '--models' : '"models" from the serve config'}.`,
  });
}

export async function runSync(o: SyncOptions): Promise<SyncResult> {
  const startedAt = (o.clock ?? runClock(o.env ?? process.env))();
  // Durations come from the monotonic clock: a pinned run clock may stand still or sit years away.
  const t0 = performance.now();
  const runId = o.runId ?? newRunId(startedAt);
  const cwd = o.cwd ?? process.cwd();
  const surface = o.surface ?? 'cli';
  const { redactor, secrets, tap: tapConfig, target } = loadPipelineConfigs(o.tapConfigPath, o.targetConfigPath, cwd);
  for (const v of secrets) o.log.redactor.add(v);
  checkModelsDestination(o.models === true, target.destination, '--models');
  if (o.days !== undefined && (!Number.isInteger(o.days) || o.days < 1)) throw new ConfigError(`--days must be a positive integer, got ${o.days}`);
  if (o.fullRefresh && o.days !== undefined) throw new ConfigError('--full-refresh re-reads the streams from start_date, --days reads only the last N days: give one of them', { hint: 'Drop --days to re-read everything, or --full-refresh to re-read the last N days.' });
  // Names checked before anything runs (no state needed to find a typo).
  const known = bookmarkKeys(tapConfig);
  if (o.fullRefresh) clearBookmarks(undefined, o.fullRefresh, known, undefined, surface);
  if (o.catalogPath && !existsSync(o.catalogPath)) throw new ConfigError(`catalog file ${o.catalogPath} does not exist`, { hint: 'Create one with `tap-facebook-ads --config tap.json --discover > catalog.json`.' });
  if (o.stateFile) checkStateFilePath(o.stateFile, surface);
  const log = o.log.child({ run_id: runId });
  // Held from reading the state to writing the last one: a second run on this state file stops here (exit 7).
  const lock = o.stateFile
    ? await lockExclusive({
        file: o.stateFile,
        role: 'state file',
        holder: 'fb-ads-elt sync',
        onLost: (err) => {
          log.error(err.message, { hint: err.hint, ...err.context });
          stopTap();
        },
      })
    : undefined;
  let previousState: TapState | undefined;
  try {
    previousState = o.stateFile ? readStateFile(o.stateFile, log) : undefined;
    if (previousState && o.stateFile) checkWarehouseOfState(o.stateFile, previousState, target, cwd);
    const refresh = o.fullRefresh ? clearBookmarks(previousState, o.fullRefresh, known, o.account) : undefined;
    // Checked on the bookmarks the run will start from: a full refresh of every stream loads a new dataset whole.
    const startState = refresh ? refresh.state : previousState;
    if (startState && o.stateFile) await checkDatasetOfState(o.stateFile, startState, known, target, cwd, surface);
    if (refresh) previousState = persistRefresh(refresh, o, known, log);
  } catch (err) {
    await lock?.release();
    throw err;
  }

  // The tap reads a private copy: the real file is rewritten while the run goes on.
  const scratch = makeScratch('sync');
  const tty = !!o.progressOut?.isTTY;
  const progress = new ProgressReporter({ tty, out: o.progressOut ?? process.stderr, log, ...(o.progressIntervalMs ? { intervalMs: o.progressIntervalMs } : {}) });
  const persister = new StatePersister(o.stateFile);
  const failures: Failure[] = [];
  const requests: Partial<RequestCounts> = {};
  const counts = new CountCheck();
  let tapCounts: { accounts?: number; added?: number; updated?: number } | undefined;
  let skippedObjects: SkippedObject[] = [];
  let tapNotes: TapNotes | undefined;
  const accountsSeen = new Set<string>();
  let tapChild: ChildProcess | undefined;
  let targetChild: ChildProcess | undefined;
  let stoppedByUs = false;
  const stopTap = (): void => {
    if (tapChild && tapChild.exitCode === null && tapChild.signalCode === null) {
      stoppedByUs = true;
      tapChild.kill('SIGTERM');
    }
  };

  try {
    const tapArgs = ['--config', path.resolve(cwd, o.tapConfigPath)];
    if (o.catalogPath) tapArgs.push('--catalog', path.resolve(cwd, o.catalogPath));
    if (previousState && o.stateFile) {
      const copy = path.join(scratch, 'state.json');
      copyFileSync(o.stateFile, copy);
      tapArgs.push('--state', copy);
    }
    if (o.account) tapArgs.push('--account', o.account);
    if (o.days !== undefined) tapArgs.push('--days', String(o.days));
    const tapCmd = o.tapCommand ?? DEFAULT_TAP_COMMAND;
    const targetCmd = o.targetCommand ?? DEFAULT_TARGET_COMMAND;
    const env = { ...(o.env ?? process.env), FB_ADS_ELT_RUN_ID: runId, [SURFACE_ENV]: surface, ...nowEnv(startedAt) };

    log.info('sync started', { state_file: o.stateFile, has_state: !!previousState, account: o.account, days: o.days, models: !!o.models });
    progress.start();
    progress.setPhase('syncing');
    o.onPhase?.('syncing');
    // Own process groups: a Ctrl-C on the terminal reaches only us, so we can stop the tap and let
    // the target commit, instead of both children dying mid-batch. If we die, the pipes close and
    // the children end too (the tap on EPIPE, the target on EOF after committing).
    targetChild = spawn(targetCmd[0]!, [...targetCmd.slice(1), '--config', path.resolve(cwd, o.targetConfigPath)], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    tapChild = spawn(tapCmd[0]!, [...tapCmd.slice(1), ...tapArgs], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const tap = tapChild;
    const targetProc = targetChild;
    const onAbort = (): void => stopTap();
    o.signal?.addEventListener('abort', onAbort, { once: true });
    if (o.signal?.aborted) stopTap();
    const forgetForce = o.force?.register(async () => {
      const alive = await killGroups([tap, targetProc]);
      if (alive.length > 0) {
        log.warn(`killed, but not exited yet after ${KILL_WAIT_MS / 1000} s: pid ${alive.join(', ')}`, {
          hint: 'The DuckDB warehouse stays locked until they are gone; check with `ps -p <pid>` before the re-run.',
        });
      }
    });

    const relay = (component: 'tap' | 'target', child: ChildProcess): Promise<void> =>
      relayChildLogs(child.stderr!, {
        component,
        redactor,
        sink: o.logSink ?? process.stderr,
        minLevel: o.relayLevel ?? (tty ? 'warn' : 'debug'),
        beforeWrite: () => progress.clear(),
        afterWrite: () => progress.redraw(),
        observe: (line) => {
          if (component === 'tap') {
            progress.onChildFields(line.fields);
            addRequestMetricLine(line.fields, requests);
            const account = line.fields['account_id'];
            if (typeof account === 'string' && account !== '') accountsSeen.add(account);
            if (line.fields['type'] === 'summary') {
              const n = (k: string): number | undefined => (typeof line.fields[k] === 'number' ? (line.fields[k] as number) : undefined);
              skippedObjects = skippedObjectsOf(line.fields['skipped_objects']);
              tapNotes = tapNotesOf(line.fields);
              tapCounts = {};
              for (const k of ['accounts', 'added', 'updated'] as const) {
                const v = n(k);
                if (v !== undefined) tapCounts[k] = v;
              }
            }
          }
          counts.observe(component, line.fields);
          const fatal = fatalFrom(component, line) ?? (component === 'tap' ? tokenFailureFrom(line) : undefined);
          if (fatal && !failures.some((f) => f.scope === fatal.scope && f.message === fatal.message)) failures.push(fatal);
          o.onChildLog?.(component, line);
        },
      });

    const meter = new SingerMeter((stream) => progress.onRecord(stream));
    // A target that dies closes its stdin: the pipe then fails, and the tap must stop too.
    const piped = pipeline(tap.stdout!, meter, targetProc.stdin!).catch((err: NodeJS.ErrnoException) => {
      log.debug('tap→target pipe closed early', { code: err.code, error: err.message });
      stopTap();
    });
    const statesRead = (async () => {
      for await (const line of createInterface({ input: targetProc.stdout!, crlfDelay: Infinity })) {
        const state = stateFromTargetLine(line);
        if (!state) continue;
        persister.offer(state);
        o.onState?.(state);
      }
    })();
    const [tapOutcome, targetOutcome] = await Promise.all([
      waitForExit(tap),
      waitForExit(targetProc).then((r) => {
        if (r.code !== 0) stopTap();
        return r;
      }),
      relay('tap', tap),
      relay('target', targetProc),
      piped,
      statesRead,
    ]);
    o.signal?.removeEventListener('abort', onAbort);
    forgetForce?.();
    persister.flush();

    const tapCode = childExitCode(tapOutcome, { stoppedByUs });
    const targetCode = childExitCode(targetOutcome);
    if (tapCode !== 0 && !failures.some((f) => f.scope === 'tap')) {
      const hint = stoppedByUs ? 'What was committed before the stop is kept; run again to continue from the saved state.' : tapCode === EXIT_CODES.partial ? 'Some accounts failed; the others were committed. See the failures above.' : undefined;
      const killed = !stoppedByUs && killedFromOutside(tapOutcome);
      const message = stoppedByUs ? 'the tap was stopped before it finished' : killed ? `tap-facebook-ads was killed by ${tapOutcome.signal} before it finished` : `tap exited with ${tapOutcome.code ?? tapOutcome.signal}`;
      failures.push({ scope: 'tap', kind: stoppedByUs ? 'stopped' : killed ? 'killed' : 'exit', message, ...(hint ? { hint } : killed ? { hint: 'What was committed before it is kept; run again to continue from the saved state.' } : {}) });
    }
    if (targetCode !== 0 && !failures.some((f) => f.scope === 'target')) {
      const killed = killedFromOutside(targetOutcome);
      failures.push({
        scope: 'target',
        kind: killed ? 'killed' : 'exit',
        message: killed ? `target-bigquery was killed by ${targetOutcome.signal} before it finished` : `target exited with ${targetOutcome.code ?? targetOutcome.signal}`,
        hint: `Nothing after the last saved state was committed; re-run to continue from it.${killed ? ' Something outside the run stopped the target (an operator, the OOM killer, a timeout).' : ''}`,
      });
    }

    // Both ended as if all went well: prove it, every record the tap wrote was committed.
    const countFailures = targetCode === 0 && (tapCode === 0 || tapCode === EXIT_CODES.partial) ? counts.failures(meter.snapshot().records) : [];
    failures.push(...countFailures);

    let modelsCode: number | undefined;
    // Decided also without --models: a scheduler that runs dbt itself (the Airflow DAG) reads `models.due`.
    const runAccounts = accountsFromSyncLog(meter.syncLog, previousState);
    const gate = modelsGate({ tapCode, targetCode, stopped: stoppedByUs, recordsLost: countFailures.length > 0, tapFinished: tapCounts !== undefined, accounts: runAccounts });
    const stale = gate.build && gate.stale.length ? { stale_accounts: gate.stale } : {};
    let modelsInfo: SyncSummary['models'] = { ran: false, due: gate.build, ...stale };
    if (o.models && gate.build) {
      progress.setPhase('building models');
      o.onPhase?.('building models');
      // The run's exit code stays the tap's: the summary and this line say which rows the reports lack.
      if (gate.stale.length) {
        log.warn(`building the models over a partial run: ${staleAccountsSaid(gate.stale, runAccounts)}`, {
          stale_accounts: gate.stale,
          hint: "The other accounts' rows are this run's. The spend coverage leaves the failed accounts' days unread, so CAC stays undefined for the months they touch until a run reads them.",
        });
      }
      const runner = o.modelsRunner ?? buildModels;
      try {
        const r = await runner({
          duckdbPath: duckdbPathOf(target, cwd),
          ...(o.modelsProjectDir ? { projectDir: o.modelsProjectDir } : {}),
          // The models read the raw tables from the schema the target wrote them to, and without
          // the __history tables (target history: false) the two history staging models are off.
          vars: { facebook_ads_schema: target.dataset, ...(target.history ? {} : { facebook_ads__using_history: false }), ...o.modelsVars },
          now: startedAt,
          log: log.child({ step: 'models' }),
          ...(o.signal ? { signal: o.signal } : {}),
        });
        modelsCode = 0;
        modelsInfo = { ran: true, due: true, exit_code: 0, ...(r.models !== undefined ? { models: r.models } : {}), ...stale };
      } catch (err) {
        const e = asConnectorError(err);
        modelsCode = e.exitCode;
        modelsInfo = { ran: true, due: true, exit_code: e.exitCode, ...stale };
        failures.push({ scope: 'models', kind: e.kind, message: redactor.redact(e.message), ...(e.hint ? { hint: e.hint } : {}) });
      }
    } else if (o.models && !gate.build) {
      // Rows may well have been committed (a stopped or killed tap, a target failing late): say why, not "nothing".
      modelsInfo = { ran: false, due: false, not_built: gate.why };
      log.warn(`models not built: ${gate.why}`, {
        tap_exit: tapCode,
        target_exit: targetCode,
        hint: `What this run committed reaches the models at the next sync that builds them, or now with \`fb-ads-elt models build --duckdb-path ${duckdbPathOf(target, cwd)}${target.dataset === 'facebook_ads' ? '' : ` --vars '{facebook_ads_schema: ${target.dataset}}'`}\`.`,
      });
    }
    progress.stop();

    const exitCode = withCountFailures(combineExitCodes({ tap: tapCode, target: targetCode, models: modelsCode }), countFailures);
    const snap = meter.snapshot();
    const summary = buildSummary({
      runId,
      startedAt,
      finishedAt: new Date(startedAt.getTime() + Math.round(performance.now() - t0)),
      exitCode,
      syncLog: redactor.redactValue(meter.syncLog),
      previousState,
      // Rows per stream as the tap reports them (record_count); the pipe's own count when it reported none.
      rows: counts.tapReported ? counts.writtenPerStream() : snap.records,
      stateFile: o.stateFile,
      stateWritten: persister.writeCount > 0,
      stateMessages: snap.stateMessages,
      processFailures: failures,
      models: modelsInfo,
      ...(requests.api_calls !== undefined ? { requests: { api_calls: requests.api_calls, throttles: requests.throttles ?? 0 } } : {}),
      ...(tapCounts ? { tapCounts } : {}),
      skippedObjects,
      ...(tapNotes ? { tapNotes } : {}),
      accountsSeen: accountsSeen.size,
    });
    log.info('sync finished', { type: 'summary', summary: { ...summary, accounts: { ...summary.accounts, list: undefined } } });
    return { exitCode, summary };
  } finally {
    progress.stop();
    stopTap();
    // On an early failure the target still waits for input: end it so it commits and exits.
    if (targetChild?.stdin && !targetChild.stdin.destroyed) targetChild.stdin.end();
    rmSync(scratch, { recursive: true, force: true });
    await lock?.release();
  }
}
