// Registers the `fb-ads-elt` subcommands implemented in connector/pipeline: sync (tap → target →
// models once), serve (HTTP trigger + status) and demo (sandbox → … → HTML report, offline).
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { asConnectorError, ConfigError, type ConnectorError } from '../core/errors.js';
import { parseIsoDay } from '../core/dates.js';
import { envLogLevel, Logger } from '../core/log.js';
import { exitAfterFlush } from '../cli/run.js';
import { runClock } from '../core/clock.js';
import { DEMO_DAYS } from './demo-defaults.js';
import { parseDays } from '../core/days.js';
import { ForceStop } from './force-stop.js';

// Each command imports its implementation when it runs: `fb-ads-elt --version` or `sync` must not
// pay for the demo's sandbox, the report renderer or the HTTP server (start-up time, issue 20).

interface SyncFlags {
  config: string;
  targetConfig: string;
  stateFile?: string;
  catalog?: string;
  account?: string;
  days?: string;
  fullRefresh?: string | boolean;
  models?: boolean;
  vars?: string;
  json?: boolean;
}

/**
 * Ends the process with a pipeline exit code once stdout has drained. The shared CLI runner only
 * maps thrown errors to codes, and a partial success (5) is a result, not an error.
 */
async function exitWith(code: number): Promise<void> {
  if (code === 0) return;
  await exitAfterFlush(code);
}

/** The `--json` answer of a sync (or report) that failed before it ran: the summary's status, exit code and failures. */
export function failedBeforeStart(err: unknown): { status: 'failed'; exit_code: number; failures: { scope: 'pipeline'; kind: string; message: string; hint?: string }[] } {
  const e = asConnectorError(err);
  return { status: 'failed', exit_code: e.exitCode, failures: [{ scope: 'pipeline', kind: e.kind, message: e.message, ...(e.hint ? { hint: e.hint } : {}) }] };
}

/**
 * SIGINT/SIGTERM stop gracefully: the tap stops, the target commits, state is saved. A second
 * Ctrl-C must not kill us with Node's default (exit 130, no summary): the target, in its own
 * process group, would go on committing with nobody saving its state, and hold the DuckDB file
 * against the re-run typed next. So the second signal only says to wait; a third one forces the exit
 * (Node's default: 130 for SIGINT, 143 for SIGTERM) for a run that really hangs, after `force` has
 * killed the children so nothing is left holding the warehouse. Returns the function that removes the handlers.
 */
function onStopSignals(log: Logger, stop: () => void, force?: () => Promise<void>): () => void {
  let signals = 0;
  const dispose = (): void => void (process.off('SIGINT', handle), process.off('SIGTERM', handle));
  function handle(signal: NodeJS.Signals): void {
    signals++;
    if (signals === 1) return stop();
    if (signals === 2) {
      log.warn(`${signal} again: already stopping, the target is committing what it has; the run ends on its own in a moment`, {
        hint: 'Wait for it (a third signal exits at once, and the state of what the target still commits is not saved).',
      });
      return;
    }
    log.warn(`${signal} a third time: stopping at once; the tap and the target are killed and what the target had not committed is read again by the next run`);
    dispose();
    void (force?.() ?? Promise.resolve()).finally(() => process.kill(process.pid, signal));
  }
  process.on('SIGINT', handle);
  process.on('SIGTERM', handle);
  return dispose;
}

/** The sync command's stops: `signal` raised by the first SIGINT/SIGTERM, `force` (kill the children) fired by the third. */
function abortOnSignals(log: Logger): { signal: AbortSignal; force: ForceStop; dispose(): void } {
  const ac = new AbortController();
  const force = new ForceStop();
  return {
    signal: ac.signal,
    force,
    dispose: onStopSignals(
      log,
      () => ac.abort(),
      () => force.fire(),
    ),
  };
}

