// Reads a dbt project from disk the way dbt's parser does, for the parts this runner honours:
// dbt_project.yml (+ folder configs, vars), profiles.yml, models/seeds/macros/tests and the
// schema ymls (sources, column data tests, unit_tests). No SQL is rendered here.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';
import yaml from 'js-yaml';
import nunjucks from 'nunjucks';
import { ConfigError } from '../core/errors.js';

export type Materialization = 'view' | 'table' | 'incremental' | 'ephemeral';

export interface ModelNode {
  name: string;
  /** Path relative to the project directory (for messages and compiled output). */
  path: string;
  rawSql: string;
  /** dbt_project.yml folder configs merged with the schema yml `config:` block. */
  config: Record<string, unknown>;
}

export interface SeedNode {
  name: string;
  path: string;
  config: Record<string, unknown>;
}

export interface SingularTest {
  name: string;
  path: string;
  rawSql: string;
}

export interface GenericTest {
  name: string;
  /** `unique`, `not_null`, `accepted_values`, `relationships`, or a project `{% test %}` macro. */
  testName: string;
  /** What the test is attached to: a model/seed name, or `source:<source>.<table>`. */
  attachedTo: string;
  column?: string;
  kwargs: Record<string, unknown>;
  severity: 'error' | 'warn';
  where?: string;
}

export interface UnitTestInput {
  input: string;
  format: 'dict' | 'csv' | 'sql';
  rows?: Record<string, unknown>[] | string;
}

export interface UnitTest {
  name: string;
  model: string;
  given: UnitTestInput[];
  expect: UnitTestInput;
  vars: Record<string, unknown>;
}

export interface SourceTable {
  source: string;
  table: string;
  /** Raw yml values; may contain Jinja (rendered when the target is known). */
  database?: string;
  schema: string;
  identifier: string;
}

export interface TargetProfile {
  name: string;
  type: string;
  /** DuckDB: file path; BigQuery: unused. */
  path?: string;
  /** Schema (DuckDB) or dataset (BigQuery) models are written to. */
  schema: string;
  /** BigQuery project; DuckDB: unused. */
  database?: string;
  location?: string;
  raw: Record<string, unknown>;
}

export interface DbtProject {
  name: string;
  dir: string;
  vars: Record<string, unknown>;
  models: Map<string, ModelNode>;
  seeds: Map<string, SeedNode>;
  singularTests: SingularTest[];
  genericTests: GenericTest[];
  unitTests: UnitTest[];
  sources: Map<string, SourceTable>;
  /** Every macro file (macros/ and tests/generic/) concatenated, ready to prepend to a node. */
  macroSource: string;
  target: TargetProfile;
}

export interface LoadOptions {
  projectDir: string;
  /** Output name in profiles.yml (`duckdb`, `bigquery`); default: the profile's `target:`. */
  target?: string;
  vars?: Record<string, unknown>;
  profilesDir?: string;
}

const YAML_OPTS = { schema: yaml.CORE_SCHEMA } as const;

function readYaml(file: string): unknown {
  try {
    return yaml.load(readFileSync(file, 'utf8'), YAML_OPTS);
  } catch (err) {
    throw new ConfigError(`cannot parse ${file}: ${(err as Error).message}`, { hint: 'Fix the YAML syntax (indentation, quotes).' });
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function walk(dir: string, ext: string[]): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) out.push(...walk(full, ext));
    else if (ext.some((e) => entry.endsWith(e))) out.push(full);
  }
  return out;
}

/** Renders `{{ env_var(...) }}`, `{{ var(...) }}` and `{{ target.x }}` in yml strings, as dbt does. */
export function renderYamlValue(value: unknown, ctx: Record<string, unknown>): unknown {
  if (typeof value === 'string' && value.includes('{{')) return nunjucks.renderString(value, ctx).trim();
  if (Array.isArray(value)) return value.map((v) => renderYamlValue(v, ctx));
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderYamlValue(v, ctx)]));
  return value;
}

export function envVar(name: string, fallback?: unknown): unknown {
  const v = process.env[name];
  if (v !== undefined) return v;
  if (fallback !== undefined) return fallback;
  throw new ConfigError(`env var ${name} is not set and has no default`, { hint: `Set ${name} or give env_var() a default.` });
}

