// One ad account's share of a run: its entity streams in order (campaigns → ad sets → ads →
// creatives), then its insights reports side by side; each finished stream moves its bookmark and
// emits STATE. Failures stay inside the account: the outcome says what failed and why. A report read
// in full also writes the days it read (insights_coverage) before its bookmark moves.
import type { LimitFunction } from 'p-limit';
import { asConnectorError, type ConnectorError } from '../core/errors.js';
import { PageRoleError } from '../graph/errors.js';
import type { WithdrawnFields } from './withdrawn-fields.js';
import type { Logger } from '../core/log.js';
import type { JsonSchema } from '../singer/messages.js';
import type { Bookmark } from '../singer/state.js';
import type { AccountInfo } from './assets.js';
import type { TapConfig } from './config.js';
import type { DescribedStream } from './discover.js';
import type { GraphPort } from './graph-port.js';
import { readEntityStream, type SkipObject } from './read-entities.js';
import { RunPoller } from '../graph/run-poller.js';
import { readInsightsReport, reportRunTiming, type InsightsPlan } from './read-insights.js';
import { shapeRecord, shaperFor } from './records.js';
import { INSIGHTS_COVERAGE_STREAM, viaBookmarkKey, type EntityStream } from './streams.js';
import { childReads, isParentStream, StatusWatch, waitsForChildren } from './status-cascade.js';

export interface SelectedStream {
  d: DescribedStream;
  fields: string[];
  schema: JsonSchema;
}

/** One sync_log.streams entry. */
export interface StreamLog {
  stream: string;
  status: 'ok' | 'failed' | 'skipped';
  found: number;
  added: number;
  updated: number;
  /**
   * Insights rows of days read again because Meta restates them (the lookback window, or days a
   * changed setting re-reads): the tap cannot tell a restated day from an unchanged one (the target
   * MERGEs either on its key), so they are neither "added" nor "updated". 0 for entity streams.
   */
  reread: number;
  deleted: number;
  bookmark: string | null;
}

export interface AccountRunContext {
  /** The run's id (sync_log.run_id, insights_coverage.run_id). */
  runId: string;
  config: TapConfig;
  graph: GraphPort;
  log: Logger;
  /** Bounds per-object calls (creatives by id). */
  limit: LimitFunction;
  /** Bounds report runs in flight across all accounts. */
  jobLimit: LimitFunction;
  clock: () => Date;
  sleep: (ms: number) => Promise<void>;
  entityStreams: EntityStream[];
  reports: SelectedStream[];
  selected: ReadonlyMap<string, SelectedStream>;
  emitRecord: (stream: string, record: Record<string, unknown>) => Promise<void>;
  getBookmark: (stream: string, accountId: string) => Bookmark | undefined;
  /** Stores the bookmark and emits STATE. */
  commitBookmark: (stream: string, accountId: string, bookmark: Bookmark) => Promise<void>;
  /** An object of the account Meta refused on its own (the account went on without it). */
  skipObject?: (accountId: string, object: string, error: ConnectorError) => void;
  /** Each answer's `Date` header (Meta's clock). */
  onServed?: (servedAt: Date) => void;
  /** Fields Meta stopped serving this run. */
  withdrawn?: WithdrawnFields;
}

export interface AccountOutcome {
  streams: StreamLog[];
  records: number;
  error: ConnectorError | undefined;
}

const strOf = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const skipped = (stream: string): StreamLog => ({ stream, status: 'skipped', found: 0, added: 0, updated: 0, reread: 0, deleted: 0, bookmark: null });
const failedLog = (stream: string, kept: string | null, found = 0): StreamLog => ({ stream, status: 'failed', found, added: 0, updated: found, reread: 0, deleted: 0, bookmark: kept });
/** An insights read's rows: days after the previous bookmark are added, the days before it re-read. */
const insightsCounts = (res: { found: number; fresh: number }): Pick<StreamLog, 'found' | 'added' | 'updated' | 'reread'> => ({ found: res.found, added: res.fresh, updated: 0, reread: res.found - res.fresh });