export function registerPipeline(program: Command): void {
  program
    .command('sync')
    .description('run tap-facebook-ads → target-bigquery once, keep the committed state, optionally build the models')
    .requiredOption('-c, --config <file>', 'tap config JSON (spec.json)')
    .requiredOption('-t, --target-config <file>', 'target config JSON (schemas/target-config.json)')
    .option('-s, --state-file <file>', 'state carried between runs (read before, written atomically after each commit)')
    .option('--catalog <file>', 'Singer catalog selecting streams and fields')
    .option('--account <id>', 'sync only this ad account')
    .option('--days <n>', 'sync only the last N days')
    .option('--full-refresh [streams]', 'clear the bookmarks of these streams (comma-separated; none given: every stream) and read them from start_date')
    .option('--models', 'build the dbt models on DuckDB after a sync that committed an account, a partial one too (the exit code stays)')
    .option('--vars <yaml>', "dbt vars for --models, a JSON or YAML mapping as dbt takes them (e.g. '{cac_orders: {relation: shop.orders}}')")
    .option('--json', 'print the summary as JSON on stdout instead of text')
    .action(async (flags: SyncFlags) => {
      const log = new Logger({ component: 'fb-ads-elt' });
      const stop = abortOnSignals(log);
      try {
        const [{ runSync }, { formatSummary }, { parseVars }, { parseFullRefresh }] = await Promise.all([import('./sync.js'), import('./summary.js'), import('../dbt/cli.js'), import('./full-refresh.js')]);
        if (flags.vars !== undefined && !flags.models) throw new ConfigError('--vars sets dbt vars, so it needs --models', { hint: 'Add --models, or drop --vars.' });
        const { exitCode, summary } = await runSync({
          tapConfigPath: flags.config,
          targetConfigPath: flags.targetConfig,
          stateFile: flags.stateFile,
          catalogPath: flags.catalog,
          account: flags.account,
          days: parseDays(flags.days),
          fullRefresh: parseFullRefresh(flags.fullRefresh),
          models: !!flags.models,
          modelsVars: await parseVars(flags.vars),
          log,
          progressOut: process.stderr,
          signal: stop.signal,
          force: stop.force,
        });
        process.stdout.write(flags.json ? JSON.stringify(summary) + '\n' : formatSummary(summary));
        stop.dispose();
        await exitWith(exitCode);
      } catch (err) {
        // A scheduler parsing `--json` output gets a JSON answer even when the run never started
        // (bad config, missing file); the error line on stderr and the exit code stay as they were.
        if (flags.json) process.stdout.write(log.redactor.redact(JSON.stringify(failedBeforeStart(err))) + '\n');
        throw err;
      } finally {
        stop.dispose();
      }
    });

  program
    .command('serve')
    .description('HTTP API: POST /api/meta-ads/sync triggers a sync, GET /api/meta-ads/sync-status reports it')
    .requiredOption('-c, --config <file>', 'serve config JSON (schemas/serve-config.json)')
    .option('-p, --port <port>', 'TCP port (overrides the config; 0 = any free port)')
    .option('--host <host>', 'interface to listen on (overrides the config)')
    .action(async (flags: { config: string; port?: string; host?: string }) => {
      const [{ loadServeConfig }, { SyncServer, listenUrl }, { runSync, loadPipelineConfigs, checkModelsDestination }] = await Promise.all([import('./serve-config.js'), import('./serve.js'), import('./sync.js')]);
      const { config, redactor } = loadServeConfig(flags.config);
      // Runs start from the serve config's folder, so relative paths inside the tap and target configs
      // (duckdb_path) land beside it whatever the service's working directory; and both configs are
      // checked now (exit 2), not when the first trigger arrives.
      const cwd = path.dirname(path.resolve(flags.config));
      checkModelsDestination(config.models, loadPipelineConfigs(config.tap_config, config.target_config, cwd).target.destination, '"models": true in the serve config');
      const log = new Logger({ component: 'fb-ads-elt-serve', redactor });
      if (flags.port !== undefined && !/^[0-9]{1,5}$/.test(flags.port)) throw new ConfigError(`--port must be a number, got "${flags.port}"`);
      let lockLost: ConnectorError | undefined;
      let stopped = (): void => undefined;
      const server = new SyncServer({ config, log, runSync, syncDefaults: { cwd }, onLockLost: (err) => ((lockLost = err), stopped()) });
      const port = await server.listen(flags.port === undefined ? config.port : Number(flags.port), flags.host ?? config.host);
      // One line on stdout so a supervisor (or a test) learns the port when --port 0 was asked.
      process.stdout.write(JSON.stringify({ url: listenUrl(flags.host ?? config.host, port), port }) + '\n');
      await new Promise<void>((resolve) => {
        const dispose = onStopSignals(log, () => {
          log.info('serve stopping');
          void server.close().then(() => (dispose(), resolve()));
        });
        stopped = () => (dispose(), resolve());
      });
      if (lockLost) await exitWith(lockLost.exitCode);
    });

  program
    .command('doctor')
    .description('check the configs, every token (debug_token) and every ad account it reaches, and say what to fix')
    .requiredOption('-c, --config <file>', 'tap config JSON (spec.json)')
    .option('-t, --target-config <file>', 'target config JSON to validate too')
    .option('-s, --state-file <file>', 'the state file sync uses (sync --state-file): checked as sync checks it, and which streams and accounts have bookmarks')
    .option('--json', 'print the report as JSON on stdout')
    .action(async (flags: { config: string; targetConfig?: string; stateFile?: string; json?: boolean }) => {
      const log = new Logger({ component: 'fb-ads-elt-doctor', level: envLogLevel() ?? 'error' });
      const { formatDoctor, runDoctor } = await import('./doctor.js');
      const report = await runDoctor({ tapConfigPath: flags.config, targetConfigPath: flags.targetConfig, stateFile: flags.stateFile, log, clock: runClock() });
      const text = flags.json ? JSON.stringify(report, null, 2) + '\n' : formatDoctor(report);
      process.stdout.write(log.redactor.redact(text));
      await exitWith(report.exit_code);
    });

  program
    .command('report')
    .description('write the HTML report (spend by channel, CAC by month, top campaigns) from the dbt models in your DuckDB warehouse')
    .option('--duckdb-path <file>', 'the DuckDB warehouse the target wrote and the models were built into')
    .option('-t, --target-config <file>', 'the target config: its duckdb_path and dataset (instead of --duckdb-path)')
    .option('--dataset <name>', "the dataset whose models to read (default: the target config's; with --duckdb-path, the file's only one)")
    .option('-o, --out <file>', 'where the HTML goes (replaced whole)', 'report.html')
    .option('--title <text>', 'the page title')
    .option('--json', 'print the path and the report data as JSON on stdout')
    .action(async (flags: { duckdbPath?: string; targetConfig?: string; dataset?: string; out: string; title?: string; json?: boolean }) => {
      try {
        const { duckdbPath, dataset } = await reportWarehouse(flags);
        const { writeReport } = await import('../report/write.js');
        const r = await writeReport({ duckdbPath, out: flags.out, ...(flags.title !== undefined ? { title: flags.title } : {}), ...(dataset !== undefined ? { dataset } : {}), now: runClock()() });
        process.stdout.write(flags.json ? JSON.stringify({ path: r.path, report: r.report }, null, 2) + '\n' : [...r.highlights, '', `Report: ${r.path}  (open it in a browser)`, ''].join('\n'));
      } catch (err) {
        // As sync --json: a caller parsing stdout gets a JSON answer for a refusal too (exit 2, 7),
        // not an empty stdout; the error line on stderr and the exit code stay as they were.
        if (flags.json) process.stdout.write(JSON.stringify(failedBeforeStart(err)) + '\n');
        throw err;
      }
    });

  program
    .command('demo')
    .description('offline demo: Graph sandbox → tap → DuckDB → dbt models → .demo/report.html')
    .option('--dir <dir>', 'where configs, the warehouse and the report go', '.demo')
    .option('--seed <n>', 'sandbox world seed', '1')
    .option('--days <n>', `days of history to sync (default ${DEMO_DAYS})`)
    .option('--world <name>', 'sandbox world: demo (7 accounts) or small (5 accounts, faster)', 'demo')
    .option('--today <day>', 'pin the demo world to this day (YYYY-MM-DD, UTC); default: today by FB_ADS_ELT_NOW or the system clock')
    .action(async (flags: { dir: string; seed: string; days?: string; world: string; today?: string }) => {
      const log = new Logger({ component: 'fb-ads-elt-demo', level: envLogLevel() ?? 'warn' });
      if (flags.world !== 'demo' && flags.world !== 'small') throw new ConfigError(`--world must be demo or small, got "${flags.world}"`);
      if (!/^[0-9]+$/.test(flags.seed)) throw new ConfigError(`--seed must be a whole number, got "${flags.seed}"`);
      const days = parseDays(flags.days);
      if (flags.today !== undefined) parseIsoDay(flags.today, '--today');
      const { runDemo } = await import('./demo.js');
      const result = await runDemo({ dir: flags.dir, seed: Number(flags.seed), world: flags.world, ...(days ? { days } : {}), ...(flags.today ? { today: flags.today } : {}), log, progressOut: process.stderr });
      process.stdout.write(result.text);
      await exitWith(result.exitCode);
    });
}

