// Config loading: read a JSON file, validate it with ajv against the schema that documents it
// (spec.json for the tap, schemas/target-config.json for the target; precompiled by the build, see
// validators.ts), fill defaults, and register every "writeOnly" value with the redactor. Errors name
// the field and what is allowed.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { ErrorObject } from 'ajv';
import { ConfigError } from './errors.js';
import { Redactor, secretsFromSchema } from './secrets.js';
import { configValidator } from './validators.js';
import { configFromEnv } from './env-config.js';
import { whereJsonFails } from './json-errors.js';

export { newAjv } from './validators.js';

/** Repository root: the nearest folder above this module with package.json (sources in connector/core/, the build in dist/connector/core/). */
export const REPO_ROOT = findRoot(path.dirname(fileURLToPath(import.meta.url)));

function findRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'spec.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package root above ${from}`);
  }
}

export type JsonObject = Record<string, unknown>;

/** Reads and parses a JSON file; `parse` may be a lossless parser (state files, see singer/exact-json.ts). */
export function readJsonFile(file: string, what: string, parse: (text: string) => unknown = JSON.parse): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(`${what} file ${file} cannot be read (${code ?? 'error'})`, {
      hint: code === 'ENOENT' ? `Create it or pass the right path; see README "Configuration".` : 'Check the path and its permissions.',
    });
  }
  try {
    return parse(text);
  } catch (err) {
    throw new ConfigError(`${what} file ${file} ${whereJsonFails(text, err)}`, {
      hint: 'Fix the JSON syntax there (a trailing comma or a missing quote is the usual cause).',
    });
  }
}

export function loadSchema(relPath: string): JsonObject {
  return readJsonFile(path.join(REPO_ROOT, relPath), 'Schema') as JsonObject;
}

