// Before dbt builds a DuckDB warehouse by itself (`fb-ads-elt models build`): the schema the models read
// the raw tables from (var facebook_ads_schema, default facebook_ads) must hold them. `sync --models`
// passes the target's dataset on; `models` cannot know it, and with another dataset dbt failed every
// staging model with a Catalog Error (exit 6) instead of saying which var to set.
import { DuckDBInstance } from '@duckdb/node-api';
import { loadSchema } from '../core/config.js';
import { ConfigError } from '../core/errors.js';
import { TARGET_SCHEMA_PATH } from '../target/config.js';

/** The target's default dataset, which the models' var facebook_ads_schema defaults to as well. */
const defaultDataset = (): string => String((loadSchema(TARGET_SCHEMA_PATH)['properties'] as Record<string, { default?: unknown }>)['dataset']?.default);

/** Tables every sync writes whatever the catalog selects: a schema with one of them holds raw tables. */
const RAW_MARKERS = ['sync_log', 'ad_accounts', 'insights_account', '_sdc_table_versions'];

/** Schemas of the file that hold raw tables, or undefined when the file cannot be read now (dbt will say why). */
const rawSchemas = (duckdbPath: string): Promise<string[] | undefined> => schemasHolding(duckdbPath, RAW_MARKERS);

/**
 * Schemas of the file holding a table of one of these names (stream names: letters, digits and _),
 * or undefined when the file cannot be read now (another process writes it, or it is no DuckDB file).
 */
export async function schemasHolding(duckdbPath: string, tables: readonly string[]): Promise<string[] | undefined> {
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(duckdbPath, { access_mode: 'READ_ONLY' });
  } catch {
    return undefined;
  }
  const conn = await instance.connect();
  try {
    const names = tables.filter((t) => /^\w+$/.test(t)).map((t) => `'${t}'`);
    if (names.length === 0) return [];
    const rows = (await conn.runAndReadAll(`SELECT DISTINCT table_schema FROM information_schema.tables WHERE table_name IN (${names.join(', ')}) ORDER BY 1`)).getRows();
    return rows.map((r) => String(r[0]));
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** Throws a ConfigError (exit 2) naming where the raw tables are when `vars` points the models elsewhere. */
export async function checkRawSchema(duckdbPath: string, vars: Record<string, unknown>): Promise<void> {
  const given = vars['facebook_ads_schema'];
  const schema = typeof given === 'string' ? given : defaultDataset();
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
