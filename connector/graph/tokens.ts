// Token checks before a sync (facts §9): /debug_token tells whether each configured token is valid,
// when it expires and what scopes it has, so a dead or under-scoped token fails fast with its label and
// a token about to expire warns days ahead (no anchor does this, anchors §4.3).
import { systemClock, type Clock } from '../core/clock.js';
import { AuthError, PermissionError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { GraphClient, TokenRef } from './client.js';

/** Scopes that let a token read ads and insights (ads_management includes reading, facts §9). */
export const READ_SCOPES = ['ads_read', 'ads_management'] as const;

/** Business Manager edges need this scope (facts §9); without it /me/businesses answers (#100) Missing permissions. */
export const BUSINESS_SCOPE = 'business_management';

export const LONG_LIVED_TOKEN_HOWTO =
  'Issue a long-lived token: in Business Settings → Users → System users, add a system user with access to the ad accounts, install the app for it and "Generate new token" with ads_read (and business_management), choosing "Never" expiry; put it into config.access_tokens.';

/**
 * debug_token `type`: USER (a person, or a business-scoped user), SYSTEM_USER (a Business Manager system
 * user: Meta's debug_token example in docs/whatsapp/permissions), PAGE, APP. It decides which /me edges
 * discovery reads (tap/streams.ts AssetEdge.tokenTypes).
 */
export type TokenType = 'USER' | 'SYSTEM_USER' | 'PAGE' | 'APP';
const TOKEN_TYPES: readonly string[] = ['USER', 'SYSTEM_USER', 'PAGE', 'APP'] satisfies readonly TokenType[];
export const isTokenType = (t: unknown): t is TokenType => typeof t === 'string' && TOKEN_TYPES.includes(t);

export interface TokenCheck {
  label: string;
  type: string | undefined;
  userId: string | undefined;
  scopes: string[];
  /** null = never expires (debug_token reports expires_at 0). */
  expiresAt: Date | null;
  dataAccessExpiresAt: Date | null;
  /** Sentences for the log / sync_log, already emitted as warnings. */
  warnings: string[];
  /** Invalid, expired or without a read scope: the run goes on without this token (checkTokens). */
  problem: AuthError | PermissionError | undefined;
}

interface DebugTokenData {
  is_valid?: boolean;
  type?: string;
  user_id?: string;
  scopes?: string[];
  expires_at?: number;
  data_access_expires_at?: number;
  error?: { code?: number; subcode?: number; message?: string };
}

const DAY_MS = 86_400_000;
const toDate = (secs: number | undefined): Date | null => (typeof secs === 'number' && secs > 0 ? new Date(secs * 1000) : null);

/** What /debug_token says of one token, and the first problem that stops it from syncing. */
export type TokenInspection = TokenCheck;

/**
 * Asks /debug_token about one token (the token inspecting itself, which needs no app token) and
 * judges it at `now` (ms): never throws for what Meta says of the token, only for a failed call that
 * is not an auth error (network, throttling). Warnings cover expiry and data-access expiry within
 * `warningDays`, and a missing business_management scope.
 */
export async function inspectToken(client: GraphClient, t: TokenRef, now: number, warningDays: number): Promise<TokenInspection> {
  let data: DebugTokenData;
  try {
    const res = await client.request<{ data?: DebugTokenData }>('debug_token', { params: { input_token: t.token }, tokens: [t] });
    data = res.data ?? {};
  } catch (err) {
    // debug_token reads no page or ad object, only the token itself: any 190 here (also one without
    // a subcode, which elsewhere can mean a missing page permission) says the token is not usable.
    if (!(err instanceof AuthError || (err instanceof PermissionError && err.context['graph_code'] === 190))) throw err;
    const problem = new AuthError(`token "${t.label}" is not valid: Meta rejected it when checking it (debug_token)`, { hint: LONG_LIVED_TOKEN_HOWTO, context: { ...err.context, token_label: t.label } });
    return { label: t.label, type: undefined, userId: undefined, scopes: [], expiresAt: null, dataAccessExpiresAt: null, warnings: [], problem };
  }
  const expiresAt = toDate(data.expires_at);
  const dataAccessExpiresAt = toDate(data.data_access_expires_at);
  const scopes = Array.isArray(data.scopes) ? data.scopes.filter((s): s is string => typeof s === 'string') : [];
  const ctx = { token_label: t.label, token_type: data.type, user_id: data.user_id };
  const base = { label: t.label, type: data.type, userId: data.user_id, scopes, expiresAt, dataAccessExpiresAt };
  let problem: TokenInspection['problem'];
  if (data.is_valid === false) {
    const why = data.error?.code !== undefined ? ` (code ${data.error.code}${data.error.subcode !== undefined ? `/${data.error.subcode}` : ''})` : '';
    problem = new AuthError(`token "${t.label}" is not valid${why}`, { hint: LONG_LIVED_TOKEN_HOWTO, context: ctx });
  } else if (expiresAt && expiresAt.getTime() <= now) {
    problem = new AuthError(`token "${t.label}" expired on ${expiresAt.toISOString()}`, { hint: LONG_LIVED_TOKEN_HOWTO, context: { ...ctx, expires_at: expiresAt.toISOString() } });
  } else if (Array.isArray(data.scopes) && !READ_SCOPES.some((s) => scopes.includes(s))) {
    problem = new PermissionError(`token "${t.label}" lacks the ads_read permission (it has: ${scopes.join(', ') || 'none'})`, {
      hint: 'Generate the token again with the ads_read scope (and business_management to discover Business Manager assets).',
      context: { ...ctx, scopes },
    });
  }
  const warnings: string[] = [];
  const horizon = now + warningDays * DAY_MS;
  for (const [what, at] of [
    ['expires', expiresAt],
    ['loses data access', dataAccessExpiresAt],
  ] as const) {
    if (!problem && at && at.getTime() <= horizon) {
      const days = Math.max(0, Math.floor((at.getTime() - now) / DAY_MS));
      warnings.push(`token "${t.label}" ${what} on ${at.toISOString()} (in ${days} day${days === 1 ? '' : 's'})`);
    }
  }
  if (scopes.length > 0 && !scopes.includes(BUSINESS_SCOPE)) {
    warnings.push(`token "${t.label}" has no ${BUSINESS_SCOPE} scope: Business Manager assets it cannot list are skipped`);
  }
  return { ...base, warnings, problem };
}

/**
 * Checks every token with /debug_token before a sync. A token that is invalid, expired or lacks a read
 * scope is returned with its problem and logged as an error naming its label: the run goes on with the
 * others (their accounts are synced, the run ends partial). When no token is usable, the first problem
 * is thrown (AuthError exit 3, PermissionError exit 4) before anything is read. Logs a warning for
 * tokens expiring within config.token_expiry_warning_days.
 */
export async function checkTokens(client: GraphClient, tokens: TokenRef[], config: { token_expiry_warning_days: number }, log: Logger, opts: { clock?: Clock } = {}): Promise<TokenCheck[]> {
  const now = (opts.clock ?? systemClock)().getTime();
  const out: TokenCheck[] = [];
  for (const t of tokens) out.push(await inspectToken(client, t, now, config.token_expiry_warning_days));
  const firstProblem = out.find((c) => c.problem)?.problem;
  if (firstProblem && out.every((c) => c.problem)) throw firstProblem;
  for (const check of out) {
    const ctx = { token_label: check.label, token_type: check.type, user_id: check.userId };
    if (check.problem) {
      log.error(`${check.problem.message}: this run goes on without it, with the other tokens`, { ...ctx, error_kind: check.problem.kind, hint: check.problem.hint });
      continue;
    }
    for (const w of check.warnings) {
      if (w.includes(BUSINESS_SCOPE)) log.info(w, ctx);
      else log.warn(w, { ...ctx, hint: LONG_LIVED_TOKEN_HOWTO });
    }
  }
  return out;
}
