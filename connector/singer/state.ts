// Singer state: bookmarks per stream and per ad account, plus the parameters that give a bookmark
// its meaning (e.g. attribution windows). Helpers return new objects; state is never mutated in place
// because the last emitted STATE must stay exactly what was emitted.
import { isIsoDay, parseInstant } from '../core/dates.js';
import { ConfigError } from '../core/errors.js';
import { nearestNames } from '../core/nearest.js';
import { cloneExact } from './exact-json.js';

export type Bookmark = Record<string, unknown>;
export interface TapState {
  bookmarks: Record<string, Record<string, Bookmark>>;
  [key: string]: unknown;
}

export function emptyState(): TapState {
  return { bookmarks: {} };
}

/** Streams that keep bookmarks, each with the value every bookmark of it carries (tap/discover.ts bookmarkKeys). */
export type BookmarkKeys = Readonly<Record<string, string>>;
export type StateWarn = (message: string, fields: Record<string, unknown>) => void;

/**
 * Accepts a raw --state file value: the state itself, the last STATE message (`{"type":"STATE",
 * "value": …}`) or what `meltano state get` prints (`{"singer_state": …}`). Every bookmark value the
 * tap reads is checked here, so a hand-edited or foreign state fails the run before any call (exit 2,
 * naming the path) instead of reaching Meta as a filter it refuses on every later run.
 */
export function parseState(raw: unknown, keys: BookmarkKeys = {}, warn?: StateWarn, now?: Date): TapState {
  const streams = Object.keys(keys);
  if (raw === null || raw === undefined) return emptyState();
  if (Array.isArray(raw) && raw.some((m) => isObject(m) && ['STREAM', 'GLOBAL', 'LEGACY'].includes(String((m as Record<string, unknown>)['type'])))) {
    throw foreignState("state is a list of Airbyte state messages (type STREAM/GLOBAL), not a Singer state — is this another tap's state?", 'state');
  }
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError('state must be a JSON object', { hint: 'Pass the value of the last STATE message, or omit --state for a full sync.' });
  let v = raw as Record<string, unknown>;
  if (v['type'] === 'STATE' && v['value'] && typeof v['value'] === 'object') v = v['value'] as Record<string, unknown>;
  else if (v['singer_state'] && typeof v['singer_state'] === 'object' && !Array.isArray(v['singer_state']) && v['bookmarks'] === undefined) v = v['singer_state'] as Record<string, unknown>;
  if (v['bookmarks'] === undefined) checkNoStreamsOutside(v);
  const bookmarks = v['bookmarks'] ?? {};
  if (typeof bookmarks !== 'object' || Array.isArray(bookmarks) || bookmarks === null) {
    throw new ConfigError('state.bookmarks must be an object of streams', { hint: 'Delete the state file to start over, or fix it by hand.' });
  }
  for (const [stream, perAccount] of Object.entries(bookmarks as Record<string, unknown>)) {
    if (!perAccount || typeof perAccount !== 'object' || Array.isArray(perAccount)) {
      throw new ConfigError(`state.bookmarks.${stream} must be an object keyed by account id`);
    }
    checkOurShape(stream, perAccount as Record<string, unknown>, streams);
    for (const [account, bookmark] of Object.entries(perAccount as Record<string, unknown>)) checkBookmark(`state.bookmarks.${stream}.${account}`, bookmark, Object.hasOwn(keys, stream) ? keys[stream] : undefined, now);
    if (streams.length && !streams.includes(stream)) warnUnknownStream(stream, streams, warn);
  }
  // Not structuredClone: it would turn a LosslessNumber (a number beyond 2^53 read exactly) into a plain object.
  return { ...v, bookmarks: cloneExact(bookmarks) as TapState['bookmarks'] };
}

/** What the tap's own bookmarks are keyed by under a stream (state-file readers may keep act_). */
const ACCOUNT_KEY = /^(act_)?\d+$/;

/**
 * This tap keeps one bookmark per stream and ad account (bookmarks.<stream>.<account id>.{…});
 * singer-io's and Airbyte's Facebook taps keep one per stream (bookmarks.<stream>.{date_start: …}).
 * A value that is no object under a key that is no account id is that other shape: say so, rather
 * than "must be an object", and never run on it. Unknown stream names alone are not refused: a state
 * of ours keeps the bookmarks of an insights report that has since been removed from the config.
 */
