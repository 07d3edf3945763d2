// Record counts per stream and ad account, reported as Singer `record_count` metrics: the tap says
// what it wrote, the target what it committed, and `fb-ads-elt sync` compares the two (issue 17:
// a lost line must fail the run, naming the stream and the account, never pass as "ok").
import type { Logger } from '../core/log.js';

export const RECORD_COUNT_METRIC = 'record_count';
/** The target tags its counts `status: committed`: they cover only rows whose batch was merged. */
export const COMMITTED_TAG = 'committed';
/** Records the target dropped as stale (a table version older than the activated one): accounted for, not lost. */
export const STALE_TAG = 'stale';
/**
 * Of the tap's record_count, the insights rows of days read again because Meta restates them (the
 * lookback): a counter of its own, so record_count keeps meaning every record written (the loss check
 * sums it) and a reader tells re-reads from new days without taking either for changed rows.
 */
export const REREAD_COUNT_METRIC = 'reread_record_count';

/** The account a record belongs to: its `account_id` property when that is a string (every per-account stream has one). */
export function accountOf(record: Record<string, unknown>): string | undefined {
  const a = record['account_id'];
  return typeof a === 'string' && a !== '' ? a : undefined;
}

const keyOf = (stream: string, account: string | undefined): string => JSON.stringify([stream, account ?? null]);

export interface CountEntry {
  stream: string;
  account: string | undefined;
  count: number;
}

export class RecordCounts {
  private readonly counts = new Map<string, CountEntry>();

  add(stream: string, account: string | undefined, n = 1): void {
    const k = keyOf(stream, account);
    const e = this.counts.get(k);
    if (e) e.count += n;
    else this.counts.set(k, { stream, account, count: n });
  }

  addAll(other: RecordCounts): void {
    for (const e of other.entries()) this.add(e.stream, e.account, e.count);
  }

  get(stream: string, account: string | undefined): number {
    return this.counts.get(keyOf(stream, account))?.count ?? 0;
  }

  entries(): CountEntry[] {
    return [...this.counts.values()];
  }

  get size(): number {
    return this.counts.size;
  }

  /** One `metric` counter (default `record_count`) per stream and account (tags: stream, account_id, plus `extra`). */
  report(log: Logger, extra: Record<string, string> = {}, metric: string = RECORD_COUNT_METRIC): void {
    for (const e of this.entries()) log.metric('counter', metric, e.count, { stream: e.stream, ...(e.account !== undefined ? { account_id: e.account } : {}), ...extra });
  }

  /** Adds a `record_count` metric read back from a JSON log line's fields; false when the line is not one. */
  addMetricLine(fields: Record<string, unknown>, want: (tags: Record<string, unknown>) => boolean = () => true): boolean {
    if (fields['type'] !== 'metric' || fields['metric_type'] !== 'counter' || fields['metric'] !== RECORD_COUNT_METRIC) return false;
    const tags = fields['tags'];
    const value = fields['value'];
    if (!tags || typeof tags !== 'object' || typeof value !== 'number') return false;
    const t = tags as Record<string, unknown>;
    if (typeof t['stream'] !== 'string' || !want(t)) return false;
    this.add(t['stream'], typeof t['account_id'] === 'string' ? t['account_id'] : undefined, value);
    return true;
  }
}

export interface CountMismatch {
  stream: string;
  account: string | undefined;
  written: number;
  committed: number;
}

/** Every (stream, account) whose written and committed counts differ, in a stable order. */
export function compareCounts(written: RecordCounts, committed: RecordCounts): CountMismatch[] {
  const keys = new Map<string, { stream: string; account: string | undefined }>();
  for (const e of [...written.entries(), ...committed.entries()]) keys.set(keyOf(e.stream, e.account), e);
  const out: CountMismatch[] = [];
  for (const { stream, account } of keys.values()) {
    const w = written.get(stream, account);
    const c = committed.get(stream, account);
    if (w !== c) out.push({ stream, account, written: w, committed: c });
  }
  return out.sort((a, b) => `${a.stream}|${a.account ?? ''}`.localeCompare(`${b.stream}|${b.account ?? ''}`));
}
