// How far an entity stream's bookmark (campaigns, ad sets, ads) may move after one read. A read pages
// through the account over seconds to minutes; an object on a page already read can be edited while
// later pages are served, so the latest updated_time seen is no proof that everything before it was
// seen. The bookmark is capped at the moment the read started in Meta's clock, minus a margin.
//
// Peers keep the latest updated_time seen and filter GREATER_THAN it, so they lose such an edit until
// the object changes again: Airbyte source-facebook-marketing `FBMarketingIncrementalStream`
// (streams/base_streams.py: `get_updated_state` keeps max(state, record), `_state_filter` sends
// GREATER_THAN), MeltanoLabs/tap-facebook `IncrementalFacebookStream.get_url_params` (GREATER_THAN the
// SDK's max replication value), singer-io/tap-facebook `Campaigns/AdSets/Ads.__iter__` (research/
// meta-marketing-api.md §3.5 "Incremental filter").
import { graphTimeToRfc3339, parseInstant } from '../core/dates.js';
import type { Bookmark } from '../singer/state.js';

/**
 * How far the bookmark stays behind the start of the read. It covers the `Date` header's whole-second
 * precision, the time Meta spent on the first page before stamping it, an edit committed just before
 * the read but not yet visible to it (replica lag), and moderate skew of this machine's clock when no
 * `Date` header came back. The cost is re-reading objects edited in that window, once (see BOUNDARY_KEY).
 */
export const BOOKMARK_MARGIN_SECONDS = 300;

/**
 * Bookmark key: objects at or after the bookmark already emitted, id → updated_time. The next read
 * returns them again (GREATER_THAN_OR_EQUAL); one whose updated_time is unchanged is neither re-emitted
 * nor counted as updated. Absent in state written before it existed: those objects are emitted again
 * and counted as updated, once.
 */
export const BOUNDARY_KEY = 'boundary';

/**
 * Most objects BOUNDARY_KEY remembers (about 60 bytes each in state). A bulk edit of more objects
 * during one read drops the memory: the next run re-emits them (harmless: the target merges on id)
 * and counts them as updated.
 */
export const BOUNDARY_MAX = 2000;

/**
 * Bookmark key: ids of objects Meta refused on their own (100/2446289 "Ad Creative Is Incomplete" on
 * an ad set, airbytehq/airbyte#65944) in earlier reads, sorted. A refused object's updated_time
 * is unknown, so the bookmark cannot vouch for it; instead of holding the whole stream's bookmark
 * back (every later run re-reading everything since, for an object that may stay broken for months),
 * the bookmark moves on and each run reads these ids again by id, dropping one once it is read or
 * Meta says it does not exist (100/33).
 */
export const REFUSED_KEY = 'refused_ids';

/**
 * Most ids REFUSED_KEY remembers (20 Batch API calls a run at most). More refused in one read hold
 * the bookmark where it was instead, as before the key existed.
 */
export const REFUSED_MAX = 1000;

/** The ids a previous bookmark asks to read again (REFUSED_KEY), or none. */
export function refusedIdsOf(previous: Bookmark | undefined): string[] {
  const v = previous?.[REFUSED_KEY];
  return Array.isArray(v) ? v.filter((id): id is string => typeof id === 'string') : [];
}

/**
 * Meta's filtering operator that also keeps objects whose updated_time equals the bookmark. The
 * operator list is PYSDK's `AdsInsights.Operator` (facts §4.1); the SDK metadata types `filtering`
 * as a list of objects without an operator enum, and the object edges share its syntax.
 */
export const SINCE_OPERATOR = 'GREATER_THAN_OR_EQUAL';

const rfc3339 = (ms: number): string => graphTimeToRfc3339(new Date(ms).toISOString());

/** Tracks one stream read of one account and says where its bookmark may go. */
export class EntityCursor {
  readonly since: string | undefined;
  private readonly sinceMs: number | undefined;
  private readonly previousBoundary: ReadonlyMap<string, string>;
  /** Meta's clock at the read's first answer (null: that answer had no Date header). */
  private served: Date | null | undefined;
  private topMs: number | undefined;
  /** Objects at the latest updated_time seen (the boundary when the cap does not bite). */
  private top = new Map<string, string>();
  /** Objects at or after the cap (the boundary when it bites). */
  private readonly recent = new Map<string, string>();
  /** Objects found again unchanged at the boundary. */
  repeats = 0;

