// Runs real dbt on a DuckDB warehouse: one `dbt <command>` subprocess with a generated profile,
// dbt's JSON events relayed as our log lines on stderr, and for `build` the outcome read from
// target/run_results.json (a failing model or test is a DataError, exit 6, naming each one).
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { REPO_ROOT } from '../core/config.js';
import { ConfigError, DataError, TransientError } from '../core/errors.js';
import type { Level, Logger } from '../core/log.js';
import { modelsSchema, rawDatasetOf, writeDuckdbProfile } from './profile.js';
import { describeFailure, label, readRunResults, type DbtRunResults } from './results.js';
import { DBT_ENV_VAR, resolveDbt } from './python-env.js';

export const DEFAULT_DBT_PROJECT = path.join(REPO_ROOT, 'dbt');

export interface DbtRunOptions {
  duckdbPath: string;
  /** The dbt project; default dbt/ of this repository. */
  projectDir?: string;
  /** dbt vars (e.g. facebook_ads_schema, the schema the target wrote the raw tables to). */
  vars?: Record<string, unknown>;
  log: Logger;
  /** The dbt executable; default FB_ADS_ELT_DBT or the project's .venv. */
  dbt?: string;
  env?: NodeJS.ProcessEnv;
  /** dbt threads; default the machine's cores. */
  threads?: number;
  /** Stops dbt (SIGINT, as a terminal's Ctrl-C would): the run then ends with StoppedError. */
  signal?: AbortSignal;
}

/**
 * dbt's target/ and logs/ for a warehouse, kept beside its file (`warehouse.duckdb` →
 * `warehouse.dbt/`): partial parsing then survives between runs on the same warehouse (the
 * profile, hence dbt's parse cache key, includes the file's path), runs on two warehouses never
 * share one, and the project directory stays read-only.
 */
export function dbtWorkDir(duckdbPath: string): string {
  const abs = path.resolve(duckdbPath);
  return path.join(path.dirname(abs), `${path.basename(abs, path.extname(abs))}.dbt`);
}

const LEVELS = new Set<Level>(['debug', 'info', 'warn', 'error']);

/** One dbt JSON event (`--log-format json`) as a log line; undefined for empty spacer lines. */
export function dbtEventToLog(raw: string): { level: Level; msg: string; fields: Record<string, unknown> } | undefined {
  let ev: { info?: { level?: unknown; msg?: unknown; name?: unknown }; data?: { node_info?: { unique_id?: unknown } } };
  try {
    ev = JSON.parse(raw) as typeof ev;
  } catch {
    // A Python traceback or anything else not in dbt's event format.
    return raw.trim() === '' ? undefined : { level: 'warn', msg: raw, fields: { note: 'not a dbt JSON event' } };
  }
  const msg = typeof ev.info?.msg === 'string' ? ev.info.msg.trim() : '';
  if (msg === '') return undefined;
  const lvl = String(ev.info?.level ?? 'info') as Level;
  const node = ev.data?.node_info?.unique_id;
  return { level: LEVELS.has(lvl) ? lvl : 'info', msg, fields: { dbt_event: ev.info?.name, ...(typeof node === 'string' ? { node } : {}) } };
}

async function relay(stream: Readable, log: Logger, lastErrors: string[]): Promise<void> {
  for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
    const ev = dbtEventToLog(line);
    if (!ev) continue;
    if (ev.level === 'error' || ev.fields['note']) lastErrors.push(ev.msg);
    if (lastErrors.length > 20) lastErrors.shift();
    log[ev.level](ev.msg, ev.fields);
  }
}

export interface DbtInvocation {
  exitCode: number;
  workDir: string;
  targetPath: string;
  /** dbt's last error lines (for a failure before any node ran). */
  errors: string[];
}

