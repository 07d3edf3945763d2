// The pipeline's models step: real `dbt build` (connector/dbt) on the DuckDB file the target wrote.
// Only this file knows the dbt runner's API, so the pipeline depends on one call (tests stand in).
import { nowEnv } from '../core/clock.js';
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
  /** Aborted when the run is stopped (Ctrl-C, SIGTERM): dbt is stopped too and the step ends with exit 7. */
  signal?: AbortSignal;
}

export interface ModelsStepResult {
  /** How many models dbt built. */
  models?: number;
  raw: unknown;
}

export type ModelsRunner = (o: ModelsStepOptions) => Promise<ModelsStepResult>;

export const buildModels: ModelsRunner = async (o) => {
  // Imported lazily: `sync` without --models never loads the dbt runner.
  const { dbtBuild } = await import('../dbt/run.js');
  // The bundled project reads every stream's table: say which are missing rather than let dbt fail on each.
  if (o.projectDir === undefined) await (await import('../dbt/raw-schema.js')).checkRawTables(o.duckdbPath, o.vars ?? {});
  // dbt gets the run's instant like every other child of the run (no model reads it today: the ad
  // report's lookback counts back from its own latest day, not from the calendar).
  const env = { ...process.env, ...nowEnv(o.now) };
  const r = await dbtBuild({ duckdbPath: o.duckdbPath, log: o.log, env, ...(o.projectDir ? { projectDir: o.projectDir } : {}), ...(o.vars ? { vars: o.vars } : {}), ...(o.signal ? { signal: o.signal } : {}) });
  return { models: r.models, raw: r.results };
};