function checkOurShape(stream: string, perAccount: Record<string, unknown>, streams: readonly string[]): void {
  const key = Object.keys(perAccount).find((k) => !ACCOUNT_KEY.test(k) && !isObject(perAccount[k]));
  if (key === undefined) return;
  const ours = streams.length ? ` This tap's streams with bookmarks: ${streams.join(', ')} (plus config.insights_reports).` : '';
  const what = streams.length && !streams.includes(stream) ? `state.bookmarks has unknown stream "${stream}" with a bookmark "${key}" of its own` : `state.bookmarks.${stream}.${key} is a bookmark of the whole stream`;
  throw foreignState(`${what}, where this tap keeps one bookmark per ad account (bookmarks.<stream>.<account id>) — is this another tap's state?${ours}`, `state.bookmarks.${stream}.${key}`);
}

/**
 * Without "bookmarks", a state of ours is empty (a first run); a top-level key holding a bookmark
 * value (directly, or per account) is Airbyte's legacy shape, streams at the top level.
 */
function checkNoStreamsOutside(v: Record<string, unknown>): void {
  const holds = (o: unknown): string | undefined => (isObject(o) ? Object.keys(BOOKMARK_VALUES).find((k) => k in (o as Record<string, unknown>)) : undefined);
  for (const [key, value] of Object.entries(v)) {
    const found =
      holds(value) ??
      (isObject(value)
        ? Object.values(value as Record<string, unknown>)
            .map(holds)
            .find((k) => k !== undefined)
        : undefined);
    if (found) throw foreignState(`state has no "bookmarks", but its key "${key}" holds a bookmark (${found}) — is this another tap's state?`, `state.${key}`);
  }
}

const foreignState = (message: string, where: string): ConfigError => new ConfigError(message, { hint: FOREIGN_STATE_HINT, context: { path: where, foreign_state: true } });

/** What to do with a state this tap did not write, whoever reads it (sync's state file, the tap's --state). */
export const FOREIGN_STATE_HINT = "This tap cannot resume from another tap's bookmarks: run without --state (tap-facebook-ads), or move it away (fb-ads-elt sync --state-file), and the first run backfills from start_date.";

/**
 * A stream key this tap does not declare is kept (it is written back as it came) but not read. Like the
 * Meltano SDK, which reads only its streams' bookmarks, it is no error: a removed insights report, or
 * another plugin's key in a shared state, is legitimate. But a renamed or misspelled stream of ours
 * would leave its own stream without a bookmark, so say which names were probably meant.
 */
function warnUnknownStream(stream: string, streams: readonly string[], warn: StateWarn | undefined): void {
  const near = nearestNames(stream, streams);
  warn?.(`state.bookmarks has a stream "${stream}" this tap does not know (nearest: ${near.join(', ')}): its bookmarks are kept but not read`, {
    stream,
    nearest_streams: near,
    hint: `If it is a stream of ours under an old or misspelled name, rename the key (e.g. to "${near[0] ?? ''}"): otherwise that stream re-reads from start_date. A removed insights report or another tap's key can stay.`,
  });
}

const isObject = (v: unknown): boolean => !!v && typeof v === 'object' && !Array.isArray(v);

const BAD_STATE_HINT = 'The tap only ever writes valid values: restore the state from a backup, or delete this bookmark (or the file) to re-read it from start_date.';

/** Bookmark keys whose values the tap sends to Meta, and what each must be. */
const BOOKMARK_VALUES: Record<string, { what: string; valid: (v: string) => boolean }> = {
  updated_time: { what: 'an RFC 3339 date-time', valid: isDateTime },
  ads_updated_time: { what: 'an RFC 3339 date-time', valid: isDateTime },
  date_start: { what: 'a calendar day (YYYY-MM-DD)', valid: isIsoDay },
  last_complete_day: { what: 'a calendar day (YYYY-MM-DD)', valid: isIsoDay },
  first_day: { what: 'a calendar day (YYYY-MM-DD)', valid: isIsoDay },
};

