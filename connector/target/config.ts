// The target's configuration: schemas/target-config.json validated by ajv with defaults filled,
// and a DuckDB file the process can actually create or write (checked before any line is read).
import { createPrivateKey } from 'node:crypto';
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { whyUnwritable } from '../core/writable.js';
import path from 'node:path';
import { loadConfigSources, validateConfig, loadSchema, type LoadedConfig } from '../core/config.js';
import { envPrefixOf } from '../core/env-config.js';
import { ConfigError } from '../core/errors.js';

/** Mirrors schemas/target-config.json (after defaults). */
export interface TargetConfig {
  destination: 'duckdb' | 'bigquery';
  duckdb_path: string;
  /** Absent: DEFAULT_DUCKDB_MEMORY_LIMIT, which a wide table's commit may raise (the user's own never is). */
  duckdb_memory_limit?: string;
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

/** The dataset a target config without `dataset` loads into (its schema's default). */
export const defaultDataset = (): string => String((loadSchema(TARGET_SCHEMA_PATH)['properties'] as Record<string, { default?: unknown }>)['dataset']?.default);

/**
 * batch_bytes when the config leaves it out, per destination. DuckDB: a batch's peak memory grows
 * with it while its speed barely does (100k insights rows: 32 MiB batches peaked ~300–315 MiB RSS
 * against ~390 MiB at 100 MiB). BigQuery: every batch is a MERGE billed on the table's size.
 */
export const DEFAULT_BATCH_BYTES: Record<TargetConfig['destination'], number> = { duckdb: 32 * 1024 * 1024, bigquery: 100 * 1024 * 1024 };

/**
 * DuckDB's memory_limit when the config leaves duckdb_memory_limit out. It bounds a run's peak RSS
 * (README "DuckDB memory and speed"); a table too wide for it has its commits run under the limit
 * its width needs instead (duckdb/memory.ts), which a limit the user set never is.
 */
export const DEFAULT_DUCKDB_MEMORY_LIMIT = '128MB';

export function validateTargetConfig(raw: unknown, cwd = process.cwd(), file?: string): LoadedConfig<TargetConfig> {
  return checkWritable(withDefaults(validateConfig<TargetConfig>(raw, loadSchema(TARGET_SCHEMA_PATH), { what: 'target config', ...(file !== undefined ? { file } : {}) })), cwd);
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

/**
 * What makes a readable credentials file unusable, said without quoting it (it holds a private key).
 * Google's client reads a JSON key: a file that is not one was ignored for no credentials at all, and
 * a service-account key with a damaged private_key failed at the first call as exit 1 ("DECODER
 * routines::unsupported"). Legacy .p12/.pem keys are left to the client.
 */
function keyFileProblem(file: string): string | undefined {
  if (/\.(p12|pem)$/i.test(file)) return undefined;
  let key: unknown;
  try {
    key = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return 'it is not a JSON key file';
  }
  if (typeof key !== 'object' || key === null || Array.isArray(key)) return 'it is not a JSON key file (not an object)';
  const k = key as Record<string, unknown>;
  if (typeof k['type'] !== 'string') return 'it is not a JSON key file (no "type": a key from Google says "service_account", "authorized_user" or "external_account")';
  if (k['type'] !== 'service_account') return undefined;
  if (typeof k['client_email'] !== 'string' || k['client_email'] === '') return 'its client_email is missing';
  try {
    createPrivateKey({ key: String(k['private_key'] ?? ''), format: 'pem' });
  } catch {
    return 'its private_key is not a PEM private key (the file was edited or cut short)';
  }
  return undefined;
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
  problem ??= keyFileProblem(file);
  if (problem) {
    throw new ConfigError(`target config: credentials_path ${file}: ${problem}`, {
      hint: 'Point it at the service account key JSON file as downloaded (IAM → Service accounts → Keys → Add key → JSON; readable by the user the sync runs as), or drop it to use application default credentials.',
      context: { credentials_path: file },
    });
  }
  return loaded;
}
