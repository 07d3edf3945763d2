// Discovery: every declaration (streams.ts, insights.ts, the run's own streams) → a Singer catalog. It calls no
// API: the catalog is the same for every account, so `--discover` is fast and catalog.json is golden.
import { automaticFields, catalogEntry, type Catalog, type CatalogEntry } from '../singer/catalog.js';
import type { JsonSchema } from '../singer/messages.js';
import type { TapConfig } from './config.js';
import { insightsKey, reportSchema, reportsFor, type InsightsReport } from './insights.js';
import { loadStreamSchema } from './schemas.js';
import { ENTITY_STREAMS, RUN_LOG_STREAMS, TAP_STREAMS, type RunLogStream, type TapStream } from './streams.js';

/** Stamped on every record by the tap (records.ts), whatever the catalog selects: inclusion automatic. */
export const ALWAYS_EMITTED: readonly string[] = ['_sdc_extracted_at'];

export type Declaration = { kind: 'stream'; stream: TapStream } | { kind: 'insights'; report: InsightsReport } | { kind: 'run_log'; stream: RunLogStream };

export interface DescribedStream {
  name: string;
  schema: JsonSchema;
  keyProperties: string[];
  replicationKey?: string;
  replicationMethod: 'FULL_TABLE' | 'INCREMENTAL';
  declaration: Declaration;
}

/** Columns of this stream sent whatever the catalog selects: the tap's stamps and what the declaration names. */
function alwaysEmitted(d: DescribedStream): string[] {
  return [...ALWAYS_EMITTED, ...(d.declaration.kind === 'run_log' ? (d.declaration.stream.alwaysSent ?? []) : [])];
}

/**
 * Every stream this config offers, in sync order (assets, entities, insights, insights_coverage, sync_log). `streams` is
 * the registry (streams.ts); a test passes its own to show a new declaration flows through.
 */
export function describeStreams(config?: Pick<TapConfig, 'insights_reports'>, streams: readonly TapStream[] = TAP_STREAMS): DescribedStream[] {
  const out: DescribedStream[] = streams.map((s) => ({
    name: s.name,
    schema: loadStreamSchema(s.schemaFile),
    keyProperties: s.keyProperties,
    ...(s.kind === 'entity' && s.replicationKey ? { replicationKey: s.replicationKey } : {}),
    replicationMethod: s.replicationMethod,
    declaration: { kind: 'stream', stream: s },
  }));
  const reserved = [...streams.map((s) => s.name), ...RUN_LOG_STREAMS.map((s) => s.name)];
  for (const r of reportsFor(config, reserved)) {
    out.push({
      name: r.name,
      schema: reportSchema(r),
      keyProperties: insightsKey(r.level, r.breakdowns),
      replicationKey: 'date_start',
      replicationMethod: 'INCREMENTAL',
      declaration: { kind: 'insights', report: r },
    });
  }
  for (const s of RUN_LOG_STREAMS) {
    out.push({ name: s.name, schema: loadStreamSchema(s.schemaFile), keyProperties: s.keyProperties, replicationMethod: s.replicationMethod, declaration: { kind: 'run_log', stream: s } });
  }
  return out;
}

/** Streams that keep bookmarks (entities and insights reports), named in the error for another tap's state. */
export function bookmarkedStreams(config?: Pick<TapConfig, 'insights_reports'>): string[] {
  const names = ENTITY_STREAMS.map((s) => s.name);
  return [...names, ...reportsFor(config, names).map((r) => r.name)];
}

/** Columns the tap sends whatever the catalog deselects (catalog inclusion automatic). */
export function automaticColumns(d: DescribedStream): string[] {
  return automaticFields({ ...d, alwaysEmitted: alwaysEmitted(d) });
}

function entryFor(d: DescribedStream): CatalogEntry {
  const extra: Record<string, unknown> = {};
  if (d.declaration.kind === 'insights') {
    extra['insights-level'] = d.declaration.report.level;
    extra['insights-breakdowns'] = d.declaration.report.breakdowns;
  }
  if (d.declaration.kind === 'stream' && d.declaration.stream.kind === 'entity') extra['partitioned-by'] = 'account_id';
  return catalogEntry({
    stream: d.name,
    schema: d.schema,
    keyProperties: d.keyProperties,
    ...(d.replicationKey ? { replicationKey: d.replicationKey } : {}),
    replicationMethod: d.replicationMethod,
    selectedByDefault: true,
    alwaysEmitted: alwaysEmitted(d),
    extra,
  });
}

export function discover(config?: Pick<TapConfig, 'insights_reports'>, streams: readonly TapStream[] = TAP_STREAMS): Catalog {
  return { streams: describeStreams(config, streams).map(entryFor) };
}
