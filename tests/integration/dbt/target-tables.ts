// The raw tables as the real target creates them: the tap's SCHEMA messages (every stream the
// default config offers, as discovery describes them) through the target's loader into a DuckDB
// file, read back as DuckDB names each column's type. Seeds standing in for raw tables are checked
// against it, so a seed cannot hand a model a column type the warehouse never has.
import path from 'node:path';
import { Readable } from 'node:stream';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Logger } from '../../../connector/core/log.js';
import { schemaMessage } from '../../../connector/singer/messages.js';
import { describeStreams } from '../../../connector/tap/discover.js';
import { validateTargetConfig } from '../../../connector/target/config.js';
import { createDestination } from '../../../connector/target/factory.js';
import { Loader } from '../../../connector/target/loader.js';

/** Table → column → DuckDB type (information_schema's data_type), per table in `dataset`. */
export type ColumnTypes = Map<string, Map<string, string>>;

/** Reads every column's type in `schema` of a DuckDB file. */
export async function duckColumnTypes(file: string, schema: string): Promise<ColumnTypes> {
  const db = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY' });
  const conn = await db.connect();
  try {
    const rows = (await conn.runAndReadAll('select table_name, column_name, data_type from information_schema.columns where table_schema = $s order by table_name, ordinal_position', { s: schema })).getRowObjectsJson() as Array<Record<string, string>>;
    const out: ColumnTypes = new Map();
    for (const r of rows) {
      const table = out.get(r['table_name']!) ?? new Map<string, string>();
      table.set(r['column_name']!, r['data_type']!);
      out.set(r['table_name']!, table);
    }
    return out;
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

/** Lets the real target create the raw tables (and their __history) in `<dir>/target.duckdb` and reads their column types back. */
export async function targetColumnTypes(dir: string, log: Logger, dataset = 'facebook_ads'): Promise<ColumnTypes> {
  const { config } = validateTargetConfig({ destination: 'duckdb', duckdb_path: path.join(dir, 'target.duckdb'), dataset });
  const lines = describeStreams().map((d) => `${JSON.stringify(schemaMessage(d.name, d.schema, d.keyProperties, d.replicationKey ? [d.replicationKey] : undefined))}\n`);
  const destination = await createDestination(config);
  await destination.open();
  try {
    // SCHEMA messages alone: the loader creates each table (and its history) before any record.
    await new Loader({ config, destination, log, emitState: async () => undefined }).run(Readable.from(lines));
  } finally {
    await destination.close();
  }
  return duckColumnTypes(config.duckdb_path, dataset);
}
