// Discovery: every declaration (streams.ts, insights.ts, the run's own streams) → a Singer catalog. It calls no
// API: the catalog is the same for every account, so `--discover` is fast and catalog.json is golden.
import { automaticFields, catalogEntry, type Catalog, type CatalogEntry } from '../singer/catalog.js';
import type { JsonSchema } from '../singer/messages.js';
import type { TapConfig } from './config.js';
import { insightsKey, reportSchema, reportsFor, type InsightsReport } from './insights.js';
import { loadStreamSchema } from './schemas.js';
import { bookmarkKeyOf, ENTITY_STREAMS, RUN_LOG_STREAMS, TAP_STREAMS, type RunLogStream, type TapStream } from './streams.js';

/** Stamped on every record by the tap (records.ts), whatever the catalog selects: inclusion automatic. */
export const ALWAYS_EMITTED: readonly string[] = ['_sdc_extracted_at'];

/** An insights report's replication key: the last day read, per account (read-insights.ts bookmarkAfter). */
const INSIGHTS_CURSOR = 'date_start';

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
      replicationKey: INSIGHTS_CURSOR,
      replicationMethod: 'INCREMENTAL',
      declaration: { kind: 'insights', report: r },
    });
  }
  for (const s of RUN_LOG_STREAMS) {
    out.push({ name: s.name, schema: loadStreamSchema(s.schemaFile), keyProperties: s.keyProperties, replicationMethod: s.replicationMethod, declaration: { kind: 'run_log', stream: s } });
  }
  return out;
}

/**
 * Streams that keep bookmarks (entities and insights reports), each with the value its every bookmark
 * carries: what parseState names for another tap's state and requires of a state of ours.
 */
export function bookmarkKeys(config?: Pick<TapConfig, 'insights_reports'>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of ENTITY_STREAMS) {
    const key = bookmarkKeyOf(s);
    if (key !== undefined) out[s.name] = key;
  }
  for (const r of reportsFor(
    config,
    ENTITY_STREAMS.map((s) => s.name),
  ))
    out[r.name] = INSIGHTS_CURSOR;
  return out;
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