const KNOWN_CONFIG_KEYS = new Set(['materialized', 'schema', 'tags', 'enabled', 'unique_key', 'column_types', 'alias']);

/** Applies dbt_project.yml `models:`/`seeds:` config blocks along a node's folder path. */
function folderConfig(block: unknown, projectName: string, segments: string[]): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  const apply = (level: Record<string, unknown>) => {
    for (const [k, v] of Object.entries(level)) {
      if (k.startsWith('+')) config[k.slice(1)] = v;
      else if (KNOWN_CONFIG_KEYS.has(k) && !isObject(v)) config[k] = v;
      else if (k === 'column_types' || k === '+column_types') config['column_types'] = v;
    }
  };
  if (!isObject(block)) return config;
  apply(block);
  let level: unknown = block[projectName];
  if (!isObject(level)) return config;
  apply(level);
  for (const seg of segments) {
    level = (level as Record<string, unknown>)[seg];
    if (!isObject(level)) break;
    apply(level);
  }
  return config;
}

function loadProfile(profilesFile: string, profileName: string, targetName: string | undefined, ctx: Record<string, unknown>): TargetProfile {
  if (!existsSync(profilesFile)) {
    throw new ConfigError(`profiles.yml not found at ${profilesFile}`, { hint: 'Create profiles.yml next to dbt_project.yml (duckdb and bigquery outputs).' });
  }
  const all = readYaml(profilesFile);
  const profile = isObject(all) ? all[profileName] : undefined;
  if (!isObject(profile) || !isObject(profile['outputs'])) {
    throw new ConfigError(`profile ${profileName} not found in ${profilesFile}`, { hint: 'The profile name must equal `profile:` in dbt_project.yml.' });
  }
  const name = targetName ?? String(renderYamlValue(profile['target'] ?? 'duckdb', ctx));
  const out = profile['outputs'][name];
  if (!isObject(out)) {
    throw new ConfigError(`target ${name} not found in profile ${profileName}`, {
      hint: `Use one of: ${Object.keys(profile['outputs']).join(', ')}.`,
    });
  }
  const raw = renderYamlValue(out, ctx) as Record<string, unknown>;
  const type = String(raw['type'] ?? '');
  const schema = String(raw['schema'] ?? raw['dataset'] ?? 'main');
  const database = raw['project'] ?? raw['database'];
  return {
    name,
    type,
    schema,
    raw,
    ...(raw['path'] !== undefined ? { path: String(raw['path']) } : {}),
    ...(database !== undefined ? { database: String(database) } : {}),
    ...(raw['location'] !== undefined ? { location: String(raw['location']) } : {}),
  };
}

function testEntries(list: unknown): Array<{ testName: string; args: Record<string, unknown> }> {
  if (!Array.isArray(list)) return [];
  return list.map((t) => {
    if (typeof t === 'string') return { testName: t, args: {} };
    if (isObject(t)) {
      const [testName, args] = Object.entries(t)[0] ?? ['', {}];
      return { testName, args: isObject(args) ? args : {} };
    }
    throw new ConfigError(`unreadable data test entry ${JSON.stringify(t)}`);
  });
}