/**
 * The warehouse `fb-ads-elt report` reads: --duckdb-path, or the target config's duckdb_path (exactly
 * one of them); and the dataset whose models it reads: --dataset, else the target config's.
 */
async function reportWarehouse(flags: { duckdbPath?: string; targetConfig?: string; dataset?: string }): Promise<{ duckdbPath: string; dataset?: string }> {
  if ((flags.duckdbPath === undefined) === (flags.targetConfig === undefined)) {
    throw new ConfigError('report needs the warehouse: pass --duckdb-path <file> or --target-config <file> (one of them)', { hint: 'e.g. `fb-ads-elt report --target-config target.json --out report.html`' });
  }
  if (flags.duckdbPath !== undefined) return { duckdbPath: flags.duckdbPath, ...(flags.dataset !== undefined ? { dataset: flags.dataset } : {}) };
  const { loadTargetConfig } = await import('../target/config.js');
  const { config } = loadTargetConfig(flags.targetConfig!);
  if (config.destination !== 'duckdb') {
    throw new ConfigError(`report reads a DuckDB warehouse; target config ${flags.targetConfig} loads into ${config.destination}`, {
      hint: (await import('../report/write.js')).BIGQUERY_REPORT_HINT,
    });
  }
  const file = path.resolve(config.duckdb_path);
  if (!path.isAbsolute(config.duckdb_path) && !existsSync(file)) {
    // Relative to where the command runs, as the target reads it in sync, not to the config's folder:
    // run from elsewhere, report found nothing and named only the path it tried.
    const beside = path.resolve(path.dirname(flags.targetConfig!), config.duckdb_path);
    throw new ConfigError(`no DuckDB warehouse at ${file}: duckdb_path "${config.duckdb_path}" in ${flags.targetConfig} is relative, so it is read from the current folder, as sync reads it`, {
      hint: existsSync(beside) ? `Run report from ${path.dirname(beside)}, or pass --duckdb-path ${beside}.` : 'Run report from the folder sync runs in, or give duckdb_path as an absolute path.',
      context: { duckdb_path: file, target_config: flags.targetConfig },
    });
  }
  return { duckdbPath: file, dataset: flags.dataset ?? config.dataset };
}
