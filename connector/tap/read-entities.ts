// Reads one entity stream (campaigns, ad sets, ads, creatives) of one ad account: server-side
// incremental on `<entity>.updated_time` (facts §3.5), ARCHIVED/DELETED listed when include_deleted,
// records streamed out as pages arrive. The caller moves the bookmark only after this returns.
import type { LimitFunction } from 'p-limit';
import { unixSeconds } from '../core/dates.js';
import { asConnectorError } from '../core/errors.js';
import { ObjectSkipError } from '../graph/errors.js';
import type { Logger } from '../core/log.js';
import type { Bookmark } from '../singer/state.js';
import type { JsonSchema } from '../singer/messages.js';
import type { AccountInfo } from './assets.js';
import type { GraphPort } from './graph-port.js';
import { shapeRecord, shaperFor } from './records.js';
import { loadStreamSchema, propertiesOf } from './schemas.js';
import { requestFields, type EntityStream } from './streams.js';

export interface StreamCounts {
  found: number;
  added: number;
  updated: number;
  deleted: number;
}

export interface EntityReadResult extends StreamCounts {
  /** The bookmark to store once the caller decides the stream finished; undefined = keep none. */
  bookmark: Bookmark | undefined;
  /** ads only: creative ids of the ads read (drives incremental creatives). */
  creativeIds: Set<string>;
}

export interface EntityReadContext {
  graph: GraphPort;
  log: Logger;
  limit: LimitFunction;
  includeDeleted: boolean;
  clock: () => Date;
  emit: (record: Record<string, unknown>) => Promise<void>;
}

const DELETED_STATUSES = new Set(['DELETED']);

function isDeleted(raw: Record<string, unknown>): boolean {
  return [raw['effective_status'], raw['status'], raw['configured_status']].some((s) => typeof s === 'string' && DELETED_STATUSES.has(s));
}

/** Graph `filtering` for an incremental read (facts §3.5 item "Incremental filter" + "Status filter"). */
export function entityFiltering(stream: EntityStream, since: string | undefined, includeDeleted: boolean): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  if (since && stream.serverSideIncremental) out.push({ field: `${stream.filterPrefix}.updated_time`, operator: 'GREATER_THAN', value: unixSeconds(since) });
  if (includeDeleted && stream.serverSideIncremental) out.push({ field: `${stream.filterPrefix}.effective_status`, operator: 'IN', value: stream.allStatuses });
  return out;
}

export async function readEntityStream(
  ctx: EntityReadContext,
  account: AccountInfo,
  stream: EntityStream,
  schema: JsonSchema,
  selected: readonly string[],
  previous: Bookmark | undefined,
  creatives?: { ids: Set<string> | undefined; adsBookmarkBefore: string | undefined },
): Promise<EntityReadResult> {
  const since = typeof previous?.['updated_time'] === 'string' ? previous['updated_time'] : undefined;
  // Columns the reader needs even when the catalog deselected them (they are requested, not emitted):
  // the cursor, created_time/status for the sync_log counts, and ads' creative for incremental creatives.
  const full = propertiesOf(loadStreamSchema(stream.schemaFile));
  const helperFields = ['id', 'updated_time', 'created_time', 'effective_status', 'status'].filter((f) => f in full);
  if (stream.name === 'ads') helperFields.push('creative');
  const fields = [...new Set([...requestFields(stream, selected), ...helperFields])];
  const shaper = shaperFor(schema, selected, stream.minorUnitFields);
  const res: EntityReadResult = { found: 0, added: 0, updated: 0, deleted: 0, bookmark: previous, creativeIds: new Set() };
  let maxUpdated = since;

  const handle = async (raw: Record<string, unknown>): Promise<void> => {
    const record = shapeRecord(raw, shaper, {
      currency: account.currency,
      extractedAt: ctx.clock(),
      extra: { account_id: account.accountId, ...(selected.includes('currency') ? { currency: account.currency } : {}) },
    });
    const updated = typeof record['updated_time'] === 'string' ? record['updated_time'] : typeof raw['updated_time'] === 'string' ? String(raw['updated_time']) : undefined;
    // Client-side guard in case the server ignored the filter: never re-emit what the bookmark covers.
    if (since && updated && stream.serverSideIncremental && updated <= since) return;
    const created = typeof record['created_time'] === 'string' ? record['created_time'] : undefined;
    res.found++;
    if (!since || (created && created > since)) res.added++;
    else res.updated++;
    if (isDeleted(raw)) res.deleted++;
    if (updated && (!maxUpdated || updated > maxUpdated)) maxUpdated = updated;
    const creative = raw['creative'] as { id?: unknown } | undefined;
    if (typeof creative?.id === 'string') res.creativeIds.add(creative.id);
    await ctx.emit(record);
  };

  const byIds = stream.incrementalVia === 'ads' && creatives?.ids !== undefined && previous !== undefined && previous['ads_updated_time'] === creatives.adsBookmarkBefore && creatives.adsBookmarkBefore !== undefined;
  if (byIds) {
    // Creatives of ads changed since the last run, one GET each (they are few after the first run).
    await Promise.all(
      [...creatives!.ids!].map((id) =>
        ctx.limit(async () => {
          try {
            const raw = await ctx.graph.request<Record<string, unknown>>(id, { params: { fields }, tokens: account.tokens, accountId: account.accountId });
            await handle(raw);
          } catch (err) {
            const e = asConnectorError(err);
            // One creative refused (no access, or 100 with an object-level subcode): the account goes on.
            if (e.kind !== 'permission' && !(err instanceof ObjectSkipError)) throw err;
            ctx.log.warn(`creative ${id} of account ${account.accountId} cannot be read; skipped`, { error_kind: e.kind, hint: e.hint, graph_code: e.context['graph_code'], graph_subcode: e.context['graph_subcode'] });
          }
        }),
      ),
    );
  } else {
    const filtering = entityFiltering(stream, since, ctx.includeDeleted);
    const params: Record<string, unknown> = { fields, ...(filtering.length ? { filtering } : {}) };
    for await (const raw of ctx.graph.paginate<Record<string, unknown>>(`act_${account.accountId}/${stream.edge}`, { params, tokens: account.tokens, accountId: account.accountId })) {
      await handle(raw);
    }
  }
  if (stream.replicationKey) res.bookmark = maxUpdated ? { updated_time: maxUpdated } : previous;
  return res;
}
