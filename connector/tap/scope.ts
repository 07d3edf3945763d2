// What a state's earlier runs have read (state.scope): the ad accounts synced and the Business Managers
// whose listings were read, so the warehouse may hold rows from them. When account_ids or business_ids
// later leave one out, its listings keep being read (never its objects or insights): the asset streams'
// ACTIVATE_VERSION then still covers every row it may hold, and a left-out account is named in sync_log.
import { ConfigError } from '../core/errors.js';
import type { TapState } from '../singer/state.js';

/** The state key (top level, beside bookmarks): its value is written back by every run. */
export const SCOPE_KEY = 'scope';

export interface Scope {
  /** Ad accounts (bare ids) earlier runs synced or tried to: their pixels may be in the warehouse, their sync_log rows are. */
  accounts: ReadonlySet<string>;
  /** Business Managers whose listings (owned/client accounts, pages, pixels, catalogs) earlier runs read. */
  businesses: ReadonlySet<string>;
}

const ID = /^\d+$/;

/** Why a state's scope is refused, and what to do (never a silent reset: that would soft-delete rows). */
const SCOPE_HINT = `state.${SCOPE_KEY} is written by the tap: {"accounts": ["<bare ad account id>", …], "businesses": ["<business id>", …]}. Restore it from a backup, or remove the key (the next run then knows only the accounts with bookmarks).`;

function idsAt(v: Record<string, unknown>, key: 'accounts' | 'businesses'): Set<string> {
  const ids = v[key] ?? [];
  if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string' || !ID.test(id))) {
    throw new ConfigError(`state.${SCOPE_KEY}.${key} must be a list of numeric id strings`, { hint: SCOPE_HINT, context: { path: `state.${SCOPE_KEY}.${key}` } });
  }
  return new Set(ids as string[]);
}

/**
 * The scope a state records. A state written before the tap kept one (or a first run) knows only the
 * accounts with bookmarks: they were synced, and no business listing is known to have been read.
 */
export function scopeOf(state: TapState): Scope {
  const v = state[SCOPE_KEY];
  if (v === undefined) return { accounts: new Set(Object.values(state.bookmarks).flatMap((per) => Object.keys(per).map((a) => a.replace(/^act_/, '')))), businesses: new Set() };
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new ConfigError(`state.${SCOPE_KEY} must be an object`, { hint: SCOPE_HINT, context: { path: `state.${SCOPE_KEY}` } });
  return { accounts: idsAt(v as Record<string, unknown>, 'accounts'), businesses: idsAt(v as Record<string, unknown>, 'businesses') };
}

/** `state` recording `scope` (sorted ids: a state file that does not change does not show as changed). */
export function withScope(state: TapState, scope: Scope): TapState {
  return { ...state, [SCOPE_KEY]: { accounts: [...scope.accounts].sort(), businesses: [...scope.businesses].sort() } };
}
