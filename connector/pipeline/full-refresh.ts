// `sync --full-refresh`: the bookmarks a full refresh clears (Fivetran's "re-sync", Airbyte's
// refresh, Meltano's --full-refresh), checked against the streams that keep bookmarks before
// anything runs. The sync writes the cleared state to the state file before the tap starts, so a
// run that dies part-way resumes as the refresh it was (from start_date), not from the old bookmarks.
import { ConfigError } from '../core/errors.js';
import type { TapState } from '../singer/state.js';
import { fullRefreshHow, paramOf, type Surface } from '../core/surface.js';

/** Every stream, or these streams. */
export type FullRefresh = 'all' | readonly string[];

/**
 * The flag's value: `--full-refresh` alone (commander gives true) is every stream; a value is a
 * comma-separated list of stream names. Throws ConfigError on an empty list.
 */
export function parseFullRefresh(v: string | boolean | undefined): FullRefresh | undefined {
  if (v === undefined || v === false) return undefined;
  if (v === true) return 'all';
  const streams = [...new Set(v.split(',').map((s) => s.trim()))].filter((s) => s !== '');
  if (streams.length === 0) throw new ConfigError(`--full-refresh "${v}" names no stream`, { hint: 'Give stream names separated by commas (e.g. --full-refresh insights_ad,ads), or no value to refresh every stream.' });
  return streams;
}

const digitsOf = (account: string): string => account.replace(/^act_/, '');

/**
 * `state` without the bookmarks of `refresh`'s streams — only of `account` when given (act_ prefix
 * optional on either side). `known` are the streams that keep bookmarks (tap/discover.ts
 * bookmarkKeys with the tap config, so custom insights reports count); a name outside them is a
 * ConfigError listing them, since a typo would otherwise refresh nothing and say nothing.
 * Returns the new state and the streams whose bookmarks were there to clear.
 */
export function clearBookmarks(state: TapState | undefined, refresh: FullRefresh, known: Record<string, string>, account?: string, surface: Surface = 'cli'): { state: TapState | undefined; cleared: string[] } {
  const names = refresh === 'all' ? Object.keys(known) : refresh;
  const unknown = names.filter((s) => !Object.hasOwn(known, s));
  if (unknown.length > 0) {
    throw new ConfigError(`${paramOf('full_refresh', surface)} names ${unknown.map((s) => `"${s}"`).join(', ')}, not a stream that keeps bookmarks`, {
      hint: `Streams with bookmarks: ${Object.keys(known).join(', ')}. To refresh every stream: ${fullRefreshHow('all', surface)}.`,
      context: { streams: unknown },
    });
  }
  if (!state) return { state, cleared: [] };
  const bookmarks = { ...state.bookmarks };
  const cleared: string[] = [];
  for (const stream of names) {
    const perAccount = bookmarks[stream];
    if (!perAccount) continue;
    if (account === undefined) {
      delete bookmarks[stream];
      cleared.push(stream);
      continue;
    }
    const kept = Object.fromEntries(Object.entries(perAccount).filter(([a]) => digitsOf(a) !== digitsOf(account)));
    if (Object.keys(kept).length === Object.keys(perAccount).length) continue;
    if (Object.keys(kept).length === 0) delete bookmarks[stream];
    else bookmarks[stream] = kept;
    cleared.push(stream);
  }
  return { state: { ...state, bookmarks }, cleared };
}