/** Runs `dbt <args>` against the warehouse once; resolves with dbt's exit code (never throws for it). */
export async function runDbt(args: string[], o: DbtRunOptions): Promise<DbtInvocation> {
  const dbt = o.dbt ?? resolveDbt(o.env);
  const threads = o.threads ?? availableParallelism();
  const workDir = dbtWorkDir(o.duckdbPath);
  const targetPath = path.join(workDir, 'target');
  mkdirSync(workDir, { recursive: true });
  // A run_results.json left by an earlier run must never be read as this run's outcome.
  rmSync(path.join(targetPath, 'run_results.json'), { force: true });
  // The models of the raw tables' dataset go to that dataset's own schema (modelsSchema).
  const profile = writeDuckdbProfile(o.duckdbPath, threads, modelsSchema(rawDatasetOf(o.vars)));
  const argv = [
    ...args,
    '--project-dir', o.projectDir ?? DEFAULT_DBT_PROJECT,
    '--profiles-dir', profile.dir,
    '--target', 'duckdb',
    '--target-path', targetPath,
    '--log-path', path.join(workDir, 'logs'),
    '--log-format', 'json',
    '--no-use-colors',
    ...(o.vars && Object.keys(o.vars).length ? ['--vars', JSON.stringify(o.vars)] : []),
  ];
  const env = {
    ...(o.env ?? process.env),
    ...profile.env,
    // No phoning home from a data pipeline; live progress instead of Python's pipe buffering.
    DBT_SEND_ANONYMOUS_USAGE_STATS: 'false',
    DO_NOT_TRACK: '1',
    PYTHONUNBUFFERED: '1',
  };
  const errors: string[] = [];
  const started = performance.now();
  o.log.info('dbt started', { command: args[0], argv: [dbt, ...argv].join(' '), threads });
  try {
    const child = spawn(dbt, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    // A supervisor's SIGTERM reaches only fb-ads-elt (systemd KillMode=mixed): pass the stop on to dbt.
    const stop = (): void => void child.kill('SIGINT');
    o.signal?.addEventListener('abort', stop, { once: true });
    child.once('close', () => o.signal?.removeEventListener('abort', stop));
    const spawned = new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
    });
    const [exitCode] = await Promise.all([spawned, relay(child.stdout, o.log, errors), relay(child.stderr, o.log, errors)]);
    o.log.info('dbt finished', { command: args[0], exit_code: exitCode, seconds: Math.round((performance.now() - started) / 100) / 10 });
    return { exitCode, workDir, targetPath, errors };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(`dbt could not be started (${dbt}: ${code ?? (err as Error).message})`, {
      hint: `Run \`npm ci\` (it installs dbt into .venv/), or set ${DBT_ENV_VAR} to an installed dbt 1.11 with dbt-duckdb.`,
    });
  } finally {
    profile.dispose();
  }
}

export interface DbtBuildOptions extends DbtRunOptions {
  /** dbt node selection (`--select`), e.g. ['+fct_cac_monthly']. */
  select?: string[];
  fullRefresh?: boolean;
}

export interface DbtBuildResult {
  /** Models dbt built successfully. */
  models: number;
  results: DbtRunResults;
}

/** `dbt build` (seeds, models, data tests, unit tests) in one subprocess; throws a DataError on any failure. */
/** The models build was stopped by a signal: a retryable end (exit 7), not a failing model. */
function stoppedError(): TransientError {
  return new TransientError('the models build was stopped before it finished (SIGINT/SIGTERM); what the sync committed is kept', {
    hint: 'Build them again with `fb-ads-elt models build --duckdb-path <warehouse>` or let the next `sync --models` do it.',
  });
}

export async function dbtBuild(o: DbtBuildOptions): Promise<DbtBuildResult> {
  const args = ['build', ...(o.select?.length ? ['--select', ...o.select] : []), ...(o.fullRefresh ? ['--full-refresh'] : [])];
  if (o.signal?.aborted) throw stoppedError();
  const run = await runDbt(args, o);
  // Interrupted dbt answers with tracebacks and partial results: report the stop, not those.
  if (o.signal?.aborted) throw stoppedError();
  const results = readRunResults(path.join(run.targetPath, 'run_results.json'));
  if (!results) {
    throw new DataError(`dbt build failed before running any model (exit ${run.exitCode}): ${run.errors.slice(-3).join(' | ') || 'see the dbt log lines above'}`, {
      hint: `A parse or compilation error in the dbt project, or dbt could not open the warehouse (is another process holding ${o.duckdbPath}?). Full log: ${path.join(run.workDir, 'logs', 'dbt.log')}.`,
    });
  }
  const skipped = results.nodes.filter((n) => n.status === 'skipped').length;
  if (results.failed.length > 0 || run.exitCode !== 0) {
    const failed = results.failed.map(describeFailure);
    throw new DataError(`dbt build failed: ${failed.join('; ') || `dbt exited ${run.exitCode}`}`, {
      hint: `A failing model is a SQL error; a failing test means the loaded data breaks a contract the models rely on. ${skipped ? `${skipped} nodes downstream were skipped. ` : ''}Details: ${path.join(run.workDir, 'logs', 'dbt.log')}.`,
      context: { failed: results.failed.map(label), skipped },
    });
  }
  return { models: results.nodes.filter((n) => n.resourceType === 'model' && n.status === 'success').length, results };
}
