// `fb-ads-elt models build|dbt`: real dbt on a DuckDB warehouse with a generated profile (the
// project's .venv or FB_ADS_ELT_DBT). Summary JSON on stdout, dbt's progress as JSON logs on stderr.
// This module only declares the commands: the dbt runner loads when one runs.
import type { Command } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { ConfigError, DataError } from '../core/errors.js';
import { Logger } from '../core/log.js';

/** `--vars` takes JSON or YAML, like dbt's. */
export async function parseVars(text: string | undefined): Promise<Record<string, unknown>> {
  if (text === undefined || text.trim() === '') return {};
  const { default: yaml } = await import('js-yaml');
  let parsed: unknown;
  try {
    parsed = yaml.load(text, { schema: yaml.CORE_SCHEMA });
  } catch (err) {
    throw new ConfigError(`--vars is not valid JSON/YAML: ${(err as Error).message.split('\n')[0]}`, { hint: `Example: --vars '{"reporting_currency": "EUR"}'` });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError('--vars must be a mapping', { hint: `Example: --vars '{"reporting_currency": "EUR"}'` });
  }
  return parsed as Record<string, unknown>;
}

interface CommonFlags {
  duckdbPath: string;
  project?: string;
  vars?: string;
}

async function common(flags: CommonFlags) {
  // dbt-duckdb would create an empty database at a mistyped path and fail every model after a minute.
  if (!existsSync(flags.duckdbPath) || statSync(flags.duckdbPath).isDirectory()) {
    throw new ConfigError(`--duckdb-path ${flags.duckdbPath} is not a DuckDB warehouse file`, { hint: 'Pass the duckdb_path of your target config (the file a sync wrote), e.g. .demo/warehouse.duckdb.' });
  }
  return {
    duckdbPath: flags.duckdbPath,
    log: new Logger({ component: 'dbt' }),
    vars: await parseVars(flags.vars),
    ...(flags.project ? { projectDir: flags.project } : {}),
  };
}

export function registerModels(program: Command): void {
  const models = program.command('models').description('run the dbt project with real dbt on a DuckDB warehouse (generated profile)');
  const shared = (c: Command): Command =>
    c
      .requiredOption('--duckdb-path <file>', 'the DuckDB warehouse the target wrote (dbt builds its models into schema analytics)')
      .option('--project <dir>', 'dbt project directory (default: the bundled dbt/)')
      .option('--vars <json>', 'dbt vars, JSON or YAML mapping (e.g. facebook_ads_schema when the target dataset is not facebook_ads)');

  shared(models.command('build'))
    .description('dbt build: seeds, models, data tests and unit tests; exits 6 naming every failing model or test')
    .option('--select <selector...>', 'dbt node selection, e.g. +fct_cac_monthly')
    .option('--full-refresh', 'rebuild incremental models from scratch')
    .action(async (flags: CommonFlags & { select?: string[]; fullRefresh?: boolean }) => {
      const { dbtBuild } = await import('./run.js');
      const { checkRawSchema, checkRawTables } = await import('./raw-schema.js');
      const opts = await common(flags);
      // Only build: other dbt commands (debug, deps, docs) may run on a file no sync wrote yet.
      await checkRawSchema(opts.duckdbPath, opts.vars);
      // A selection may need only some of the tables; another project has its own sources.
      if (!flags.select && !flags.project) await checkRawTables(opts.duckdbPath, opts.vars);
      const r = await dbtBuild({ ...opts, ...(flags.select ? { select: flags.select } : {}), ...(flags.fullRefresh ? { fullRefresh: true } : {}) });
      const count: Record<string, number> = {};
      for (const n of r.results.nodes) count[`${n.resourceType}:${n.status}`] = (count[`${n.resourceType}:${n.status}`] ?? 0) + 1;
      process.stdout.write(JSON.stringify({ ok: true, models: r.models, elapsed_seconds: r.results.elapsedSeconds, nodes: count }, null, 2) + '\n');
    });

  shared(models.command('dbt'))
    .description('any other dbt command on the warehouse, e.g. `models dbt --duckdb-path w.duckdb -- docs generate`')
    .argument('<dbt-args...>', 'dbt command and its arguments (after --)')
    .action(async (dbtArgs: string[], flags: CommonFlags) => {
      const { runDbt } = await import('./run.js');
      const r = await runDbt(dbtArgs, await common(flags));
      process.stdout.write(JSON.stringify({ ok: r.exitCode === 0, exit_code: r.exitCode, target_path: r.targetPath }) + '\n');
      if (r.exitCode !== 0) throw new DataError(`dbt ${dbtArgs.join(' ')} failed (dbt exit ${r.exitCode}): ${r.errors.slice(-3).join(' | ')}`, { hint: 'The dbt log lines above say which node failed and why.' });
    });
}
