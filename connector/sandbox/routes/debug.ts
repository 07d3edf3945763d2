// GET /debug_token (facts §9): token introspection with scopes, expires_at (0 = never) and, for a
// dead token, is_valid:false plus an error object inside data.
import { DateTime } from 'luxon';
import { Rng, hash32 } from '../prng.js';
import { findToken, isExpired } from '../auth.js';
import type { Call } from '../context.js';
import { E } from '../errors.js';

export function debugToken(call: Call): Record<string, unknown> {
  const core = call.core;
  const world = core.world;
  const access = call.req.token;
  if (access === undefined || access === '') throw E.noToken();
  // Any token of this app (or the app token "<app_id>|<secret>") may inspect any token.
  if (!findToken(world, access) && !access.startsWith(`${world.appId}|`)) throw E.cannotParseToken();
  const input = call.req.params.get('input_token');
  if (input === undefined) throw E.invalidParam('The parameter input_token is required');
  const t = findToken(world, input);
  if (!t) {
    return { data: { error: { code: 190, message: 'Invalid OAuth access token - Cannot parse access token' }, is_valid: false, scopes: [] } };
  }
  const now = world.clock.nowUnix;
  const data: Record<string, unknown> = {
    app_id: world.appId,
    // A system user's token reports SYSTEM_USER (Meta's debug_token example in docs/whatsapp/permissions:
    // "type": "SYSTEM_USER", expires_at 0); a person's token reports USER.
    type: t.kind === 'system_user' ? 'SYSTEM_USER' : 'USER',
    application: world.appName,
    data_access_expires_at: now + 90 * 86400,
    expires_at: t.expiresAt,
    is_valid: true,
    issued_at: t.expiresAt !== 0 ? t.expiresAt - 60 * 86400 : now - 30 * 86400,
    scopes: t.scopes,
    user_id: t.userId,
  };
  if (isExpired(world, t, core.faults.expiredLabels)) {
    const at = t.expiresAt !== 0 && t.expiresAt <= now ? t.expiresAt : now - 60;
    const fmt = (u: number) => DateTime.fromSeconds(u, { zone: 'America/Los_Angeles' }).toFormat('cccc, dd-LLL-yy HH:mm:ss ZZZZ');
    data['is_valid'] = false;
    data['expires_at'] = at;
    data['error'] = { code: 190, message: `Error validating access token: Session has expired on ${fmt(at)}. The current time is ${fmt(now)}.`, subcode: 463 };
  }
  return { data };
}

/**
 * GET /oauth/access_token?grant_type=fb_exchange_token (facts §9): a long-lived (~60 days) token
 * for a valid one; expired tokens cannot be exchanged.
 */
export function exchangeToken(call: Call): Record<string, unknown> {
  const world = call.core.world;
  const p = call.req.params;
  if (p.get('grant_type') !== 'fb_exchange_token') throw E.invalidParam('grant_type must be fb_exchange_token');
  if (p.get('client_id') !== world.appId) throw E.invalidParam('Error validating application. Invalid application ID.');
  const secret = call.core.opts.appSecret;
  if (p.get('client_secret') === undefined || (secret !== undefined && p.get('client_secret') !== secret)) throw E.invalidParam('Error validating client secret.');
  const old = findToken(world, p.get('fb_exchange_token'));
  if (!old) throw E.cannotParseToken();
  if (isExpired(world, old, call.core.faults.expiredLabels)) {
    const fmt = (u: number) => DateTime.fromSeconds(u, { zone: 'America/Los_Angeles' }).toFormat('cccc, dd-LLL-yy HH:mm:ss ZZZZ');
    throw E.tokenExpired(fmt(old.expiresAt || world.clock.nowUnix - 60), fmt(world.clock.nowUnix));
  }
  const expiresIn = 5183944; // the value the docs example shows (≈ 60 days)
  const token = `sbx_${old.label}_${new Rng(hash32(world.seed, 'exchange', old.token, world.clock.nowUnix)).hex(32)}`;
  if (!world.exchangedTokens.some((t) => t.token === token)) world.exchangedTokens.push({ ...old, token, expiresAt: world.clock.nowUnix + expiresIn });
  return { access_token: token, token_type: 'bearer', expires_in: expiresIn };
}