function genericTestsFor(attachedTo: string, label: string, entry: Record<string, unknown>, into: GenericTest[]): void {
  const add = (column: string | undefined, list: unknown) => {
    for (const { testName, args } of testEntries(list)) {
      // dbt ≥1.10 nests test arguments under `arguments:`; older files put them beside `config:`.
      const { config, arguments: nested, ...flat } = args;
      const kwargs = { ...flat, ...(isObject(nested) ? nested : {}) };
      const cfg = isObject(config) ? config : {};
      const short = testName.replace(/^.*\./, '');
      let suffix = '';
      if (short === 'accepted_values') suffix = '__' + (Array.isArray(kwargs['values']) ? kwargs['values'].join('_') : '');
      if (short === 'relationships') suffix = '__' + String(kwargs['field'] ?? '') + '__' + String(kwargs['to'] ?? '').replace(/\W+/g, '_');
      let name = [short, label, column].filter(Boolean).join('_') + suffix;
      name = name.replace(/_+$/, '').replace(/[^A-Za-z0-9_]+/g, '_').slice(0, 120);
      const base = name;
      for (let i = 2; into.some((t) => t.name === name); i++) name = `${base}_${i}`;
      into.push({
        name,
        testName: short,
        attachedTo,
        kwargs,
        severity: cfg['severity'] === 'warn' ? 'warn' : 'error',
        ...(column !== undefined ? { column } : {}),
        ...(typeof cfg['where'] === 'string' ? { where: cfg['where'] } : {}),
      });
    }
  };
  add(undefined, entry['data_tests'] ?? entry['tests']);
  for (const col of Array.isArray(entry['columns']) ? entry['columns'] : []) {
    if (isObject(col) && typeof col['name'] === 'string') add(col['name'], col['data_tests'] ?? col['tests']);
  }
}

function unitTestInput(v: unknown, where: string): UnitTestInput {
  if (!isObject(v)) throw new ConfigError(`unit test ${where}: expected a mapping`);
  const format = (v['format'] ?? 'dict') as UnitTestInput['format'];
  if (!['dict', 'csv', 'sql'].includes(format)) throw new ConfigError(`unit test ${where}: unknown format ${String(format)}`);
  const rows = v['rows'];
  return {
    input: String(v['input'] ?? ''),
    format,
    ...(Array.isArray(rows) || typeof rows === 'string' ? { rows: rows as Record<string, unknown>[] | string } : {}),
  };
}

