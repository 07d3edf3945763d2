// The serve command's configuration: schemas/serve-config.json validated by ajv (defaults filled),
// with relative paths resolved from the config file's directory so a systemd unit can use any cwd.
import path from 'node:path';
import { loadConfigFile, validateConfig, loadSchema, type LoadedConfig } from '../core/config.js';

/** Mirrors schemas/serve-config.json (after defaults). */
export interface ServeConfig {
  bearer_secret: string;
  tap_config: string;
  target_config: string;
  state_file?: string;
  catalog?: string;
  models: boolean;
  host: string;
  port: number;
  status_file?: string;
  history_size: number;
  max_days: number;
}

export const SERVE_SCHEMA_PATH = 'schemas/serve-config.json';

function resolvePaths(c: ServeConfig, baseDir: string): ServeConfig {
  const r = (p: string): string => path.resolve(baseDir, p);
  return {
    ...c,
    tap_config: r(c.tap_config),
    target_config: r(c.target_config),
    ...(c.state_file ? { state_file: r(c.state_file) } : {}),
    ...(c.catalog ? { catalog: r(c.catalog) } : {}),
    ...(c.status_file ? { status_file: r(c.status_file) } : {}),
  };
}

export function validateServeConfig(raw: unknown, baseDir: string): LoadedConfig<ServeConfig> {
  const loaded = validateConfig<ServeConfig>(raw, loadSchema(SERVE_SCHEMA_PATH), { what: 'serve config' });
  return { ...loaded, config: resolvePaths(loaded.config, baseDir) };
}

export function loadServeConfig(file: string): LoadedConfig<ServeConfig> {
  const loaded = loadConfigFile<ServeConfig>(file, SERVE_SCHEMA_PATH, { what: 'serve config' });
  return { ...loaded, config: resolvePaths(loaded.config, path.dirname(path.resolve(file))) };
}