  /** `startedAt`: this machine's clock before the read's first call, used when Meta's answer carries no Date. */
  constructor(
    previous: Bookmark | undefined,
    private readonly startedAt: Date,
  ) {
    const since = previous?.['updated_time'];
    this.since = typeof since === 'string' ? since : undefined;
    this.sinceMs = this.since === undefined ? undefined : parseInstant(this.since);
    const b = previous?.[BOUNDARY_KEY];
    const entries = b && typeof b === 'object' && !Array.isArray(b) ? Object.entries(b as Record<string, unknown>) : [];
    this.previousBoundary = new Map(entries.filter((e): e is [string, string] => typeof e[1] === 'string'));
  }

  /** For GraphCallOptions.onAnswer: only the read's first answer fixes when it started. */
  readonly onAnswer = (servedAt: Date | undefined): void => {
    if (this.served === undefined) this.served = servedAt ?? null;
  };

  /** The read's start in Meta's clock (its first answer's Date), else this machine's, minus the margin. */
  capMs(): number {
    return Math.floor((this.served ?? this.startedAt).getTime() / 1000) * 1000 - BOOKMARK_MARGIN_SECONDS * 1000;
  }

  /** Whether a record is older than the bookmark (the server should not have sent it). */
  isBeforeSince(updated: string): boolean {
    const t = parseInstant(updated);
    return this.sinceMs !== undefined && t !== undefined && t < this.sinceMs;
  }

  /** Whether the time is after the previous bookmark (a record created then is new). */
  isAfterSince(time: string | undefined): boolean {
    const t = time === undefined ? undefined : parseInstant(time);
    return this.sinceMs === undefined || (t !== undefined && t > this.sinceMs);
  }

  /** Whether this object was emitted by the previous run with this very updated_time. */
  isRepeat(id: string, updated: string): boolean {
    return this.previousBoundary.get(id) === graphTimeToRfc3339(updated);
  }

  /** Notes an object read (emitted or found again unchanged). */
  observe(id: string | undefined, updated: string): void {
    const t = parseInstant(updated);
    if (t === undefined) return;
    const text = graphTimeToRfc3339(updated);
    if (this.topMs === undefined || t > this.topMs) {
      this.topMs = t;
      this.top = new Map();
    }
    if (id === undefined) return;
    if (t === this.topMs) this.top.set(id, text);
    if (t >= this.capMs()) this.recent.set(id, text);
  }

  /**
   * The bookmark after a finished read: the latest updated_time seen, capped at capMs(), never
   * before the previous one; with the objects at or after it, remembered for the next read.
   * `extra` fields (status-cascade's paused_ids) ride along. Undefined when no bookmark exists yet
   * and this read found nothing.
   */
  next(extra: Bookmark = {}): Bookmark | undefined {
    const cap = this.capMs();
    let atMs = this.topMs;
    if (atMs !== undefined && atMs > cap) atMs = Math.max(cap, this.sinceMs ?? cap);
    if (atMs === undefined || (this.sinceMs !== undefined && atMs < this.sinceMs)) atMs = this.sinceMs;
    if (atMs === undefined) return undefined;
    const seen = this.topMs !== undefined && this.topMs > cap ? this.recent : this.top;
    const boundary = new Map<string, string>();
    for (const source of [this.previousBoundary, seen]) {
      for (const [id, text] of source) if ((parseInstant(text) ?? -Infinity) >= atMs) boundary.set(id, text);
    }
    const at = this.since !== undefined && atMs === this.sinceMs ? this.since : rfc3339(atMs);
    return { updated_time: at, ...(boundary.size && boundary.size <= BOUNDARY_MAX ? { [BOUNDARY_KEY]: Object.fromEntries([...boundary].sort()) } : {}), ...extra };
  }
}

/** What the run saw of Meta's clock against this machine's, when they differ by more than the margin. */
export interface ClockSkew {
  /** Meta's `Date` header of the answer that showed it (RFC 3339). */
  meta_date: string;
  /** This machine's clock when that answer arrived (RFC 3339). */
  local_time: string;
  /** Meta minus this machine, in seconds (positive: this machine is behind). */
  skew_seconds: number;
}

/**
 * Compares each answer's `Date` with this machine's clock and reports, once a run, a difference beyond
 * BOOKMARK_MARGIN_SECONDS: the cap above covers that much skew only when an answer comes without Date.
 */
export class ClockSkewWatch {
  seen: ClockSkew | undefined;
  constructor(private readonly onFirst: (skew: ClockSkew) => void) {}

  observe(served: Date, local: Date): void {
    if (this.seen) return;
    // The header has whole seconds: compare at that precision.
    const skew = Math.round((served.getTime() - Math.floor(local.getTime() / 1000) * 1000) / 1000);
    if (Math.abs(skew) <= BOOKMARK_MARGIN_SECONDS) return;
    this.seen = { meta_date: served.toISOString(), local_time: local.toISOString(), skew_seconds: skew };
    this.onFirst(this.seen);
  }
}