/**
 * How far after the run's clock an updated_time bookmark may be: Meta stamps it, and Meta's clock can
 * run ahead of this machine's (sync reports the skew), by seconds, not days. One further on comes
 * from an edited or foreign state, or a wrong clock or FB_ADS_ELT_NOW, and would make the read skip
 * every change made before it, without a word (the insights bookmark is clamped to today instead).
 */
const FUTURE_TOLERANCE_MS = 24 * 3600_000;
const FUTURE_CHECKED = ['updated_time', 'ads_updated_time'];

/** Bookmark keys holding ids the tap sends to Meta (entity-bookmark.ts REFUSED_KEY). */
const BOOKMARK_ID_LISTS = ['refused_ids'] as const;

/**
 * A bookmark of a known stream without the value its reads start from would silently re-read the
 * stream from start_date (a full backfill nobody asked for): refused, naming what it needs.
 */
function checkBookmark(where: string, bookmark: unknown, required: string | undefined, now: Date | undefined): void {
  if (!bookmark || typeof bookmark !== 'object' || Array.isArray(bookmark)) throw new ConfigError(`${where} must be an object`, { hint: BAD_STATE_HINT });
  if (required !== undefined && (bookmark as Record<string, unknown>)[required] === undefined) {
    const rule = BOOKMARK_VALUES[required];
    throw new ConfigError(`${where} has no "${required}": this stream's bookmarks need ${rule ? rule.what : 'it'} (the point its next read starts from)`, {
      hint: `Restore the state from a backup, or delete ${where} (that account's bookmark of this stream) to re-read it from start_date.`,
      context: { path: `${where}.${required}`, missing_value: true },
    });
  }
  for (const key of BOOKMARK_ID_LISTS) {
    const value = (bookmark as Record<string, unknown>)[key];
    if (value === undefined || (Array.isArray(value) && value.every((id) => typeof id === 'string' && /^\d+$/.test(id)))) continue;
    throw new ConfigError(`${where}.${key} must be a list of object ids (strings of digits), got ${JSON.stringify(value)?.slice(0, 60)}`, { hint: BAD_STATE_HINT, context: { path: `${where}.${key}` } });
  }
  for (const [key, rule] of Object.entries(BOOKMARK_VALUES)) {
    const value = (bookmark as Record<string, unknown>)[key];
    if (value === undefined) continue;
    if (typeof value !== 'string' || !rule.valid(value)) {
      throw new ConfigError(`${where}.${key} must be ${rule.what}, got ${JSON.stringify(value)?.slice(0, 60)}`, { hint: BAD_STATE_HINT, context: { path: `${where}.${key}` } });
    }
    if (now && FUTURE_CHECKED.includes(key) && (parseInstant(value) ?? 0) > now.getTime() + FUTURE_TOLERANCE_MS) {
      throw new ConfigError(`${where}.${key} ${value} is after this run's clock (${now.toISOString()}) by more than a day: the read would skip every change made before it`, {
        hint: `Meta stamps updated_time, so this state was edited or comes from elsewhere (or this machine's clock, or FB_ADS_ELT_NOW, is wrong). ${BAD_STATE_HINT}`,
        context: { path: `${where}.${key}` },
      });
    }
  }
}

/** A date-time with a zone, as RFC 3339 writes it or as Graph sends it (2026-11-20T10:00:00+0000). */
function isDateTime(v: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/i.test(v)) return false;
  return parseInstant(v) !== undefined;
}

export function getBookmark(state: TapState, stream: string, accountId: string): Bookmark | undefined {
  return state.bookmarks[stream]?.[accountId];
}

export function setBookmark(state: TapState, stream: string, accountId: string, bookmark: Bookmark): TapState {
  return {
    ...state,
    bookmarks: { ...state.bookmarks, [stream]: { ...state.bookmarks[stream], [accountId]: bookmark } },
  };
}

/** Keeps the other accounts' bookmarks, drops one (e.g. after its parameters changed). */
export function clearBookmark(state: TapState, stream: string, accountId: string): TapState {
  const per = { ...state.bookmarks[stream] };
  delete per[accountId];
  return { ...state, bookmarks: { ...state.bookmarks, [stream]: per } };
}
