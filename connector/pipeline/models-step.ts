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
  /** The run's instant (core/clock.ts): the models' notion of "today" (e.g. the ad report's lookback). */
  now: Date;
  log: Logger;
}

export interface ModelsStepResult {
  /** How many models/nodes the runner reports it built, when it says. */
  models?: number;
  raw: unknown;
}

export type ModelsRunner = (o: ModelsStepOptions) => Promise<ModelsStepResult>;

export const DEFAULT_DBT_DIR = path.join(REPO_ROOT, 'dbt');

export const buildModels: ModelsRunner = async (o) => {
  // Imported lazily: `sync` without --models never loads the SQL machinery.
  const { buildProject } = await import('../models/build.js');
  const raw = await buildProject({
    projectDir: o.projectDir ?? DEFAULT_DBT_DIR,
    duckdbPath: o.duckdbPath,
    target: 'duckdb',
    ...(o.vars ? { vars: o.vars } : {}),
    log: o.log,
  });
  if (!raw.ok) {
    const broken = raw.models.filter((m) => m.status === 'error').map((m) => m.name);
    const failedTests = raw.tests.failed.map((t) => t.name);
    throw new ConnectorError('data', `dbt models build failed: ${[...broken.map((n) => `model ${n}`), ...failedTests.map((n) => `test ${n}`)].join(', ') || 'see the log'}`, {
      hint: 'The log above names the failing models and tests; a failing test means the loaded data breaks a contract the models rely on.',
      context: { models_failed: broken, tests_failed: failedTests },
    });
  }
  return { raw, models: raw.models.length };
};
