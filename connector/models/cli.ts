// `fb-ads-elt models build|compile`: runs the dbt project on DuckDB (dbt itself cannot be
// installed everywhere) and compiles it for BigQuery. Summary JSON on stdout, logs on stderr.
import path from 'node:path';
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import yaml from 'js-yaml';
import { REPO_ROOT } from '../core/config.js';
import { ConfigError, DataError } from '../core/errors.js';
import { Logger } from '../core/log.js';
import { buildProject, compileProject } from './build.js';

function defaultProjectDir(): string {
  return existsSync(path.resolve('dbt', 'dbt_project.yml')) ? path.resolve('dbt') : path.join(REPO_ROOT, 'dbt');
}

/** `--vars` takes JSON or YAML, like dbt's. */
export function parseVars(text: string | undefined): Record<string, unknown> {
  if (text === undefined || text.trim() === '') return {};
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

interface BuildFlags {
  project?: string;
  target: string;
  duckdbPath?: string;
  vars?: string;
  select?: string[];
  fullRefresh?: boolean;
}

interface CompileFlags {
  project?: string;
  target: string;
  vars?: string;
  select?: string[];
  out?: string;
  incremental?: boolean;
}

export function registerModels(program: Command): void {
  const models = program.command('models').description('run the dbt project: build on DuckDB, compile for BigQuery');

  models
    .command('build')
    .description('seeds, models (DAG order) and data/unit tests on DuckDB; exits 6 when a model or test fails')
    .option('--project <dir>', 'dbt project directory (default: ./dbt or the bundled one)')
    .option('--target <name>', 'profiles.yml output', 'duckdb')
    .option('--duckdb-path <file>', 'DuckDB file holding the raw tables (default: the profile path)')
    .option('--vars <json>', 'vars overriding dbt_project.yml (JSON or YAML mapping)')
    .option('--select <selector...>', 'models to build: name, +name, name+, tag:x, path:dir')
    .option('--full-refresh', 'rebuild incremental models from scratch')
    .action(async (flags: BuildFlags) => {
      const log = new Logger({ component: 'models' });
      const result = await buildProject({
        projectDir: flags.project ?? defaultProjectDir(),
        target: flags.target,
        vars: parseVars(flags.vars),
        log,
        ...(flags.duckdbPath ? { duckdbPath: flags.duckdbPath } : {}),
        ...(flags.select ? { select: flags.select } : {}),
        ...(flags.fullRefresh ? { fullRefresh: true } : {}),
      });
      const summary = {
        ok: result.ok,
        seeds: result.seeds.map(({ name, status, rows, error }) => ({ name, status, rows, error })),
        models: result.models.map(({ name, materialized, status, rows, error, ms }) => ({ name, materialized, status, rows, error, ms })),
        tests: { passed: result.tests.passed, failed: result.tests.failed, warned: result.tests.warned },
      };
      process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
      if (!result.ok) {
        const broken = [...result.seeds, ...result.models].filter((m) => m.status === 'error').map((m) => `${m.name} (${m.error ?? 'error'})`);
        const failed = result.tests.failed.map((t) => `${t.name}: ${t.message.split('\n')[0]}`);
        throw new DataError(`models build failed: ${[...broken, ...failed].join('; ')}`, {
          hint: 'Fix the model or data named above; the summary on stdout lists every node and test.',
          context: { failed_models: broken.length, failed_tests: result.tests.failed.map((t) => t.name) },
        });
      }
    });

  models
    .command('compile')
    .description('render every model for a target (bigquery: bigquery__ macros, `project`.`dataset`.`table` relations)')
    .option('--project <dir>', 'dbt project directory (default: ./dbt or the bundled one)')
    .option('--target <name>', 'profiles.yml output', 'bigquery')
    .option('--vars <json>', 'vars overriding dbt_project.yml (JSON or YAML mapping)')
    .option('--select <selector...>', 'models to compile')
    .option('--out <dir>', 'write compiled SQL files under this directory (default: <project>/target/compiled)')
    .option('--incremental', 'render incremental models as an incremental run would')
    .action((flags: CompileFlags) => {
      const projectDir = flags.project ?? defaultProjectDir();
      const outDir = flags.out ?? path.join(projectDir, 'target', 'compiled');
      const result = compileProject({
        projectDir,
        target: flags.target,
        vars: parseVars(flags.vars),
        outDir,
        ...(flags.select ? { select: flags.select } : {}),
        ...(flags.incremental ? { incremental: true } : {}),
      });
      const summary = {
        target: result.target,
        out_dir: outDir,
        models: result.models.map((m) => ({ name: m.name, materialized: m.materialized, relation: m.relation, path: m.path })),
      };
      process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
    });
}
