// Reads one entity stream (campaigns, ad sets, ads, creatives) of one ad account: server-side
// incremental on `<entity>.updated_time` (facts §3.5), ARCHIVED/DELETED listed when include_deleted,
// records streamed out as pages arrive; then the children of parents whose status changed
// (status-cascade.ts), re-read by parent id. The caller moves the bookmark only after this returns;
// where it may move to is entity-bookmark.ts's rule (capped at the read's start in Meta's clock).
import type { LimitFunction } from 'p-limit';
import { unixSeconds } from '../core/dates.js';
import type { ConnectorError } from '../core/errors.js';
import { MAX_BATCH_REQUESTS, batchesOf } from '../graph/batch.js';
import { ObjectSkipError } from '../graph/errors.js';
import type { Logger } from '../core/log.js';
import type { Bookmark } from '../singer/state.js';
import type { JsonSchema } from '../singer/messages.js';
import type { AccountInfo } from './assets.js';
import type { GraphPort } from './graph-port.js';
import { shapeRecord, shaperFor } from './records.js';
import { loadStreamSchema, propertiesOf } from './schemas.js';
import { requestFields, viaBookmarkKey, type EntityStream } from './streams.js';
import type { ChildRead, StatusWatch } from './status-cascade.js';
import { EntityCursor, REFUSED_KEY, REFUSED_MAX, refusedIdsOf, SINCE_OPERATOR } from './entity-bookmark.js';
import type { WithdrawnFields } from './withdrawn-fields.js';

export interface StreamCounts {
  found: number;
  added: number;
  updated: number;
  deleted: number;
}

export interface EntityReadResult extends StreamCounts {
  /** The bookmark to store once the caller decides the stream finished; undefined = keep none. */
  bookmark: Bookmark | undefined;
  /** Ids found in the stream's `linkField` (ads: their creatives), for the stream read via this one. */
  linkedIds: Set<string>;
  /** Those of them found on objects counted as added (a new ad's creative): the stream read via this one counts them as added too. */
  addedLinkedIds: Set<string>;
  /** Records re-read only because a parent's status changed (counted in found/updated too). */
  cascaded: number;
  /** Objects the previous run emitted, found again unchanged at the bookmark (not emitted, not counted above). */
  repeats: number;
  /** Objects refused in an earlier run (REFUSED_KEY) and read this time (counted in found too). */
  recovered: number;
}

/** Parent/child status propagation for this read (status-cascade.ts). */
export interface CascadeWork {
  /** Set when this stream is a parent: sees every record read, says which parents changed. */
  watch?: StatusWatch;
  /** Children of changed parents to re-read from this stream's edge. */
  childReads: readonly ChildRead[];
}

export interface EntityReadContext {
  graph: GraphPort;
  log: Logger;
  limit: LimitFunction;
  includeDeleted: boolean;
  clock: () => Date;
  emit: (record: Record<string, unknown>) => Promise<void>;
  /** Told of each object skipped because Meta refused just it (the run summary lists them). */
  skipObject?: SkipObject;
  /** Told of each answer's `Date` (Meta's clock), to compare with this machine's (ClockSkewWatch). */
  onServed?: (servedAt: Date) => void;
  /** Fields Meta stopped serving this run (withdrawn-fields.ts): left out of every read. */
  withdrawn?: WithdrawnFields;
}

/** Reports one object a reader skipped (`creative 123`) and the error Meta gave for it. */
export type SkipObject = (object: string, error: ConnectorError) => void;

/**
 * Why an object is read: listed by the edge's incremental filter; re-read because its parent's
 * status changed (status-cascade.ts); or read again by id because Meta refused it in an earlier run
 * (REFUSED_KEY: its updated_time may be older than the bookmark, so the bookmark's checks skip it).
 */
type ReadReason = 'edge' | 'parent' | 'refused before';

/** Meta's answer for an id that does not exist (or this token cannot see at all): nothing to read again. */
const isGone = (e: ConnectorError): boolean => e.context['graph_code'] === 100 && e.context['graph_subcode'] === 33;

const strOf = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

const DELETED_STATUSES = new Set(['DELETED']);

