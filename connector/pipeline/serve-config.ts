// The serve command's configuration: schemas/serve-config.json validated by ajv (defaults filled),
// with relative paths resolved from the config file's directory so a systemd unit can use any cwd.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadConfigFile, validateConfig, loadSchema, type LoadedConfig } from '../core/config.js';
import { ConfigError } from '../core/errors.js';
import { whyUnwritable } from '../core/writable.js';

/** Mirrors schemas/serve-config.json (after defaults). */
export interface ServeConfig {
  bearer_secret: string;
  tap_config: string;
  target_config: string;
  state_file?: string;
  catalog?: string;
  models: boolean;
  dbt_vars?: Record<string, unknown>;
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

/** Fewest distinct characters a bearer secret needs (16 spaces or "aaaa…" pass a length check alone). */
export const SECRET_MIN_DISTINCT = 8;
/** Placeholder words; a secret made only of them, digits and punctuation is a placeholder. */
const PLACEHOLDER = /change[-_]?me|password|passwd|secret|example|your|token|key|bearer|admin|test|[\d\W_]/gi;

/** Why a bearer secret is too weak to guard the API, or undefined when it is fine. Never echoes it. */
export function weakSecretReason(secret: string): string | undefined {
  if (/\s/.test(secret)) return 'it contains whitespace (a blank or padded value is a copy-paste mistake)';
  if (new Set(secret).size < SECRET_MIN_DISTINCT) return `it has fewer than ${SECRET_MIN_DISTINCT} different characters`;
  for (let unit = 1; unit <= secret.length / 2; unit++) if (secret.length % unit === 0 && secret.slice(0, unit).repeat(secret.length / unit) === secret) return 'it repeats one short pattern';
  let steps = 0;
  for (let i = 1; i < secret.length; i++) if (Math.abs(secret.charCodeAt(i) - secret.charCodeAt(i - 1)) === 1) steps++;
  if (steps * 2 > secret.length) return 'it is mostly a run of consecutive characters (like 0123456789abcdef)';
  if (secret.replace(PLACEHOLDER, '') === '') return 'it looks like a placeholder (changeme, password, example…)';
  return undefined;
}

function checkSecret(loaded: LoadedConfig<ServeConfig>): void {
  const why = weakSecretReason(loaded.config.bearer_secret);
  if (why) {
    throw new ConfigError(`serve config: bearer_secret is too weak: ${why}`, { hint: 'Generate one with `openssl rand -hex 32` and put it in bearer_secret.' });
  }
}

/**
 * The files serve writes, checked when it starts (exit 2): found out later, every trigger would
 * fail on the state file, and a status file that cannot be written is only a warning per run.
 */
function checkWritable(c: ServeConfig): ServeConfig {
  for (const field of ['state_file', 'status_file'] as const) {
    const file = c[field];
    if (!file) continue;
    const dir = path.dirname(file);
    // A missing folder is not created: it is more often a typo than a wish.
    const why = existsSync(dir) ? whyUnwritable(file) : `its folder ${dir} does not exist`;
    if (why) {
      throw new ConfigError(`serve config: ${field} ${file} cannot be written: ${why}`, {
        hint: `Point ${field} at a writable place, as an absolute path (under systemd: inside ReadWritePaths, e.g. /var/lib/fb-ads-elt/${path.basename(file)}); relative paths are resolved from the serve config's folder.`,
        context: { [field]: file },
      });
    }
  }
  return c;
}

export function validateServeConfig(raw: unknown, baseDir: string): LoadedConfig<ServeConfig> {
  const loaded = validateConfig<ServeConfig>(raw, loadSchema(SERVE_SCHEMA_PATH), { what: 'serve config' });
  checkSecret(loaded);
  return { ...loaded, config: checkWritable(resolvePaths(loaded.config, baseDir)) };
}

export function loadServeConfig(file: string): LoadedConfig<ServeConfig> {
  const loaded = loadConfigFile<ServeConfig>(file, SERVE_SCHEMA_PATH, { what: 'serve config' });
  checkSecret(loaded);
  return { ...loaded, config: checkWritable(resolvePaths(loaded.config, path.dirname(path.resolve(file)))) };
}