export function loadProject(opts: LoadOptions): DbtProject {
  const dir = opts.projectDir;
  const projectFile = join(dir, 'dbt_project.yml');
  if (!existsSync(projectFile)) {
    throw new ConfigError(`no dbt_project.yml in ${dir}`, { hint: 'Pass --project pointing at the dbt/ directory.' });
  }
  const pj = readYaml(projectFile);
  if (!isObject(pj) || typeof pj['name'] !== 'string') throw new ConfigError(`${projectFile}: missing name`);
  const name = pj['name'];
  const projectVars: Record<string, unknown> = {};
  if (isObject(pj['vars'])) {
    for (const [k, v] of Object.entries(pj['vars'])) {
      if (k === name && isObject(v)) Object.assign(projectVars, v);
      else projectVars[k] = v;
    }
  }
  const vars = { ...projectVars, ...(opts.vars ?? {}) };
  const varFn = (k: string, d?: unknown) => (k in vars ? vars[k] : d);
  const baseCtx = { env_var: envVar, var: varFn };
  const profilesFile = join(opts.profilesDir ?? process.env['DBT_PROFILES_DIR'] ?? dir, 'profiles.yml');
  const target = loadProfile(profilesFile, String(pj['profile'] ?? name), opts.target, baseCtx);
  const ctx = { ...baseCtx, target: { name: target.name, type: target.type, schema: target.schema, database: target.database, project: target.database } };
  const paths = (key: string, dflt: string) => (Array.isArray(pj[key]) ? (pj[key] as string[]) : [dflt]);

  const models = new Map<string, ModelNode>();
  const seeds = new Map<string, SeedNode>();
  const singularTests: SingularTest[] = [];
  const genericTests: GenericTest[] = [];
  const unitTests: UnitTest[] = [];
  const sources = new Map<string, SourceTable>();
  const ymlModelConfig = new Map<string, Record<string, unknown>>();
  const ymlFiles: string[] = [];

  for (const root of paths('model-paths', 'models')) {
    const base = join(dir, root);
    for (const file of walk(base, ['.sql'])) {
      const modelName = basename(file, '.sql');
      if (models.has(modelName)) throw new ConfigError(`two models named ${modelName}`, { hint: 'Model names must be unique across folders.' });
      const segments = relative(base, file).split(sep).slice(0, -1);
      const config = renderYamlValue(folderConfig(pj['models'], name, [...segments, modelName]), ctx) as Record<string, unknown>;
      models.set(modelName, { name: modelName, path: relative(dir, file), rawSql: readFileSync(file, 'utf8'), config });
    }
    ymlFiles.push(...walk(base, ['.yml', '.yaml']));
  }
  for (const root of paths('seed-paths', 'seeds')) {
    const base = join(dir, root);
    for (const file of walk(base, ['.csv'])) {
      const seedName = basename(file, '.csv');
      const segments = relative(base, file).split(sep).slice(0, -1);
      const config = renderYamlValue(folderConfig(pj['seeds'], name, [...segments, seedName]), ctx) as Record<string, unknown>;
      seeds.set(seedName, { name: seedName, path: relative(dir, file), config });
    }
    ymlFiles.push(...walk(base, ['.yml', '.yaml']));
  }
  const macroFiles: string[] = [];
  for (const root of paths('macro-paths', 'macros')) {
    macroFiles.push(...walk(join(dir, root), ['.sql']));
    ymlFiles.push(...walk(join(dir, root), ['.yml', '.yaml']));
  }
  for (const root of paths('test-paths', 'tests')) {
    const base = join(dir, root);
    for (const file of walk(base, ['.sql'])) {
      const rel = relative(base, file);
      if (rel.split(sep)[0] === 'generic') macroFiles.push(file);
      else singularTests.push({ name: basename(file, '.sql'), path: relative(dir, file), rawSql: readFileSync(file, 'utf8') });
    }
  }

  for (const file of ymlFiles) {
    const doc = readYaml(file);
    if (!isObject(doc)) continue;
    for (const m of Array.isArray(doc['models']) ? doc['models'] : []) {
      if (!isObject(m) || typeof m['name'] !== 'string') continue;
      if (isObject(m['config'])) ymlModelConfig.set(m['name'], renderYamlValue(m['config'], ctx) as Record<string, unknown>);
      genericTestsFor(m['name'], m['name'], m, genericTests);
    }
    for (const s of Array.isArray(doc['seeds']) ? doc['seeds'] : []) {
      if (!isObject(s) || typeof s['name'] !== 'string') continue;
      const seed = seeds.get(s['name']);
      if (seed && isObject(s['config'])) Object.assign(seed.config, renderYamlValue(s['config'], ctx));
      genericTestsFor(s['name'], s['name'], s, genericTests);
    }
    for (const src of Array.isArray(doc['sources']) ? doc['sources'] : []) {
      if (!isObject(src) || typeof src['name'] !== 'string') continue;
      const srcName = src['name'];
      for (const t of Array.isArray(src['tables']) ? src['tables'] : []) {
        if (!isObject(t) || typeof t['name'] !== 'string') continue;
        const key = `${srcName}.${t['name']}`;
        const database = t['database'] ?? src['database'];
        sources.set(key, {
          source: srcName,
          table: t['name'],
          schema: String(t['schema'] ?? src['schema'] ?? srcName),
          identifier: String(t['identifier'] ?? t['name']),
          ...(database !== undefined ? { database: String(database) } : {}),
        });
        genericTestsFor(`source:${key}`, `source_${srcName}_${t['name']}`, t, genericTests);
      }
    }
    for (const u of Array.isArray(doc['unit_tests']) ? doc['unit_tests'] : []) {
      if (!isObject(u) || typeof u['name'] !== 'string') continue;
      const overrides = isObject(u['overrides']) ? u['overrides'] : {};
      unitTests.push({
        name: u['name'],
        model: String(u['model']),
        given: (Array.isArray(u['given']) ? u['given'] : []).map((g, i) => unitTestInput(g, `${u['name']} given[${i}]`)),
        expect: unitTestInput(u['expect'], `${u['name']} expect`),
        vars: isObject(overrides['vars']) ? overrides['vars'] : {},
      });
    }
  }
  for (const [modelName, cfg] of ymlModelConfig) {
    const model = models.get(modelName);
    if (model) Object.assign(model.config, cfg);
  }
  for (const [modelName, model] of models) {
    if (model.config['enabled'] === false) models.delete(modelName);
  }
  const macroSource = macroFiles.map((f) => readFileSync(f, 'utf8')).join('\n');
  return { name, dir, vars, models, seeds, singularTests, genericTests, unitTests, sources, macroSource, target };
}
