// The target's configuration: schemas/target-config.json validated by ajv with defaults filled.
import { loadConfigFile, validateConfig, loadSchema, type LoadedConfig } from '../core/config.js';

/** Mirrors schemas/target-config.json (after defaults). */
export interface TargetConfig {
  destination: 'duckdb' | 'bigquery';
  duckdb_path: string;
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
  temp_dir?: string;
}

export const TARGET_SCHEMA_PATH = 'schemas/target-config.json';

export function validateTargetConfig(raw: unknown): LoadedConfig<TargetConfig> {
  return validateConfig<TargetConfig>(raw, loadSchema(TARGET_SCHEMA_PATH), { what: 'target config' });
}

export function loadTargetConfig(file: string): LoadedConfig<TargetConfig> {
  return loadConfigFile<TargetConfig>(file, TARGET_SCHEMA_PATH, { what: 'target config' });
}
