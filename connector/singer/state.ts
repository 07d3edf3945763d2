// Singer state: bookmarks per stream and per ad account, plus the parameters that give a bookmark
// its meaning (e.g. attribution windows). Helpers return new objects; state is never mutated in place
// because the last emitted STATE must stay exactly what was emitted.
import { ConfigError } from '../core/errors.js';
import { cloneExact } from './exact-json.js';

export type Bookmark = Record<string, unknown>;
export interface TapState {
  bookmarks: Record<string, Record<string, Bookmark>>;
  [key: string]: unknown;
}

export function emptyState(): TapState {
  return { bookmarks: {} };
}

/** Accepts a raw --state file value (or a Meltano-wrapped `{value: …}` / last STATE message). */
export function parseState(raw: unknown): TapState {
  if (raw === null || raw === undefined) return emptyState();
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError('state must be a JSON object', { hint: 'Pass the value of the last STATE message, or omit --state for a full sync.' });
  let v = raw as Record<string, unknown>;
  if (v['type'] === 'STATE' && v['value'] && typeof v['value'] === 'object') v = v['value'] as Record<string, unknown>;
  const bookmarks = v['bookmarks'] ?? {};
  if (typeof bookmarks !== 'object' || Array.isArray(bookmarks) || bookmarks === null) {
    throw new ConfigError('state.bookmarks must be an object of streams', { hint: 'Delete the state file to start over, or fix it by hand.' });
  }
  for (const [stream, perAccount] of Object.entries(bookmarks as Record<string, unknown>)) {
    if (!perAccount || typeof perAccount !== 'object' || Array.isArray(perAccount)) {
      throw new ConfigError(`state.bookmarks.${stream} must be an object keyed by account id`);
    }
  }
  // Not structuredClone: it would turn a LosslessNumber (a number beyond 2^53 read exactly) into a plain object.
  return { ...v, bookmarks: cloneExact(bookmarks) as TapState['bookmarks'] };
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