export async function syncAccount(ctx: AccountRunContext, account: AccountInfo): Promise<AccountOutcome> {
  const alog = ctx.log.child({ account_id: account.accountId });
  const streams: StreamLog[] = [];
  let records = 0;
  // A hard error (permission, auth, retries exhausted) stops the account's remaining streams.
  let error: ConnectorError | undefined;
  // Object-days that never succeeded fail their report only; the account's other streams go on.
  let reportError: ConnectorError | undefined;
  const skipObject: SkipObject = (object, e) => ctx.skipObject?.(account.accountId, object, e);
  const emitFor = (stream: string) => async (r: Record<string, unknown>) => {
    records++;
    await ctx.emitRecord(stream, r);
  };

  // What each stream read (ids in its linkField, its bookmark before this run), for a stream read via it.
  const links = new Map<string, { ids: Set<string>; added: Set<string>; before: string | undefined }>();
  const watches: StatusWatch[] = [];
  /** Parent bookmarks held back until the children their status change re-reads are read too. */
  const held: Array<{ stream: string; bookmark: Bookmark; watch: StatusWatch }> = [];
  const names = ctx.entityStreams.map((e) => e.name);
  const skipEdge = (es: EntityStream, e: PageRoleError): void => {
    const edge = `act_${account.accountId}/${es.edge}`;
    alog.warn(`${es.name} of account ${account.accountId} skipped for this run: Meta refused ${edge} (${e.message}); its bookmark stays, the other streams go on`, {
      stream: es.name,
      error_kind: e.kind,
      hint: e.hint,
      graph_code: e.context['graph_code'],
      graph_subcode: e.context['graph_subcode'],
    });
    skipObject(`${es.name} (${edge})`, e);
    // Parents whose status changed wait for this stream's re-read of their children: it did not happen.
    for (const h of held.filter((x) => waitsForChildren(x.watch, [es.name]))) held.splice(held.indexOf(h), 1);
  };
  for (const [index, es] of ctx.entityStreams.entries()) {
    if (error) {
      streams.push(skipped(es.name));
      continue;
    }
    const sel = ctx.selected.get(es.name)!;
    const previous = ctx.getBookmark(es.name, account.accountId);
    const watch = isParentStream(es.name) ? new StatusWatch(es.name, previous) : undefined;
    try {
      const res = await readEntityStream(
        { graph: ctx.graph, log: alog, limit: ctx.limit, includeDeleted: ctx.config.include_deleted, clock: ctx.clock, emit: emitFor(es.name), skipObject, ...(ctx.onServed ? { onServed: ctx.onServed } : {}), ...(ctx.withdrawn ? { withdrawn: ctx.withdrawn } : {}) },
        account,
        es,
        sel.schema,
        sel.fields,
        previous,
        es.incrementalVia !== undefined ? { ids: links.get(es.incrementalVia)?.ids, bookmarkBefore: links.get(es.incrementalVia)?.before, addedIds: links.get(es.incrementalVia)?.added } : undefined,
        { ...(watch ? { watch } : {}), childReads: childReads(es.name, watches) },
      );
      if (watch) watches.push(watch);
      if (es.linkField) links.set(es.name, { ids: res.linkedIds, added: res.addedLinkedIds, before: strOf(previous?.['updated_time']) });
      let bookmark: Bookmark | undefined = res.bookmark;
      if (es.incrementalVia !== undefined) {
        // Creatives remember which ads bookmark they are in step with; out of step → a full read next time.
        const viaNow = strOf(ctx.getBookmark(es.incrementalVia, account.accountId)?.['updated_time']);
        bookmark = ctx.selected.has(es.incrementalVia) && viaNow ? { [viaBookmarkKey(es.incrementalVia)]: viaNow } : undefined;
      }
      if (bookmark && watch && waitsForChildren(watch, names.slice(index + 1))) held.push({ stream: es.name, bookmark, watch });
      else if (bookmark) await ctx.commitBookmark(es.name, account.accountId, bookmark);
      // Parents whose children are all read now: their bookmarks may move.
      for (const h of held.filter((x) => !waitsForChildren(x.watch, names.slice(index + 1)))) {
        held.splice(held.indexOf(h), 1);
        await ctx.commitBookmark(h.stream, account.accountId, h.bookmark);
      }
      const shown = bookmark?.['updated_time'] ?? (es.incrementalVia !== undefined ? bookmark?.[viaBookmarkKey(es.incrementalVia)] : undefined);
      streams.push({ stream: es.name, status: 'ok', found: res.found, added: res.added, updated: res.updated, reread: 0, deleted: res.deleted, bookmark: strOf(shown) ?? null });
    } catch (err) {
      const kept = strOf(previous?.['updated_time']) ?? null;
      if (err instanceof PageRoleError) {
        // Meta refused the whole edge for a Page the token's user has no role on (190/492): only this
        // stream of this account is left out; its bookmark stays, so the next run reads it again.
        skipEdge(es, err);
        streams.push({ ...skipped(es.name), bookmark: kept });
        continue;
      }
      error = asConnectorError(err);
      streams.push(failedLog(es.name, kept));
    }
  }

  // Reports run side by side (their report runs share jobLimit with every other account), so a
  // single large account still keeps several jobs in flight; their runs' status reads share one poller.
  const poller = new RunPoller(ctx.graph, reportRunTiming(ctx.config, ctx.clock, ctx.sleep));
  const reportLogs = await Promise.all(
    ctx.reports.map(async (r): Promise<StreamLog> => {
      if (error || r.d.declaration.kind !== 'insights') return skipped(r.d.name);
      const previous = ctx.getBookmark(r.d.name, account.accountId);
      const kept = strOf(previous?.['date_start']) ?? null;
      try {
        const res = await readInsightsReport(
          { graph: ctx.graph, log: alog, config: ctx.config, jobLimit: ctx.jobLimit, clock: ctx.clock, sleep: ctx.sleep, emit: emitFor(r.d.name), skipObject, poller, ...(ctx.withdrawn ? { withdrawn: ctx.withdrawn } : {}) },
          account,
          r.d.declaration.report,
          r.schema,
          r.fields,
          previous,
        );
        if (res.failures.length) {
          reportError ??= res.failures[0]!;
          return { ...failedLog(r.d.name, kept), ...insightsCounts(res) };
        }
        if (res.plan) await writeCoverage(ctx, account, r.d.name, res.plan);
        if (res.bookmark && res.bookmark !== previous) await ctx.commitBookmark(r.d.name, account.accountId, res.bookmark);
        return { stream: r.d.name, status: 'ok', ...insightsCounts(res), deleted: 0, bookmark: strOf(res.bookmark?.['date_start']) ?? null };
      } catch (err) {
        reportError ??= asConnectorError(err);
        return failedLog(r.d.name, kept);
      }
    }),
  );
  streams.push(...reportLogs);
  return { streams, records, error: error ?? reportError };
}

/**
 * The days a report read of the account answered in full, when the catalog selects
 * insights_coverage. Written before the bookmark moves: a run that dies between the two re-reads
 * (and re-writes) them, where the other order could leave read days without a coverage row.
 */
async function writeCoverage(ctx: AccountRunContext, account: AccountInfo, stream: string, plan: InsightsPlan): Promise<void> {
  const sel = ctx.selected.get(INSIGHTS_COVERAGE_STREAM.name);
  if (!sel) return;
  const row = { run_id: ctx.runId, account_id: account.accountId, stream, date_start: plan.since, date_stop: plan.until, account_today: plan.today, time_zone: account.timezone };
  await ctx.emitRecord(INSIGHTS_COVERAGE_STREAM.name, shapeRecord(row, shaperFor(sel.schema, sel.fields), { extractedAt: ctx.clock() }));
}
