// Before dbt builds a DuckDB warehouse by itself (`fb-ads-elt models build`): the schema the models read
// the raw tables from (var facebook_ads_schema, default facebook_ads) must hold them. `sync --models`
// passes the target's dataset on; `models` cannot know it, and with another dataset dbt failed every
// staging model with a Catalog Error (exit 6) instead of saying which var to set. Before any build of
// the bundled project, that schema must hold every table the project's sources name: a catalog that
// leaves streams out made dbt fail a dozen models and tests with one Catalog Error each.
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { REPO_ROOT } from '../core/config.js';
import { ConfigError } from '../core/errors.js';
import { rawDatasetOf } from './profile.js';


/** Tables every sync writes whatever the catalog selects: a schema with one of them holds raw tables. */
const RAW_MARKERS = ['sync_log', 'ad_accounts', 'insights_account', '_sdc_table_versions'];

/** Schemas of the file that hold raw tables, or undefined when the file cannot be read now (dbt will say why). */
const rawSchemas = (duckdbPath: string): Promise<string[] | undefined> => schemasHolding(duckdbPath, RAW_MARKERS);

/** `query` on the file opened read-only, or undefined when it cannot be opened now (another process writes it, or it is no DuckDB file). */
async function readOnly<T>(duckdbPath: string, query: (conn: DuckDBConnection) => Promise<T>): Promise<T | undefined> {
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(duckdbPath, { access_mode: 'READ_ONLY' });
  } catch {
    return undefined;
  }
  const conn = await instance.connect();
  try {
    return await query(conn);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/**
 * Schemas of the file holding a table of one of these names (stream names: letters, digits and _),
 * or undefined when the file cannot be read now (another process writes it, or it is no DuckDB file).
 */
export async function schemasHolding(duckdbPath: string, tables: readonly string[]): Promise<string[] | undefined> {
  const names = tables.filter((t) => /^\w+$/.test(t)).map((t) => `'${t}'`);
  if (names.length === 0) return [];
  return readOnly(duckdbPath, async (conn) => {
    const rows = (await conn.runAndReadAll(`SELECT DISTINCT table_schema FROM information_schema.tables WHERE table_name IN (${names.join(', ')}) ORDER BY 1`)).getRows();
    return rows.map((r) => String(r[0]));
  });
}

/** The bundled project's sources file: the one place that lists the raw tables its models read. */
export const SOURCES_FILE = path.join(REPO_ROOT, 'dbt', 'models', 'staging', 'facebook_ads', '_facebook_ads__sources.yml');

/** `enabled: "{{ var('name', true) }}"`: the one form the sources file switches a table with (the history tables). */
const VAR_SWITCH = /^\{\{\s*var\('(\w+)',\s*(true|false)\)\s*\}\}$/;

/** The raw tables the bundled project's models read with these vars (a table switched off by a var is not). */
export function sourceTables(vars: Record<string, unknown>): string[] {
  const doc = yaml.load(readFileSync(SOURCES_FILE, 'utf8')) as { sources?: Array<{ tables?: Array<{ name: string; config?: { enabled?: unknown } }> }> };
  return (doc.sources ?? []).flatMap((src) =>
    (src.tables ?? []).flatMap((t) => {
      const on = t.config?.enabled;
      if (on === undefined || on === true) return [t.name];
      const m = typeof on === 'string' ? VAR_SWITCH.exec(on.trim()) : null;
      // Any other condition is dbt's to evaluate: such a table is not required here.
      if (!m) return [];
      const value = vars[m[1]!] ?? m[2] === 'true';
      return value === true || value === 'true' ? [t.name] : [];
    }),
  );
}

/**
 * Throws a ConfigError (exit 2) naming the tables the bundled project's models read that the schema
 * lacks, before dbt fails a model or test for each. A file that cannot be read now, or a schema with
 * no table at all (checkRawSchema's case), is left to dbt and that check.
 */
export async function checkRawTables(duckdbPath: string, vars: Record<string, unknown>): Promise<void> {
  const schema = rawDatasetOf(vars);
  const present = await readOnly(duckdbPath, async (conn) => {
    const rows = (await conn.runAndReadAll('SELECT table_name FROM information_schema.tables WHERE lower(table_schema) = lower($schema)', { schema })).getRows();
    return new Set(rows.map((r) => String(r[0]).toLowerCase()));
  });
  if (present === undefined || present.size === 0) return;
  const missing = sourceTables(vars).filter((t) => !present.has(t.toLowerCase()));
  if (missing.length === 0) return;
  throw new ConfigError(`warehouse ${duckdbPath} has no table ${missing.map((t) => `${schema}.${t}`).join(', ')}, which the dbt models read: the sync's catalog leaves those streams out, or no sync has loaded them yet`, {
    hint: 'Select those streams in the catalog of the runs that build the models (sync --models, serve with "models": true), or build only the models the loaded tables feed: fb-ads-elt models build --duckdb-path <file> --select <models>.',
    context: { duckdb_path: duckdbPath, facebook_ads_schema: schema, missing_tables: missing },
  });
}

/** Throws a ConfigError (exit 2) naming where the raw tables are when `vars` points the models elsewhere. */
export async function checkRawSchema(duckdbPath: string, vars: Record<string, unknown>): Promise<void> {
  const schema = rawDatasetOf(vars);
  const found = await rawSchemas(duckdbPath);
  if (found === undefined || found.some((s) => s.toLowerCase() === schema.toLowerCase())) return;
  const where = `warehouse ${duckdbPath} has no schema "${schema}" (var facebook_ads_schema), where the models read the raw tables`;
  if (found.length === 0) {
    throw new ConfigError(`${where}; it holds none`, { hint: 'Run a sync into this file first (its target config names it duckdb_path), or pass the file a sync wrote.', context: { duckdb_path: duckdbPath, facebook_ads_schema: schema } });
  }
  const example = found[0]!;
  throw new ConfigError(`${where}; they are in ${found.map((s) => `"${s}"`).join(', ')}`, {
    hint: `Pass the target config's dataset: --vars '{facebook_ads_schema: ${example}}' (sync --models does this by itself).`,
    context: { duckdb_path: duckdbPath, facebook_ads_schema: schema, raw_schemas: found },
  });
}
