// Token checks: token from query/form/JSON body/Bearer header (facts §1.3), appsecret_proof when the
// app secret is set (facts §1.4), expiry → 190/463 and unknown → 190 (facts §7.4), and reach:
// which accounts and businesses a token may read.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { DateTime } from 'luxon';
import { E } from './errors.js';
import type { SandboxToken, World, WorldUser } from './world.js';

export interface Auth {
  token: SandboxToken;
  user: WorldUser;
}

export function findToken(world: World, token: string | undefined): SandboxToken | undefined {
  if (token === undefined) return undefined;
  return world.tokens.find((t) => t.token === token) ?? world.exchangedTokens.find((t) => t.token === token) ?? world.expiredTokens.find((t) => t.token === token);
}

export function isExpired(world: World, t: SandboxToken, expiredLabels: ReadonlyMap<string, number>): boolean {
  return expiredLabels.has(t.label) || (t.expiresAt !== 0 && t.expiresAt <= world.clock.nowUnix);
}

/** Facebook renders these times in Pacific time, e.g. "Friday, 20-Nov-26 04:00:00 PST". */
function fbTime(unix: number): string {
  return DateTime.fromSeconds(unix, { zone: 'America/Los_Angeles' }).toFormat('cccc, dd-LLL-yy HH:mm:ss ZZZZ');
}

export function authenticate(world: World, token: string | undefined, proof: string | undefined, appSecret: string | undefined, expiredLabels: ReadonlyMap<string, number>): Auth {
  if (token === undefined || token === '') throw E.noToken();
  const t = findToken(world, token);
  if (!t) throw E.cannotParseToken();
  if (appSecret !== undefined) {
    if (proof === undefined) throw E.proofMissing();
    const want = createHmac('sha256', appSecret).update(token).digest('hex');
    const ok = proof.length === want.length && timingSafeEqual(Buffer.from(proof), Buffer.from(want));
    if (!ok) throw E.proofInvalid();
  }
  const killed = expiredLabels.get(t.label);
  if (killed !== undefined && killed !== 463) throw E.tokenInvalidated(killed, world.appId);
  if (isExpired(world, t, expiredLabels)) {
    const at = t.expiresAt !== 0 && t.expiresAt <= world.clock.nowUnix ? t.expiresAt : world.clock.nowUnix - 60;
    throw E.tokenExpired(fbTime(at), fbTime(world.clock.nowUnix));
  }
  const user = world.users.find((u) => u.id === t.userId)!;
  return { token: t, user };
}

export function canReadAccount(auth: Auth, bareAccountId: string): boolean {
  return auth.user.accountIds.includes(bareAccountId);
}

export function isBusinessMember(auth: Auth, businessId: string): boolean {
  return auth.user.businessId === businessId;
}

export function hasScope(auth: Auth, scope: string): boolean {
  return auth.token.scopes.includes(scope);
}
