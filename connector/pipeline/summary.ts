// The end-of-run summary: what was found, added, updated and loaded, the API cost, and every
// failure with its hint. Built from the tap's sync_log rows (one per account, read by the columns
// schemas/streams/sync_log.json names), its record and request metrics, and the children's fatal
// errors; rendered as text for people and JSON for machines.
import type { TapState } from '../singer/state.js';
import { RUN_LOG_STREAMS } from '../tap/streams.js';
import type { SkippedObject } from '../tap/sync.js';
import type { ClockSkew } from '../tap/entity-bookmark.js';
import type { WithdrawnField } from '../tap/withdrawn-fields.js';

export interface Failure {
  /** Which part failed: one account inside the tap, or a whole process. */
  scope: 'account' | 'tap' | 'target' | 'models' | 'pipeline';
  account_id?: string;
  kind: string;
  message: string;
  hint?: string;
}

/**
 * Objects of one stream: found, added and updated since the previous bookmark, and how many of those
 * carry status DELETED or ARCHIVED (read because include_deleted is on). Nothing is removed from the
 * warehouse for them; `deleted` is the same number under its old, misleading name (sync_log keeps it),
 * left in the JSON for readers written against earlier versions.
 */
export interface ObjectCounts {
  found: number;
  added: number;
  updated: number;
  /**
   * Insights rows of days read again because Meta restates them (the lookback): MERGEd on their keys,
   * restated or unchanged alike, so counted apart from added and updated (sync_log.streams `reread`).
   */
  reread: number;
  /**
   * Read for an account whose stream had no bookmark in the previous state (no state file, a new
   * account): read from start_date with nothing to compare against, so new and already-loaded objects
   * are not told apart. The tap's sync_log counts them as added; the summary does not claim that.
   */
  first_read: number;
  deleted_or_archived: number;
  deleted: number;
}

/** Adds one sync_log `streams` entry (or another count) to `cur`. */
function addCounts(cur: ObjectCounts, c: Omit<ObjectCounts, 'deleted'>): void {
  cur.found += c.found;
  cur.added += c.added;
  cur.updated += c.updated;
  cur.reread += c.reread;
  cur.first_read += c.first_read;
  cur.deleted_or_archived += c.deleted_or_archived;
  cur.deleted = cur.deleted_or_archived;
}
const noCounts = (): ObjectCounts => ({ found: 0, added: 0, updated: 0, reread: 0, first_read: 0, deleted_or_archived: 0, deleted: 0 });

/** Whether the previous state held a bookmark of this stream for this account (keyed with act_ or without). */
function hadBookmark(state: TapState | undefined, stream: string, accountId: string): boolean {
  const per = state?.bookmarks[stream];
  return !!per && typeof per === 'object' && (Object.hasOwn(per, accountId) || Object.hasOwn(per, `act_${accountId}`));
}

export interface AccountSummary {
  account_id: string;
  status: string;
  /** First time this state file sees the account (no bookmark before this run). */
  added: boolean;
  api_calls?: number;
  throttles?: number;
  records?: number;
  /** Per stream: objects found/added/updated since the previous bookmark (sync_log.streams). */
  streams?: Record<string, ObjectCounts>;
  error?: { kind: string; message: string; hint?: string };
}

export interface SyncSummary {
  run_id: string;
  started_at: string;
  finished_at: string;
  duration_s: number;
  status: 'ok' | 'partial' | 'failed';
  exit_code: number;
  /**
   * `unfinished`: accounts the tap named while it ran but wrote no sync_log row for, because it was
   * stopped first (Ctrl-C, a kill); present only then. Their bookmarks did not move.
   */
  accounts: { found: number; added: number; updated: number; failed: number; unfinished?: number; list: AccountSummary[] };
  rows: Record<string, number>;
  total_rows: number;
  /** Objects found/added/updated per stream, summed over accounts (from sync_log.streams). */
  objects: Record<string, ObjectCounts>;
  api_calls: number | null;
  throttles: number | null;
  state: { file: string | null; written: boolean; state_messages: number };
  /**
   * `due`: what landed is worth building the models on (models-gate.ts), also when this run was not
   * asked to build them (a scheduler running dbt itself reads it). `stale_accounts`: due, but these
   * accounts failed; their report rows stop where an earlier run left them. `not_built`: why the
   * models were asked for but not built.
   */
  models: { ran: boolean; due?: boolean; models?: number; exit_code?: number; stale_accounts?: string[]; not_built?: string };
  failures: Failure[];
  /** Objects the tap skipped while their accounts went on (a creative of a Page the token's user has no role on…). */
  skipped_objects: SkippedObject[];
  /** Fields Meta no longer served, left out of their stream for the run (null in its rows). */
  withdrawn_fields: WithdrawnField[];
  /** Meta's clock and this machine's differed by more than the bookmark margin. */
  clock_skew: ClockSkew | null;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined);