function isDeleted(raw: Record<string, unknown>): boolean {
  return [raw['effective_status'], raw['status'], raw['configured_status']].some((s) => typeof s === 'string' && DELETED_STATUSES.has(s));
}

/**
 * Graph `filtering` for an incremental read (facts §3.5 item "Incremental filter" + "Status filter").
 * At or after the bookmark (not after it): objects stamped in the bookmark's very second are not lost.
 */
export function entityFiltering(stream: EntityStream, since: string | undefined, includeDeleted: boolean): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  if (since && stream.serverSideIncremental) out.push({ field: `${stream.filterPrefix}.updated_time`, operator: SINCE_OPERATOR, value: unixSeconds(since) });
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
  via?: { ids: Set<string> | undefined; bookmarkBefore: string | undefined; addedIds?: Set<string> | undefined },
  cascade?: CascadeWork,
): Promise<EntityReadResult> {
  const cursor = new EntityCursor(previous, ctx.clock());
  const since = cursor.since;
  const onAnswer = (servedAt: Date | undefined): void => {
    cursor.onAnswer(servedAt);
    if (servedAt) ctx.onServed?.(servedAt);
  };
  // Columns the reader needs even when the catalog deselected them (they are requested, not emitted):
  // the cursor, created_time/status for the sync_log counts, and the link field (ads' creative) for the
  // stream read via this one.
  const full = propertiesOf(loadStreamSchema(stream.schemaFile));
  const helperFields = ['id', 'updated_time', 'created_time', 'effective_status', 'status'].filter((f) => f in full);
  if (stream.linkField) helperFields.push(stream.linkField);
  const fields = [...new Set([...requestFields(stream, selected), ...helperFields])];
  const shaper = shaperFor(schema, selected, stream.minorUnitFields);
  const keys = ['id', ...stream.keyProperties, ...(stream.replicationKey ? [stream.replicationKey] : [])];
  /** Calls `attempt` with the fields still served; a field Meta names as withdrawn is dropped and the call made again. */
  const withServedFields = async <T>(attempt: (f: readonly string[]) => Promise<T>): Promise<T> => {
    for (;;) {
      const now = ctx.withdrawn ? ctx.withdrawn.keep(stream.name, fields) : fields;
      try {
        return await attempt(now);
      } catch (err) {
        if (!ctx.withdrawn?.absorb(err, stream.name, now, keys)) throw err;
      }
    }
  };
  const res: EntityReadResult = { found: 0, added: 0, updated: 0, deleted: 0, bookmark: previous, linkedIds: new Set(), addedLinkedIds: new Set(), cascaded: 0, repeats: 0, recovered: 0 };
  const emittedIds = new Set<string>();
  /** Objects found again unchanged at the bookmark (BOUNDARY_KEY) and not emitted, unless a parent's status change re-reads them. */
  const repeatIds = new Set<string>();

  const handle = async (raw: Record<string, unknown>, reason: ReadReason = 'edge'): Promise<void> => {
    const viaParent = reason === 'parent';
    const record = shapeRecord(raw, shaper, {
      currency: account.currency,
      extractedAt: ctx.clock(),
      extra: { account_id: account.accountId, ...(selected.includes('currency') ? { currency: account.currency } : {}) },
    });
    const updated = typeof record['updated_time'] === 'string' ? record['updated_time'] : typeof raw['updated_time'] === 'string' ? String(raw['updated_time']) : undefined;
    // Client-side guard in case the server ignored the filter: never re-emit what the bookmark covers
    // (children re-read for a parent's status change are older than the bookmark on purpose).
    if (reason === 'edge' && updated && stream.serverSideIncremental && cursor.isBeforeSince(updated)) return;
    const id = typeof raw['id'] === 'string' ? raw['id'] : undefined;
    if (id !== undefined && (emittedIds.has(id) || (reason === 'edge' && repeatIds.has(id)))) return;
    if (updated) cursor.observe(id, updated);
    // Emitted by the previous run with this updated_time: found again only because the filter keeps
    // the bookmark's boundary. A child re-read for its parent's status did change (its effective_status),
    // so a repeat is not marked emitted: the edge read comes first, and marking it would drop that re-read.
    if (reason === 'edge' && id !== undefined && updated && cursor.isRepeat(id, updated)) {
      repeatIds.add(id);
      res.repeats++;
      return;
    }
    if (id !== undefined) emittedIds.add(id);
    cascade?.watch?.observe(raw);
    if (viaParent) res.cascaded++;
    if (reason === 'refused before') res.recovered++;
    const created = typeof record['created_time'] === 'string' ? record['created_time'] : undefined;
    res.found++;
    // Graph gives creatives no created_time (nor updated_time): past their first read, one is new when
    // an ad created since the last run shows it, else re-read for its changed ad.
    const added = stream.incrementalVia !== undefined && previous !== undefined ? id !== undefined && via?.addedIds?.has(id) === true : cursor.isAfterSince(created);
    if (added) res.added++;
    else res.updated++;
    if (isDeleted(raw)) res.deleted++;
    // A status change does not touch the creative: only ads changed themselves drive creative re-reads.
    const link = stream.linkField ? (raw[stream.linkField] as { id?: unknown } | undefined) : undefined;
    if (!viaParent && typeof link?.id === 'string') {
      res.linkedIds.add(link.id);
      if (added) res.addedLinkedIds.add(link.id);
    }
    await ctx.emit(record);
  };

  /** Objects Meta refused on their own during this read (skipped, reported): read again by id next run. */
  const refused = new Set<string>();
  /**
   * Reads objects by id through Meta's Batch API, MAX_BATCH_REQUESTS GETs a call, each asking what a
   * plain GET of the object would (the client answers, paces and retries every one on its own). One
   * Meta refuses (no access, no role on its Page (190/492), or 100 with an object-level subcode) is
   * skipped and reported; the account goes on. Any other item error ends the read as a plain GET's
   * would, once a field Meta names as withdrawn has been dropped and the batch asked again.
   */
  const readByIds = async (ids: Iterable<string>, reason: ReadReason = 'edge'): Promise<void> => {
    const skippable = (e: ConnectorError): boolean => e.kind === 'permission' || e instanceof ObjectSkipError;
    await Promise.all(
      batchesOf([...ids]).map((chunk) =>
        ctx.limit(async () => {
          const answers = await withServedFields(async (f) => {
            const got = await ctx.graph.requestBatch<Record<string, unknown>>(
              chunk.map((id) => ({ path: id, params: { fields: f } })),
              { tokens: account.tokens, accountId: account.accountId, onAnswer },
            );
            for (const a of got) if (!a.ok && !skippable(a.error)) throw a.error;
            return got;
          });
          for (const [k, answer] of answers.entries()) {
            if (answer.ok) {
              await handle(answer.body, reason);
              continue;
            }
            const e = answer.error;
            if (reason === 'refused before' && isGone(e)) {
              ctx.log.info(`${stream.objectName} ${chunk[k]!} of account ${account.accountId}, refused in an earlier run, no longer exists for this token (${e.message}); not read again`, {
                stream: stream.name,
                graph_code: e.context['graph_code'],
                graph_subcode: e.context['graph_subcode'],
              });
              continue;
            }
            refused.add(chunk[k]!);
            ctx.log.warn(`${stream.objectName} ${chunk[k]!} of account ${account.accountId} cannot be read; skipped: ${e.message}`, { stream: stream.name, error_kind: e.kind, hint: e.hint, graph_code: e.context['graph_code'], graph_subcode: e.context['graph_subcode'] });
            ctx.skipObject?.(`${stream.objectName} ${chunk[k]!}`, e);
          }
        }),
      ),
    );
  };
  const edge = `act_${account.accountId}/${stream.edge}`;
  /**
   * Pages through the account's edge. One object Meta cannot render fails the whole page it sits on:
   * a creative whose post or reel was deleted answers 100/2446289 "Ad Creative Is Incomplete" for
   * every page holding it, run after run (airbytehq/airbyte#66027, #65944), and #65944 saw the same
   * answer on ad sets. Its id alone does not need that content, so list the ids and read the objects
   * by id (batched): only the refused one is skipped.
   */
  const readEdge = async (filtering: Array<Record<string, unknown>>, reason: ReadReason = 'edge'): Promise<void> => {
    const read = (f: readonly string[]) => ctx.graph.paginate<Record<string, unknown>>(edge, { params: { fields: f, ...(filtering.length ? { filtering } : {}) }, tokens: account.tokens, accountId: account.accountId, onAnswer });
    try {
      // Pages already handled are skipped on a repeat (emittedIds): only the first page usually fails.
      await withServedFields(async (f) => {
        for await (const raw of read(f)) await handle(raw, reason);
      });
    } catch (err) {
      if (!(err instanceof ObjectSkipError)) throw err;
      ctx.log.warn(`${edge} refused a page for one object (${err.message}); listing its ids and reading them by id, ${MAX_BATCH_REQUESTS} to a batch`, { stream: stream.name, error_kind: err.kind, graph_subcode: err.context['graph_subcode'] });
      const ids: string[] = [];
      for await (const raw of read(['id'])) if (typeof raw['id'] === 'string' && !emittedIds.has(raw['id']) && !repeatIds.has(raw['id'])) ids.push(raw['id']);
      await readByIds(ids, reason);
    }
  };
  // Streams read through another one's ids after the first run (creatives via ads) can be read by id.
  const byIds = stream.incrementalVia !== undefined && via?.ids !== undefined && previous !== undefined && via.bookmarkBefore !== undefined && previous[viaBookmarkKey(stream.incrementalVia)] === via.bookmarkBefore;
  if (byIds) {
    // Creatives of ads changed since the last run.
    await readByIds(via!.ids!);
  } else {
    await readEdge(entityFiltering(stream, since, ctx.includeDeleted));
  }
  for (const child of cascade?.childReads ?? []) {
    // With include_deleted the children of an archived/deleted parent are listed too (they are
    // ARCHIVED/DELETED now; Graph hides those unless a status filter asks for them).
    await readEdge([{ field: child.filterField, operator: 'IN', value: child.ids }, ...entityFiltering(stream, undefined, ctx.includeDeleted)], 'parent');
  }
  // Objects refused in an earlier run and not met again above: asked for by id, whatever their updated_time.
  const again = refusedIdsOf(previous).filter((id) => !emittedIds.has(id));
  if (again.length) {
    await readByIds(again, 'refused before');
    ctx.log.info(`read again ${again.length} ${stream.name} Meta refused in an earlier run: ${res.recovered} read, ${again.filter((id) => refused.has(id)).length} still refused`, { stream: stream.name, asked: again.length, recovered: res.recovered });
  }
  if (cascade?.childReads.length) {
    ctx.log.info(`re-read ${res.cascaded} ${stream.name} of ${new Set(cascade.childReads.flatMap((c) => c.ids)).size} parents whose status changed`, { stream: stream.name, cascaded: res.cascaded });
  }
  if (res.repeats) ctx.log.info(`found ${res.repeats} ${stream.name} again unchanged at the bookmark; not emitted again`, { stream: stream.name, repeats: res.repeats });
  // Cascaded children count too: one edited during this read moves the bookmark no further than the cap.
  // A refused object's updated_time is unknown: the bookmark moves on carrying its id (REFUSED_KEY),
  // read again by id next run; past REFUSED_MAX of them it stays where it was instead.
  if (!stream.replicationKey) return res;
  if (refused.size <= REFUSED_MAX) {
    const ids = [...refused].sort();
    const next = cursor.next({ ...cascade?.watch?.bookmarkFields(), ...(ids.length ? { [REFUSED_KEY]: ids } : {}) });
    // No bookmark yet and nothing read: the next run reads the whole edge anyway, refused ones included.
    res.bookmark = next ?? previous;
    if (ids.length) ctx.log.warn(`${ids.length} ${stream.name} of account ${account.accountId} skipped: their ids are kept in the ${stream.name} bookmark (${REFUSED_KEY}) and read again by id on the next run; the bookmark moves on`, { stream: stream.name, skipped: ids.length });
  } else {
    ctx.log.warn(`${refused.size} ${stream.name} of account ${account.accountId} skipped, more than the ${REFUSED_MAX} ids a bookmark keeps: the ${stream.name} bookmark stays at ${strOf(previous?.['updated_time']) ?? 'none'}, so the next run reads them again`, {
      stream: stream.name,
      skipped: refused.size,
    });
  }
  return res;
}
