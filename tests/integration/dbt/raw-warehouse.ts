// Builds the raw `facebook_ads` tables the target would have written, in DuckDB, from a JSON
// fixture shaped like the stream schemas: columns and types come from the target's schema map
// (schemas/streams → BigQuery fields → DuckDB types), rows are loaded as NDJSON with explicit columns.
import { writeFileSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { loadStreamFields, type WarehouseField } from '../../../connector/target/fields.js';
import type { CatalogTable } from '../../helpers/zetasql.js';

export const RAW_STREAMS = [
  'businesses',
  'ad_accounts',
  'pages',
  'pixels',
  'product_catalogs',
  'campaigns',
  'ad_sets',
  'ads',
  'ad_creatives',
  'insights_account',
  'insights_campaign',
  'insights_adset',
  'insights_ad',
  'insights_coverage',
  'sync_log',
] as const;
const HISTORY_STREAMS = ['campaigns', 'ad_sets', 'ads'];

export type Row = Record<string, unknown>;
export type Fixture = Record<string, Row[]>;

export function readFixture(file: string): Fixture {
  return JSON.parse(readFileSync(file, 'utf8')) as Fixture;
}

function duckType(f: WarehouseField): string {
  const base = ((): string => {
    switch (f.type) {
      case 'STRING':
        return 'VARCHAR';
      case 'INT64':
        return 'BIGINT';
      case 'FLOAT64':
        return 'DOUBLE';
      case 'NUMERIC':
        return 'DECIMAL(38,9)';
      case 'BOOL':
        return 'BOOLEAN';
      case 'DATE':
        return 'DATE';
      case 'TIMESTAMP':
        return 'TIMESTAMPTZ';
      case 'JSON':
        return 'JSON';
      case 'RECORD':
        return `STRUCT(${(f.fields ?? []).map((c) => `"${c.name}" ${duckType(c)}`).join(', ')})`;
    }
  })();
  return f.mode === 'REPEATED' ? `${base}[]` : base;
}

/** Raw tables as the ZetaSQL catalog sees them (BigQuery fields, same schema map). */
export function rawCatalogTables(project: string, dataset: string): CatalogTable[] {
  const out: CatalogTable[] = [];
  for (const stream of RAW_STREAMS) {
    const fields = loadStreamFields(stream);
    out.push({ project, dataset, name: stream, fields });
    if (HISTORY_STREAMS.includes(stream)) out.push({ project, dataset, name: `${stream}__history`, fields });
  }
  return out;
}

/**
 * Insights at account, campaign and ad-set level derived from the ad-level rows of the fixture:
 * additive metrics summed, action lists summed per action type, reach taken as the largest child
 * (reach is unique people, so it is not a sum; any value ≤ the sum is realistic).
 */
export function deriveUpperInsights(ad: Row[]): Record<'insights_adset' | 'insights_campaign' | 'insights_account', Row[]> {
  const roll = (keys: string[], drop: string[]) => {
    const groups = new Map<string, Row>();
    for (const r of ad) {
      const k = keys.map((c) => String(r[c])).join('|');
      const g = groups.get(k);
      if (!g) {
        const copy: Row = { ...r, actions: structuredClone(r['actions']), action_values: structuredClone(r['action_values']) };
        for (const d of drop) delete copy[d];
        groups.set(k, copy);
        continue;
      }
      g['spend'] = (Number(g['spend']) + Number(r['spend'])).toFixed(2);
      for (const m of ['impressions', 'clicks', 'unique_clicks', 'inline_link_clicks']) g[m] = Number(g[m]) + Number(r[m]);
      g['reach'] = Math.max(Number(g['reach']), Number(r['reach']));
      for (const list of ['actions', 'action_values']) {
        const into = g[list] as Row[];
        for (const a of (r[list] as Row[] | undefined) ?? []) {
          const hit = into.find((x) => x['action_type'] === a['action_type']);
          if (!hit) into.push({ ...a });
          else hit['value'] = String(Number(hit['value']) + Number(a['value']));
        }
      }
    }
    return [...groups.values()];
  };
  return {
    insights_adset: roll(['adset_id', 'date_start'], ['ad_id', 'ad_name']),
    insights_campaign: roll(['campaign_id', 'date_start'], ['ad_id', 'ad_name', 'adset_id', 'adset_name']),
    insights_account: roll(['account_id', 'date_start'], ['ad_id', 'ad_name', 'adset_id', 'adset_name', 'campaign_id', 'campaign_name']),
  };
}

/** Creates every raw table (+ __history) in `schema` and loads the fixture's rows into them. */
export async function loadRawWarehouse(conn: DuckDBConnection, fixture: Fixture, tmpDir: string, schema = 'facebook_ads'): Promise<void> {
  await conn.run(`create schema if not exists "${schema}"`);
  const batchedAt = '2026-11-03T06:05:00Z';
  for (const stream of RAW_STREAMS) {
    const fields = loadStreamFields(stream);
    const cols = fields.map((f) => `"${f.name}" ${duckType(f)}`).join(', ');
    const names = HISTORY_STREAMS.includes(stream) ? [stream, `${stream}__history`] : [stream];
    for (const table of names) await conn.run(`create or replace table "${schema}"."${table}" (${cols})`);
    const rows = fixture[stream] ?? [];
    if (rows.length === 0) continue;
    const file = path.join(tmpDir, `${stream}.ndjson`);
    writeFileSync(file, rows.map((r) => JSON.stringify({ _sdc_batched_at: batchedAt, _sdc_received_at: batchedAt, _sdc_table_version: 1, ...r })).join('\n') + '\n');
    const columns = `{${fields.map((f) => `'${f.name}': '${duckType(f).replace(/'/g, "''")}'`).join(', ')}}`;
    for (const table of names) {
      await conn.run(`insert into "${schema}"."${table}" by name select * from read_json('${file}', format = 'newline_delimited', columns = ${columns})`);
    }
  }
}