function num(row: Record<string, unknown>, name: string): number | undefined {
  const v = row[name];
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

/** Account ids the previous state already had a bookmark for (any stream). */
export function knownAccounts(state: TapState | undefined): Set<string> {
  const out = new Set<string>();
  for (const perAccount of Object.values(state?.bookmarks ?? {})) for (const id of Object.keys(perAccount)) out.add(id.replace(/^act_/, ''));
  return out;
}

const OK_STATUSES = new Set(['ok', 'success', 'succeeded', 'complete', 'completed']);

/**
 * Folds sync_log rows (one or more per account) into one entry per account. A stream's added/updated
 * count only where `previous` held its bookmark (see ObjectCounts.first_read).
 */
export function accountsFromSyncLog(rows: Record<string, unknown>[], previous: TapState | undefined): AccountSummary[] {
  const known = knownAccounts(previous);
  const byId = new Map<string, AccountSummary>();
  for (const row of rows) {
    const id = str(row['account_id'])?.replace(/^act_/, '');
    if (!id) continue;
    const status = str(row['status']) ?? 'unknown';
    const prev = byId.get(id);
    const isNew = row['is_new_account'];
    const entry: AccountSummary = prev ?? { account_id: id, status, added: typeof isNew === 'boolean' ? isNew : !known.has(id) };
    // A failure anywhere in the account's rows wins over an ok row.
    if (!prev || OK_STATUSES.has(entry.status)) entry.status = status;
    const add = (k: 'api_calls' | 'throttles' | 'records', v: number | undefined): void => {
      if (v !== undefined) entry[k] = (entry[k] ?? 0) + v;
    };
    add('api_calls', num(row, 'api_calls'));
    add('throttles', num(row, 'throttles'));
    add('records', num(row, 'records'));
    if (Array.isArray(row['streams'])) {
      entry.streams ??= {};
      for (const st of row['streams'] as Record<string, unknown>[]) {
        const name = str(st?.['stream']);
        if (!name) continue;
        // A sync_log row of an earlier version has no `reread`: its re-read insights rows are in `updated`.
        const [added, updated, reread] = [num(st, 'added') ?? 0, num(st, 'updated') ?? 0, num(st, 'reread') ?? 0];
        const compared = hadBookmark(previous, name, id);
        addCounts((entry.streams[name] ??= noCounts()), {
          found: num(st, 'found') ?? 0,
          added: compared ? added : 0,
          updated: compared ? updated : 0,
          reread: compared ? reread : 0,
          first_read: compared ? 0 : added + updated + reread,
          deleted_or_archived: num(st, 'deleted') ?? 0,
        });
      }
    }
    const kind = str(row['error_class']);
    const message = str(row['error_message']);
    if (kind || message) {
      const hint = str(row['hint']);
      entry.error = { kind: kind ?? 'error', message: message ?? kind ?? 'failed', ...(hint ? { hint } : {}) };
    }
    byId.set(id, entry);
  }
  return [...byId.values()].sort((a, b) => a.account_id.localeCompare(b.account_id));
}

/** A sync_log status that says the account finished (its bookmarks moved). */
export const isOkStatus = (status: string): boolean => OK_STATUSES.has(status);

export function isFailedStatus(status: string): boolean {
  return !OK_STATUSES.has(status) && status !== 'unknown' && status !== 'skipped';
}

export interface SummaryInput {
  runId: string;
  startedAt: Date;
  finishedAt: Date;
  exitCode: number;
  syncLog: Record<string, unknown>[];
  previousState: TapState | undefined;
  rows: Record<string, number>;
  stateFile: string | undefined;
  stateWritten: boolean;
  stateMessages: number;
  processFailures: Failure[];
  models: SyncSummary['models'];
  /**
   * The tap's request metrics (http_request_count, throttled_request_count): every call of the run,
   * discovery included. Without them, the sum of sync_log's per-account figures.
   */
  requests?: { api_calls: number; throttles: number };
  /** The tap's own end-of-run counts (its `type: "summary"` log line), preferred when present. */
  tapCounts?: { accounts?: number; added?: number; updated?: number };
  /**
   * Accounts the tap named in its log lines while it ran: a lower bound of what it found when it
   * stopped before its sync_log and summary (Ctrl-C, a kill), which otherwise said "0 found".
   */
  accountsSeen?: number;
  /** From the tap's summary line. */
  skippedObjects?: SkippedObject[];
  /** From the tap's summary line (tapNotesOf). */
  tapNotes?: TapNotes;
}

/** What the tap's summary line says beside its counts that a person should see. */
export interface TapNotes {
  withdrawn_fields: WithdrawnField[];
  clock_skew: ClockSkew | null;
}

/** The tap summary line's `withdrawn_fields` and `clock_skew` (tap/sync.ts logSummary), keeping well-formed entries. */
export function tapNotesOf(fields: Record<string, unknown>): TapNotes {
  const w = Array.isArray(fields['withdrawn_fields']) ? (fields['withdrawn_fields'] as unknown[]) : [];
  const withdrawn_fields = w.flatMap((o): WithdrawnField[] => {
    const r = o !== null && typeof o === 'object' ? (o as Record<string, unknown>) : {};
    const [stream, field] = [str(r['stream']), str(r['field'])];
    return stream && field ? [{ stream, field, message: str(r['message']) ?? '' }] : [];
  });
  const k = fields['clock_skew'];
  const skew = k !== null && typeof k === 'object' ? (k as Record<string, unknown>) : undefined;
  const clock_skew = skew && typeof skew['skew_seconds'] === 'number' ? { meta_date: str(skew['meta_date']) ?? '', local_time: str(skew['local_time']) ?? '', skew_seconds: skew['skew_seconds'] } : null;
  return { withdrawn_fields, clock_skew };
}

export function buildSummary(i: SummaryInput): SyncSummary {
  const list = accountsFromSyncLog(i.syncLog, i.previousState);
  const failed = list.filter((a) => isFailedStatus(a.status));
  // The tap's fatal error line repeats an account's failure when no account succeeded (e.g. exit 4 on
  // a run narrowed to one account): list it once, under the account.
  const accountMessages = new Set(failed.map((a) => a.error?.message));
  const failures: Failure[] = [
    ...failed.map((a): Failure => ({
      scope: 'account',
      account_id: a.account_id,
      kind: a.error?.kind ?? a.status,
      message: a.error?.message ?? `account finished with status ${a.status}`,
      ...(a.error?.hint ? { hint: a.error.hint } : {}),
    })),
    ...i.processFailures.filter((f) => !(f.scope === 'tap' && accountMessages.has(f.message))),
  ];
  const sumOf = (k: 'api_calls' | 'throttles'): number | undefined => {
    const vals = list.map((a) => a[k]).filter((v): v is number => v !== undefined);
    return vals.length ? vals.reduce((a, b) => a + b, 0) : undefined;
  };
  const objects: SyncSummary['objects'] = {};
  for (const a of list)
    for (const [name, c] of Object.entries(a.streams ?? {})) {
      addCounts((objects[name] ??= noCounts()), c);
    }
  const found = Math.max(list.length, i.tapCounts?.accounts ?? 0, i.accountsSeen ?? 0);
  // Without the tap's own counts the tap ended early: accounts it named beyond its sync_log rows never finished.
  const unfinished = i.tapCounts ? 0 : found - list.length;
  const rows = Object.fromEntries(Object.entries(i.rows).sort(([a], [b]) => a.localeCompare(b)));
  const total = Object.values(rows).reduce((a, b) => a + b, 0);
  return {
    run_id: i.runId,
    started_at: i.startedAt.toISOString(),
    finished_at: i.finishedAt.toISOString(),
    duration_s: Math.round((i.finishedAt.getTime() - i.startedAt.getTime()) / 100) / 10,
    status: i.exitCode === 0 ? 'ok' : i.exitCode === 5 ? 'partial' : 'failed',
    exit_code: i.exitCode,
    accounts: {
      found,
      added: i.tapCounts?.added ?? list.filter((a) => a.added && !isFailedStatus(a.status)).length,
      updated: i.tapCounts?.updated ?? list.filter((a) => !a.added && !isFailedStatus(a.status)).length,
      failed: failed.length,
      ...(unfinished > 0 ? { unfinished } : {}),
      list,
    },
    rows,
    total_rows: total,
    objects,
    api_calls: i.requests?.api_calls ?? sumOf('api_calls') ?? null,
    throttles: i.requests?.throttles ?? sumOf('throttles') ?? null,
    state: { file: i.stateFile ?? null, written: i.stateWritten, state_messages: i.stateMessages },
    models: i.models,
    failures,
    skipped_objects: i.skippedObjects ?? [],
    withdrawn_fields: i.tapNotes?.withdrawn_fields ?? [],
    clock_skew: i.tapNotes?.clock_skew ?? null,
  };
}

/** The tap summary line's `skipped_objects` (tap/sync.ts SkippedObject), keeping only well-formed entries. */
export function skippedObjectsOf(v: unknown): SkippedObject[] {
  if (!Array.isArray(v)) return [];
  return v.flatMap((o: unknown): SkippedObject[] => {
    if (o === null || typeof o !== 'object') return [];
    const r = o as Record<string, unknown>;
    const [account_id, object, kind, message, hint] = [str(r['account_id']), str(r['object']), str(r['kind']), str(r['message']), str(r['hint'])];
    return account_id && object ? [{ account_id, object, kind: kind ?? 'error', message: message ?? '', ...(hint ? { hint } : {}) }] : [];
  });
}

const fmt = (n: number): string => n.toLocaleString('en-US');

/** The stale accounts in words (models-gate.ts), one phrasing for the summary's models line and the sync's warning. */
export function staleAccountsSaid(stale: readonly string[], accounts: readonly AccountSummary[]): string {
  // An account new to the state has no earlier run: the reports have none of its rows, not old ones.
  const isNew = (id: string): boolean => accounts.some((a) => a.account_id === id && a.added);
  const said = (ids: string[], rest: (one: boolean) => string): string[] => (ids.length ? [`${ids.map((id) => `act_${id}`).join(', ')} ${rest(ids.length === 1)}`] : []);
  return [
    ...said(
      stale.filter((id) => !isNew(id)),
      (one) => `failed, so ${one ? 'its' : 'their'} rows stop where an earlier run left them`,
    ),
    ...said(stale.filter(isNew), (one) => `failed on ${one ? 'its' : 'their'} first run, so the reports have none of ${one ? 'its' : 'their'} rows yet`),
  ].join('; ');
}

/** The models line's note on accounts whose rows this run did not refresh. */
const staleSaid = (stale: string[] | undefined, accounts: readonly AccountSummary[]): string => (stale?.length ? ` over a partial run: ${staleAccountsSaid(stale, accounts)}` : '');

/** Human summary for the terminal. */
export function formatSummary(s: SyncSummary): string {
  const lines: string[] = [];
  lines.push(`fb-ads-elt sync ${s.status.toUpperCase()} in ${s.duration_s} s (run ${s.run_id}, exit ${s.exit_code})`);
  const a = s.accounts;
  // Skipped accounts (closed, or no role on them) are listed but not synced; sync_log says why.
  const skipped = a.list.filter((x) => x.status === 'skipped').length;
  // "added" would claim the warehouse lacked them: it only means the previous state had no bookmark of theirs.
  const unfinished = a.unfinished ? ` · ${a.unfinished} not finished (the tap stopped first: read again from the state next run)` : '';
  lines.push(`  accounts  ${a.found} found · ${a.added} new to the state · ${a.updated} resumed · ${a.failed} failed${skipped ? ` · ${skipped} skipped` : ''}${unfinished}`);
  // The run's own streams (sync_log, insights_coverage) are about the run, not data rows to list.
  const isRunLog = ([k]: [string, number]): boolean => RUN_LOG_STREAMS.some((r) => r.name === k);
  const streams = Object.entries(s.rows).filter((e) => !isRunLog(e));
  // The total is the sum of the lines below it; the run log's rows are named apart, not hidden in it.
  const runLog = Object.entries(s.rows).filter(isRunLog);
  const dataRows = streams.reduce((sum, [, n]) => sum + n, 0);
  const runLogSaid = runLog.length ? `; the run's own log: ${runLog.map(([k, n]) => `${k} ${fmt(n)}`).join(', ')}` : '';
  // Rows are what the tap sent; after a target failure only the part the saved state covers landed.
  const targetFailed = s.failures.some((f) => f.scope === 'target');
  const rowsSaid = targetFailed ? 'sent by the tap; the target failed, so only what the saved state covers was committed' : 'in total';
  lines.push(`  rows      ${fmt(dataRows)} ${rowsSaid}${streams.length ? '' : ' (no records)'}${runLogSaid}`);
  // Custom reports' names run longer than the built-in ones: the counts stay in one column.
  const nameWidth = Math.max(22, ...streams.map(([k]) => k.length));
  for (const [stream, n] of streams) {
    const o = s.objects[stream];
    // Only objects compared with a bookmark are "added"/"updated"; the others are what they are: read.
    const counted = o && (o.added + o.updated + o.reread > 0 || !o.first_read) ? [`${fmt(o.added)} added`, `${fmt(o.updated)} updated`, ...(o.reread ? [`${fmt(o.reread)} re-read (days Meta may restate: merged on their keys, changed or not)`] : [])] : [];
    const firstRead = o?.first_read ? [`${fmt(o.first_read)} read without a bookmark (new or already loaded: not told apart)`] : [];
    const changes = o ? `   ${[...counted, ...firstRead].join(' · ')}${o.deleted_or_archived ? ` · ${fmt(o.deleted_or_archived)} with status deleted/archived` : ''}` : '';
    lines.push(`            ${stream.padEnd(nameWidth)} ${fmt(n).padStart(10)}${changes}`);
  }
  const api = s.api_calls === null ? 'n/a' : fmt(s.api_calls);
  const thr = s.throttles === null ? 'n/a' : fmt(s.throttles);
  lines.push(`  api       ${api} calls · ${thr} throttled`);
  lines.push(`  state     ${s.state.file ? (s.state.written ? `saved to ${s.state.file}` : `unchanged (${s.state.file}): no commit this run`) : 'not kept (no --state-file)'}`);
  if (s.models.ran) lines.push(`  models    ${s.models.exit_code === 0 ? `built${s.models.models !== undefined ? ` (${s.models.models} models)` : ''}` : `failed (exit ${s.models.exit_code ?? '?'})`}${staleSaid(s.models.stale_accounts, s.accounts.list)}`);
  else if (s.models.not_built) lines.push(`  models    not built: ${s.models.not_built}`);
  if (s.failures.length) {
    lines.push('  failures:');
    for (const f of s.failures) {
      const who = f.account_id ? `act_${f.account_id}` : f.scope;
      lines.push(`    ${who}: [${f.kind}] ${f.message}`);
      if (f.hint) lines.push(`      → ${f.hint}`);
    }
  }
  if (s.skipped_objects.length) {
    lines.push('  skipped (their accounts went on without them):');
    for (const o of s.skipped_objects) lines.push(`    act_${o.account_id}: ${o.object} [${o.kind}] ${o.message}`);
    // One line per fix: many objects usually share one cause (a Page the token's user has no role on).
    for (const hint of new Set(s.skipped_objects.flatMap((o) => (o.hint ? [o.hint] : [])))) lines.push(`      → ${hint}`);
  }
  if (s.withdrawn_fields.length) lines.push(`  fields    no longer served by Meta, left out this run (null in their rows): ${s.withdrawn_fields.map((w) => `${w.stream}.${w.field}`).join(', ')}`);
  if (s.clock_skew) {
    const k = s.clock_skew;
    lines.push(`  clock     Meta's clock (${k.meta_date}) is ${Math.abs(k.skew_seconds)} s ${k.skew_seconds > 0 ? 'ahead of' : 'behind'} this machine's (${k.local_time}): sync this machine's clock (NTP)`);
  }
  return lines.join('\n') + '\n';
}
