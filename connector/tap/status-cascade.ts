// A parent's status reaches its children: pausing, archiving or deleting a campaign (or ad set) turns
// its children's effective_status into CAMPAIGN_PAUSED / ADSET_PAUSED / ARCHIVED / DELETED without
// moving their updated_time, so the updated_time-filtered read never returns them. Each parent stream
// remembers which of its objects are PAUSED (state `paused_ids`); a parent arriving with a status that
// differs from that memory has its children re-read by parent id, so the cost follows the parents that changed.
import type { Bookmark } from '../singer/state.js';
import { ENTITY_STREAMS } from './streams.js';

/** Parent streams (declared with statusChildren) and the Graph `filtering` field that lists a child edge's rows by that parent. */
const PARENTS: Readonly<Record<string, { filterField: string; children: readonly string[] }>> = Object.fromEntries(ENTITY_STREAMS.flatMap((e) => (e.statusChildren ? [[e.name, { filterField: `${e.filterPrefix}.id`, children: e.statusChildren }]] : [])));

/** State key of a parent stream's bookmark: ids whose configured status is PAUSED. */
export const PAUSED_KEY = 'paused_ids';

/**
 * Ids per `IN` filter of a child re-read. Meta documents no bound; 50 keeps the request URL short
 * (ids are up to 20 digits) and matches what peers batch by id.
 */
export const CASCADE_IDS_PER_CALL = 50;

/** One child re-read: rows of the child edge whose parent is one of `ids`. */
export interface ChildRead {
  filterField: string;
  ids: string[];
  /** The parent stream whose change asked for it (for logs). */
  parent: string;
}

/** Watches one parent stream's records of one account and says which parents changed status. */
export class StatusWatch {
  private readonly paused: Set<string>;
  /** False on a full read (no bookmark): every child is read anyway, nothing to cascade. */
  private readonly incremental: boolean;
  /** Parents whose status changed since the previous run. */
  readonly changed = new Set<string>();

  constructor(
    readonly stream: string,
    previous: Bookmark | undefined,
  ) {
    // State from before paused_ids existed: no memory, so every PAUSED parent arriving counts as
    // changed once (a bounded over-read), an ACTIVE one as unchanged.
    const ids = previous?.[PAUSED_KEY];
    this.paused = new Set(Array.isArray(ids) ? ids.map(String) : []);
    this.incremental = typeof previous?.['updated_time'] === 'string';
  }

  /**
   * One record of the parent stream as Graph returned it. `status` is the configured status (what
   * the advertiser set; the children's effective_status follows it). ARCHIVED and DELETED objects
   * cannot be edited except into DELETED, so one arriving was just changed.
   */
  observe(raw: Record<string, unknown>): void {
    const id = typeof raw['id'] === 'string' ? raw['id'] : undefined;
    const status = typeof raw['status'] === 'string' ? raw['status'] : undefined;
    if (!id || !status) return;
    const wasPaused = this.paused.has(id);
    if (this.incremental) {
      const changed = status === 'PAUSED' ? !wasPaused : status === 'ACTIVE' ? wasPaused : status === 'ARCHIVED' || status === 'DELETED';
      if (changed) this.changed.add(id);
    }
    if (status === 'PAUSED') this.paused.add(id);
    else this.paused.delete(id);
  }

  /** Bookmark fields this stream stores beside updated_time. */
  bookmarkFields(): Bookmark {
    return { [PAUSED_KEY]: [...this.paused].sort() };
  }
}

export function isParentStream(stream: string): boolean {
  return stream in PARENTS;
}

/** Child re-reads a child stream owes to the parents that changed, in chunks of CASCADE_IDS_PER_CALL ids. */
export function childReads(child: string, watches: readonly StatusWatch[]): ChildRead[] {
  const out: ChildRead[] = [];
  for (const w of watches) {
    const p = PARENTS[w.stream];
    if (!p?.children.includes(child) || w.changed.size === 0) continue;
    const ids = [...w.changed].sort();
    for (let i = 0; i < ids.length; i += CASCADE_IDS_PER_CALL) out.push({ filterField: p.filterField, ids: ids.slice(i, i + CASCADE_IDS_PER_CALL), parent: w.stream });
  }
  return out;
}

/**
 * Whether a parent stream's bookmark must wait: its changed parents' children are re-read by streams
 * later in this run, and if one of those fails, the next run must see the change again (the old
 * bookmark and memory make it so). `selectedAfter` = entity streams selected after `stream`.
 */
export function waitsForChildren(watch: StatusWatch | undefined, selectedAfter: readonly string[]): boolean {
  if (!watch || watch.changed.size === 0) return false;
  return PARENTS[watch.stream]!.children.some((c) => selectedAfter.includes(c));
}
