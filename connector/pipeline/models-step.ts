// Adapter to the models runner (connector/models): builds the dbt project on the DuckDB file the
// target wrote. Only this file knows the runner's API, so the pipeline depends on one call.
import path from 'node:path';
import { ConnectorError } from '../core/errors.js';
import { REPO_ROOT } from '../core/config.js';
import type { Logger } from '../core/log.js';

export interface ModelsStepOptions {
  duckdbPath: string;
  /** The dbt project; default dbt/ of this repository. */
  projectDir?: string;
  /** dbt vars (e.g. the schema the raw tables are in). */
  vars?: Record<string, unknown>;
  log: Logger;
}

export interface ModelsStepResult {
  /** How many models/nodes the runner reports it built, when it says. */
  models?: number;
  raw: unknown;
}

export type ModelsRunner = (o: ModelsStepOptions) => Promise<ModelsStepResult>;

/** The runner's entry point as the models issue defines it. */
type BuildProject = (o: { projectDir: string; duckdbPath: string; target: 'duckdb'; vars?: Record<string, unknown>; log: Logger }) => Promise<unknown>;

export const DEFAULT_DBT_DIR = path.join(REPO_ROOT, 'dbt');

export const buildModels: ModelsRunner = async (o) => {
  // Imported lazily: `sync` without --models never loads the SQL machinery.
  const specifier = '../models/build.js';
  let mod: { buildProject?: BuildProject };
  try {
    mod = (await import(specifier)) as { buildProject?: BuildProject };
  } catch (err) {
    throw new ConnectorError('unexpected', `the models runner cannot be loaded: ${(err as Error).message}`, {
      hint: 'Run `dbt build` in dbt/ against your warehouse instead, or update this build.',
    });
  }
  if (typeof mod.buildProject !== 'function') {
    throw new ConnectorError('unexpected', 'the models runner does not export buildProject', { hint: 'Update this build.' });
  }
  const raw = await mod.buildProject({
    projectDir: o.projectDir ?? DEFAULT_DBT_DIR,
    duckdbPath: o.duckdbPath,
    target: 'duckdb',
    ...(o.vars ? { vars: o.vars } : {}),
    log: o.log,
  });
  const result = raw as { ok?: boolean; models?: { name: string; status: string; error?: string }[]; tests?: { failed?: { name: string; message: string }[] } };
  if (result && result.ok === false) {
    const broken = (result.models ?? []).filter((m) => m.status === 'error').map((m) => m.name);
    const failedTests = (result.tests?.failed ?? []).map((t) => t.name);
    throw new ConnectorError('data', `dbt models build failed: ${[...broken.map((n) => `model ${n}`), ...failedTests.map((n) => `test ${n}`)].join(', ') || 'see the log'}`, {
      hint: 'The log above names the failing models and tests; a failing test means the loaded data breaks a contract the models rely on.',
      context: { models_failed: broken, tests_failed: failedTests },
    });
  }
  return { raw, ...countModels(raw) };
};

/** Reads a model count from whatever the runner returns (an array of results, or {models|results}). */
function countModels(raw: unknown): { models?: number } {
  if (Array.isArray(raw)) return { models: raw.length };
  if (raw && typeof raw === 'object') {
    for (const k of ['models', 'results', 'nodes', 'built']) {
      const v = (raw as Record<string, unknown>)[k];
      if (Array.isArray(v)) return { models: v.length };
      if (typeof v === 'number') return { models: v };
    }
  }
  return {};
}
