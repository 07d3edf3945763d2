// The target's configuration: schemas/target-config.json validated by ajv with defaults filled,
// and a DuckDB file the process can actually create or write (checked before any line is read).
import { accessSync, constants, statSync } from 'node:fs';
import { whyUnwritable } from '../core/writable.js';
import path from 'node:path';
import { loadConfigSources, validateConfig, loadSchema, type LoadedConfig } from '../core/config.js';
import { envPrefixOf } from '../core/env-config.js';
import { ConfigError } from '../core/errors.js';

/** Mirrors schemas/target-config.json (after defaults). */
export interface TargetConfig {
  destination: 'duckdb' | 'bigquery';
  duckdb_path: string;
  duckdb_memory_limit: string;
  duckdb_threads: number;
  project_id?: string;
  dataset: string;
  location: string;
  credentials_path?: string;
  credentials_json?: Record<string, unknown>;
  api_endpoint?: string;
  batch_rows: number;
  batch_bytes: number;
  batch_seconds: number;
  history: boolean;
  validate_records: boolean;
  map_workers?: number;
  temp_dir?: string;
}

export const TARGET_SCHEMA_PATH = 'schemas/target-config.json';

/**
 * batch_bytes when the config leaves it out, per destination. DuckDB: a batch's peak memory grows
 * with it while its speed barely does (100k insights rows: 32 MiB batches peaked ~300–315 MiB RSS
 * against ~390 MiB at 100 MiB). BigQuery: every batch is a MERGE billed on the table's size.
 */
export const DEFAULT_BATCH_BYTES: Record<TargetConfig['destination'], number> = { duckdb: 32 * 1024 * 1024, bigquery: 100 * 1024 * 1024 };

export function validateTargetConfig(raw: unknown, cwd = process.cwd()): LoadedConfig<TargetConfig> {
  return checkWritable(withDefaults(validateConfig<TargetConfig>(raw, loadSchema(TARGET_SCHEMA_PATH), { what: 'target config' })), cwd);
}

/** `--config` values: files and/or `ENV` (TARGET_BIGQUERY_<SETTING> variables), merged in order. */
export function loadTargetConfig(sources: string | readonly string[]): LoadedConfig<TargetConfig> {
  return checkWritable(withDefaults(loadConfigSources<TargetConfig>(sources, TARGET_SCHEMA_PATH, { what: 'target config', envPrefix: envPrefixOf('target-bigquery') })), process.cwd());
}

/** The defaults that depend on the destination (the schema's own are applied by ajv). */
function withDefaults(loaded: LoadedConfig<TargetConfig>): LoadedConfig<TargetConfig> {
  loaded.config.batch_bytes ??= DEFAULT_BATCH_BYTES[loaded.config.destination];
  return loaded;
}

/**
 * Refuses (ConfigError, exit 2) a duckdb_path the process cannot write: the file, or else the
 * nearest folder that exists (the target creates the missing ones). Without this a read-only place
 * — the default relative `warehouse.duckdb` under systemd's ProtectSystem=strict, a read-only mount —
 * surfaced as DuckDB's "IO Error" and exit 1 after the tap had already started.
 */
function checkWritable(loaded: LoadedConfig<TargetConfig>, cwd: string): LoadedConfig<TargetConfig> {
  if (loaded.config.destination !== 'duckdb') return checkCredentialsFile(loaded, cwd);
  const file = path.resolve(cwd, loaded.config.duckdb_path);
  const why = whyUnwritable(file);
  if (why) {
    throw new ConfigError(`target config: duckdb_path ${file} cannot be written: ${why}`, {
      hint: 'Point duckdb_path at a writable place, as an absolute path (under systemd: inside ReadWritePaths, e.g. /var/lib/fb-ads-elt/warehouse.duckdb).',
      context: { duckdb_path: file },
    });
  }
  return loaded;
}

/** A credentials_path that is not a readable file is a config error now, not an auth error at the first load job. */
function checkCredentialsFile(loaded: LoadedConfig<TargetConfig>, cwd: string): LoadedConfig<TargetConfig> {
  const given = loaded.config.credentials_path;
  if (given === undefined) return loaded;
  const file = path.resolve(cwd, given);
  let problem: string | undefined;
  try {
    if (!statSync(file).isFile()) problem = 'it is not a file';
    else accessSync(file, constants.R_OK);
  } catch (err) {
    problem = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `it cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`;
  }
  if (problem) {
    throw new ConfigError(`target config: credentials_path ${file}: ${problem}`, {
      hint: 'Point it at the service account key JSON file (readable by the user the sync runs as), or drop it to use application default credentials.',
      context: { credentials_path: file },
    });
  }
  return loaded;
}
