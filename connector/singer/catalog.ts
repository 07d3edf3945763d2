// Singer catalog handling: entries with breadcrumb metadata, selection of streams and fields,
// key properties and replication keys. Field selection here decides the Graph `fields=` list.
import { ConfigError } from '../core/errors.js';
import type { JsonSchema } from './messages.js';

export type Breadcrumb = string[];
export interface MetadataEntry {
  breadcrumb: Breadcrumb;
  metadata: Record<string, unknown>;
}
export interface CatalogEntry {
  tap_stream_id: string;
  stream: string;
  schema: JsonSchema;
  key_properties: string[];
  replication_key?: string;
  replication_method?: 'FULL_TABLE' | 'INCREMENTAL';
  metadata: MetadataEntry[];
}
export interface Catalog {
  streams: CatalogEntry[];
}

export interface StreamDescription {
  stream: string;
  schema: JsonSchema;
  keyProperties: string[];
  replicationKey?: string;
  replicationMethod: 'FULL_TABLE' | 'INCREMENTAL';
  /** Selected when the catalog says nothing else (`selected-by-default`); default true. */
  selectedByDefault?: boolean;
  /** Columns every record carries whatever the selection, besides keys and the replication key (inclusion automatic). */
  alwaysEmitted?: readonly string[];
  extra?: Record<string, unknown>;
}

/** Columns a record of this stream always carries: keys, replication key, and what the tap adds to every record. */
export function automaticFields(d: Pick<StreamDescription, 'keyProperties' | 'replicationKey' | 'alwaysEmitted'>): string[] {
  return [...new Set([...d.keyProperties, ...(d.replicationKey ? [d.replicationKey] : []), ...(d.alwaysEmitted ?? [])])];
}

/**
 * Builds a catalog entry in the standard Singer metadata layout, as the Meltano SDK writes it: the
 * stream's `selected-by-default` (discoverable), never `selected` (the user's to write), and every
 * property's inclusion.
 */
export function catalogEntry(d: StreamDescription): CatalogEntry {
  const props = (d.schema['properties'] ?? {}) as Record<string, unknown>;
  const automatic = automaticFields(d);
  const metadata: MetadataEntry[] = [
    {
      breadcrumb: [],
      metadata: {
        'table-key-properties': d.keyProperties,
        'forced-replication-method': d.replicationMethod,
        ...(d.replicationKey ? { 'valid-replication-keys': [d.replicationKey] } : {}),
        inclusion: 'available',
        'selected-by-default': d.selectedByDefault ?? true,
        ...d.extra,
      },
    },
    ...Object.keys(props).map((name) => ({
      breadcrumb: ['properties', name],
      metadata: { inclusion: automatic.includes(name) ? 'automatic' : 'available' },
    })),
  ];
  return {
    tap_stream_id: d.stream,
    stream: d.stream,
    schema: d.schema,
    key_properties: d.keyProperties,
    ...(d.replicationKey ? { replication_key: d.replicationKey } : {}),
    replication_method: d.replicationMethod,
    metadata,
  };
}

export function findMeta(entry: CatalogEntry, breadcrumb: Breadcrumb): Record<string, unknown> | undefined {
  return entry.metadata.find((m) => m.breadcrumb.length === breadcrumb.length && m.breadcrumb.every((b, i) => b === breadcrumb[i]))?.metadata;
}

/**
 * Whether a catalog selects a stream, in the order the Meltano SDK resolves its root metadata:
 * `inclusion` unsupported (never) or automatic (always), then `selected`, then the legacy
 * `schema.selected` of singer-python catalogs, then `selected-by-default`; a stream none of them
 * speaks for is not selected (the SDK's rule too).
 */
export function isStreamSelected(entry: CatalogEntry): boolean {
  const root = findMeta(entry, []) ?? {};
  if (root['inclusion'] === 'unsupported') return false;
  if (root['inclusion'] === 'automatic') return true;
  if (typeof root['selected'] === 'boolean') return root['selected'];
  if (typeof entry.schema['selected'] === 'boolean') return entry.schema['selected'];
  return root['selected-by-default'] === true;
}

/**
 * Fields to request for a selected stream: automatic ones always, available ones unless
 * deselected (`selected: false`), unsupported never.
 */
export function selectedFields(entry: CatalogEntry): string[] {
  const props = Object.keys((entry.schema['properties'] ?? {}) as Record<string, unknown>);
  return props.filter((name) => {
    const m = findMeta(entry, ['properties', name]) ?? {};
    if (m['inclusion'] === 'automatic') return true;
    if (m['inclusion'] === 'unsupported') return false;
    if (typeof m['selected'] === 'boolean') return m['selected'];
    return m['selected-by-default'] !== false;
  });
}

/** Validates a user catalog's shape; `known` lists the streams this tap offers. */
export function parseCatalog(raw: unknown, known: readonly string[]): Catalog {
  if (!raw || typeof raw !== 'object' || !Array.isArray((raw as Catalog).streams)) {
    throw new ConfigError('catalog must be an object with a "streams" list', { hint: 'Generate one with `tap-facebook-ads --config config.json --discover`.' });
  }
  const catalog = raw as Catalog;
  for (const [i, e] of catalog.streams.entries()) {
    const name = e?.tap_stream_id ?? e?.stream;
    if (typeof name !== 'string') throw new ConfigError(`catalog.streams[${i}] has no tap_stream_id`);
    if (!known.includes(name)) {
      throw new ConfigError(`catalog.streams[${i}]: unknown stream "${name}"`, { hint: `Known streams: ${known.join(', ')}. Re-run --discover to refresh the catalog.` });
    }
    if (!Array.isArray(e.metadata)) throw new ConfigError(`catalog stream "${name}" has no metadata list`);
    if (!e.schema || typeof e.schema !== 'object') throw new ConfigError(`catalog stream "${name}" has no schema`);
  }
  return catalog;
}

/** Keeps only the schema properties that were selected, so SCHEMA messages match RECORDs. */
export function projectSchema(schema: JsonSchema, fields: readonly string[]): JsonSchema {
  const props = (schema['properties'] ?? {}) as Record<string, unknown>;
  const kept = Object.fromEntries(Object.entries(props).filter(([k]) => fields.includes(k)));
  const required = Array.isArray(schema['required']) ? (schema['required'] as string[]).filter((k) => fields.includes(k)) : undefined;
  return { ...schema, properties: kept, ...(required ? { required } : {}) };
}
