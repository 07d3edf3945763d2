// The checks a state file passes before a run uses it, shared by `sync` (which refuses to start)
// and `doctor` (which reports them): its folder exists and it can be written, and its bookmarks
// belong to the warehouse the target config names.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../core/errors.js';
import { fullRefreshHow, paramOf, type Surface } from '../core/surface.js';
import { whyUnwritable } from '../core/writable.js';
import type { TapState } from '../singer/state.js';
import type { TargetConfig } from '../target/config.js';

/**
 * The state file's folder must exist — creating it would hide a typo: the next run, spelled right,
 * would start over from nothing — and the file must be writable before anything runs: found out
 * after the commit, the run's state is lost.
 */
export function checkStateFilePath(file: string, surface: Surface = 'cli'): void {
  const folder = path.dirname(path.resolve(file));
  if (!existsSync(folder) || !statSync(folder).isDirectory()) {
    throw new ConfigError(`the folder of state file ${file} does not exist (or is not a folder)`, {
      hint: `Check the spelling, or create it first (mkdir -p ${path.dirname(file)}).`,
      context: { state_file: file },
    });
  }
  const why = whyUnwritable(file);
  if (why) {
    throw new ConfigError(`state file ${file} cannot be written: ${why}`, {
      hint: `Point ${paramOf('state_file', surface)} at a writable place (under systemd: inside ReadWritePaths, e.g. /var/lib/fb-ads-elt/state.json).`,
      context: { state_file: file },
    });
  }
}

/** The DuckDB file the target writes, resolved like the target resolves it (from its cwd). */
export function duckdbPathOf(target: TargetConfig, cwd: string): string {
  return path.resolve(cwd, target.duckdb_path);
}

/**
 * A state file with bookmarks says rows were committed to a warehouse; a DuckDB file that does not
 * exist is then a typo or a moved file, not a first run. Going on would create a new, empty
 * warehouse and load only what follows the bookmarks into it, the history left in the other file.
 */
export function checkWarehouseOfState(stateFile: string, state: TapState, target: TargetConfig, cwd: string): void {
  if (target.destination !== 'duckdb' || target.duckdb_path === ':memory:') return;
  if (Object.keys(state.bookmarks).length === 0) return;
  const file = duckdbPathOf(target, cwd);
  if (existsSync(file)) return;
  throw new ConfigError(`state file ${stateFile} holds bookmarks of an earlier run, but the warehouse it loaded into, duckdb_path ${file}, does not exist`, {
    hint: 'Check duckdb_path for a typo or a moved file. To load into a new warehouse from start_date, use a new (or no) state file.',
    context: { state_file: stateFile, duckdb_path: file },
  });
}

/**
 * The same for the target's dataset: a DuckDB file that exists but holds none of the bookmarked
 * streams' tables in `dataset` (renamed or mistyped in the target config, or duckdb_path naming
 * another DuckDB file) would get only what follows the bookmarks — the lookback's insights, no
 * campaign, ad set or ad unchanged since — and exit 0. Bookmarks of streams the tap does not know
 * (another plugin's) do not count.
 */
export async function checkDatasetOfState(stateFile: string, state: TapState, known: Record<string, string>, target: TargetConfig, cwd: string, surface: Surface = 'cli'): Promise<void> {
  const bookmarked = Object.keys(state.bookmarks).filter((stream) => Object.hasOwn(known, stream));
  if (bookmarked.length === 0) return;
  if (target.destination === 'bigquery') return checkBigQueryDataset(stateFile, bookmarked, target, surface);
  if (target.duckdb_path === ':memory:') return;
  const file = duckdbPathOf(target, cwd);
  if (!existsSync(file)) return;
  // Loaded here only: the DuckDB binding is not part of every CLI start.
  const { schemasHolding } = await import('../dbt/raw-schema.js');
  const found = await schemasHolding(file, bookmarked);
  // Unreadable now (another run holds it): the target says so itself.
  if (found === undefined || found.some((s) => s.toLowerCase() === target.dataset.toLowerCase())) return;
  const where = found.length > 0 ? `; they are in ${found.map((s) => `"${s}"`).join(', ')}` : '; it holds none of them';
  throw new ConfigError(`state file ${stateFile} holds bookmarks of ${bookmarked.join(', ')}, but warehouse ${file} has no table of theirs in dataset "${target.dataset}" (the target config's dataset)${where}`, {
    hint: `Check dataset and duckdb_path in the target config for a typo. To load into a new dataset, re-read every stream into it (${fullRefreshHow('all', surface)}), or use a new (or no) state file; a run from these bookmarks would load only the rows after them.`,
    context: { state_file: stateFile, duckdb_path: file, dataset: target.dataset, ...(found.length > 0 ? { datasets_found: found } : {}) },
  });
}

/**
 * The same on BigQuery: the target's dataset must hold a table of one of the bookmarked streams.
 * Only table metadata is read (never the dataset created); a check BigQuery cannot answer now (no
 * credentials, no network) is skipped: the target says what is wrong itself.
 */
async function checkBigQueryDataset(stateFile: string, bookmarked: readonly string[], target: TargetConfig, surface: Surface): Promise<void> {
  const holds = await bigQueryHoldsAny(target, bookmarked);
  if (holds !== false) return;
  throw new ConfigError(`state file ${stateFile} holds bookmarks of ${bookmarked.join(', ')}, but BigQuery dataset ${target.project_id}.${target.dataset} (the target config's) has no table of theirs`, {
    hint: `Check project_id and dataset in the target config for a typo. To load into a new dataset, re-read every stream into it (${fullRefreshHow('all', surface)}), or use a new (or no) state file; a run from these bookmarks would load only the rows after them.`,
    context: { state_file: stateFile, project_id: target.project_id, dataset: target.dataset },
  });
}

/** Whether the target's BigQuery dataset holds a table of one of `streams`; undefined when BigQuery cannot be asked now. */
async function bigQueryHoldsAny(target: TargetConfig, streams: readonly string[]): Promise<boolean | undefined> {
  // Loaded here only: the BigQuery client costs a DuckDB user's start-up ~0.3 s (factory.ts).
  const { createDestination } = await import('../target/factory.js');
  const { toTableName } = await import('../target/fields.js');
  let timer: NodeJS.Timeout | undefined;
  const giveUp = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), BIGQUERY_CHECK_MS)));
  const ask = async (): Promise<boolean | undefined> => {
    try {
      const dest = await createDestination(target);
      try {
        for (const stream of streams) if (await dest.describe(toTableName(stream))) return true;
        return false;
      } finally {
        await dest.close().catch(() => undefined);
      }
    } catch {
      return undefined;
    }
  };
  try {
    return await Promise.race([ask(), giveUp]);
  } finally {
    clearTimeout(timer);
  }
}

/** How long the check waits for BigQuery before leaving the question to the target (the client retries an unreachable host for minutes). */
const BIGQUERY_CHECK_MS = 20_000;