/** Renders ajv errors as one sentence per problem, naming the field (JSON pointer → dotted path). */
export function describeAjvErrors(errors: ErrorObject[] | null | undefined, root = 'config'): string {
  if (!errors?.length) return 'unknown validation error';
  const seen = new Set<string>();
  const parts: string[] = [];
  // A value that is one of several formats (anyOf with an errorMessage): that message speaks for the
  // branches, whose own failures ("must match format …" once per format) would only repeat it.
  const explained = errors.filter((e) => (e.keyword === 'anyOf' || e.keyword === 'oneOf') && e.parentSchema?.['errorMessage']);
  const branchOfExplained = (e: ErrorObject): boolean => e.keyword === 'format' && explained.some((x) => x.instancePath === e.instancePath && e.schemaPath.startsWith(`${x.schemaPath}/`));
  // if/then: ajv adds `must match "then" schema` after the branch's own errors; the branch's errors,
  // told under which condition they apply, say it all.
  const conditions = errors.filter((e) => e.keyword === 'if');
  const conditionOf = (e: ErrorObject): ErrorObject | undefined => conditions.find((x) => x.instancePath === e.instancePath && e.schemaPath.startsWith(`${x.schemaPath.replace(/\/if$/, '')}/${String(x.params['failingKeyword'])}/`));
  for (const e of errors) {
    if (branchOfExplained(e)) continue;
    if (e.keyword === 'if' && errors.some((x) => conditionOf(x) === e)) continue;
    const where = root + e.instancePath.replace(/\//g, '.').replace(/\.(\d+)(?=\.|$)/g, '[$1]');
    let text: string;
    switch (e.keyword) {
      case 'required':
        text = `${where}.${String(e.params['missingProperty'])} is required`;
        break;
      case 'additionalProperties':
        text = `${where} has an unknown field "${String(e.params['additionalProperty'])}"`;
        break;
      case 'enum':
        text = `${where} must be one of ${(e.params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
        break;
      case 'type':
        text = `${where} must be ${String(e.params['type'])}`;
        break;
      case 'pattern':
        text = `${where} must match ${String(e.params['pattern'])}${e.parentSchema?.['description'] ? ` (${String(e.parentSchema['description'])})` : ''}`;
        break;
      case 'anyOf':
      case 'oneOf':
        text =
          e.parentSchema?.['errorMessage'] && typeof e.data === 'string'
            ? `${where} "${e.data}" is not accepted: ${String(e.parentSchema['errorMessage'])}`
            : `${where} ${e.message ?? 'is invalid'}${e.parentSchema?.['errorMessage'] ? `: ${String(e.parentSchema['errorMessage'])}` : ''}`;
        break;
      default:
        text = `${where} ${e.message ?? 'is invalid'}`;
    }
    const condition = conditionOf(e);
    if (condition) text += describeCondition(condition.parentSchema?.['if'], condition.params['failingKeyword'] === 'else' ? 'unless' : 'when');
    if (!seen.has(text)) parts.push(text);
    seen.add(text);
  }
  return parts.join('; ');
}

/** ` when destination is "bigquery"` (then) or ` unless …` (else) for an `if` of constant properties; '' for any other condition. */
function describeCondition(cond: unknown, word: 'when' | 'unless'): string {
  const props = (cond as { properties?: Record<string, { const?: unknown }> } | undefined)?.properties;
  const parts = Object.entries(props ?? {}).flatMap(([k, v]) => (v && 'const' in v ? [`${k} is ${JSON.stringify(v.const)}`] : []));
  return parts.length ? ` ${word} ${parts.join(' and ')}` : '';
}

export interface LoadedConfig<T> {
  config: T;
  redactor: Redactor;
}

/**
 * Validates `raw` against `schema` (defaults applied) and returns it typed, with a redactor that
 * knows every secret in it. Cross-field rules live in the caller's `check`.
 */
export function validateConfig<T>(
  raw: unknown,
  schema: JsonObject,
  opts: { what: string; check?: (c: T) => void; /** the schema's path from the root: its precompiled validator */ schemaPath?: string; /** named in every error */ file?: string } = { what: 'config' },
): LoadedConfig<T> {
  const invalid = `Invalid ${opts.what}${opts.file ? ` (${opts.file})` : ''}`;
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(`${invalid}: it must be a JSON object`, { hint: 'See README "Configuration" for an example.' });
  }
  const copy = structuredClone(raw) as JsonObject;
  const redactor = new Redactor(secretsFromSchema(schema, copy));
  const validate = configValidator(REPO_ROOT, opts.schemaPath, schema);
  if (!validate(copy)) {
    throw new ConfigError(`${invalid}: ${redactor.redact(describeAjvErrors(validate.errors))}`, {
      // "named in the message", not "above": in JSON logs and --json output the hint stands beside it.
      hint: 'Fix the fields named in the message; every field is described in README "Configuration".',
      ...(opts.file ? { context: { config_file: opts.file } } : {}),
    });
  }
  try {
    opts.check?.(copy as T);
  } catch (err) {
    // Cross-field rules name the keys; the file is known only here.
    if (!(err instanceof ConfigError) || !opts.file) throw err;
    throw new ConfigError(`${invalid}: ${err.message}`, { ...(err.hint ? { hint: err.hint } : {}), context: { ...err.context, config_file: opts.file } });
  }
  return { config: copy as T, redactor };
}

export function loadConfigFile<T>(file: string, schemaRelPath: string, opts: { what: string; check?: (c: T) => void }): LoadedConfig<T> {
  return validateConfig<T>(readJsonFile(file, opts.what), loadSchema(schemaRelPath), { ...opts, schemaPath: schemaRelPath, file });
}

/** The `--config` value that reads the settings from environment variables (the Meltano SDK's `--config ENV`). */
export const ENV_CONFIG = 'ENV';

/** The merged, unvalidated config of a bin's `--config` values, and how errors name them. */
export interface ConfigSources {
  raw: JsonObject;
  /** `tap.json`, or `tap.json + ENV TAP_FACEBOOK_ADS_*` */
  label: string;
}

/**
 * Reads a bin's `--config` values and merges them in order as the Meltano SDK does (a later source
 * wins setting by setting): each a JSON file, or `ENV` for the variables `<envPrefix><SETTING>`
 * (env-config.ts), converted by the types of `schema`.
 */
export function readConfigSources(sources: string | readonly string[], schema: JsonObject, opts: { what: string; envPrefix: string }): ConfigSources {
  const list = typeof sources === 'string' ? [sources] : sources;
  let raw: JsonObject = {};
  for (const source of list) {
    const part = source === ENV_CONFIG ? configFromEnv(schema, opts.envPrefix) : readJsonFile(source, opts.what);
    if (!part || typeof part !== 'object' || Array.isArray(part)) {
      throw new ConfigError(`Invalid ${opts.what} (${source}): it must be a JSON object`, { hint: 'See README "Configuration" for an example.', context: { config_file: source } });
    }
    raw = { ...raw, ...(part as JsonObject) };
  }
  return { raw, label: list.map((s) => (s === ENV_CONFIG ? `${ENV_CONFIG} ${opts.envPrefix}*` : s)).join(' + ') };
}

/** A bin's config from its `--config` values (readConfigSources), validated; errors name the sources. */
export function loadConfigSources<T>(sources: string | readonly string[], schemaRelPath: string, opts: { what: string; envPrefix: string; check?: (c: T) => void }): LoadedConfig<T> {
  const schema = loadSchema(schemaRelPath);
  const { raw, label } = readConfigSources(sources, schema, opts);
  return validateConfig<T>(raw, schema, { what: opts.what, ...(opts.check ? { check: opts.check } : {}), schemaPath: schemaRelPath, file: label });
}
