// Cursor paging exactly as Graph shapes it (facts §6): data + paging.cursors{before,after} and an
// absolute `next` URL that repeats every original parameter, the access token included.
import { E } from './errors.js';
import type { GraphRequest } from './request.js';

export const DEFAULT_LIMIT = 25;

/** Object-edge cursors look like 'QVFI…' (base64 of 'AQH…'); insights cursors are short (facts §6). */
export function encodeCursor(offset: number, style: 'object' | 'insights'): string {
  const raw = style === 'object' ? `AQH${offset.toString(36).padStart(6, '0')}` : String(offset);
  return Buffer.from(raw).toString('base64url');
}

export function decodeCursor(cursor: string, style: 'object' | 'insights'): number {
  const raw = Buffer.from(cursor, 'base64url').toString('utf8');
  const n = style === 'object' ? (raw.startsWith('AQH') ? parseInt(raw.slice(3), 36) : NaN) : Number(raw);
  if (!Number.isInteger(n) || n < 0) throw E.invalidParam('Invalid cursor');
  return n;
}

export function pageLimit(req: GraphRequest): number {
  const raw = req.params.get('limit');
  if (raw === undefined) return DEFAULT_LIMIT;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw E.invalidParam('Param limit must be a non-negative integer');
  return n === 0 ? DEFAULT_LIMIT : n;
}

export function linkFor(req: GraphRequest, set: Record<string, string>): string {
  const pairs: Array<[string, string]> = [];
  const hasToken = req.query.some(([k]) => k === 'access_token');
  if (!hasToken && req.token !== undefined) pairs.push(['access_token', req.token]);
  for (const [k, v] of req.query) if (k !== 'after' && k !== 'before' && !(k in set)) pairs.push([k, v]);
  // Body parameters of a GET-like read are folded in too so the link is self-sufficient.
  for (const [k, v] of req.params) if (k !== 'after' && k !== 'before' && k !== 'access_token' && k !== 'batch' && !(k in set) && !pairs.some(([pk]) => pk === k)) pairs.push([k, v]);
  for (const [k, v] of Object.entries(set)) pairs.push([k, v]);
  const qs = pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
  return `${req.origin}${req.versionInPath ? `/${req.version}` : ''}${req.path}?${qs}`;
}

export interface Page<T> {
  items: T[];
  offset: number;
  body(rendered: unknown[], extra?: Record<string, unknown>): Record<string, unknown>;
}

export function paginate<T>(req: GraphRequest, all: T[], style: 'object' | 'insights'): Page<T> {
  const limit = pageLimit(req);
  const after = req.params.get('after');
  const before = req.params.get('before');
  let offset = 0;
  if (after !== undefined) offset = decodeCursor(after, style) + 1;
  else if (before !== undefined) offset = Math.max(0, decodeCursor(before, style) - limit);
  const items = all.slice(offset, offset + limit);
  return {
    items,
    offset,
    body(rendered, extra = {}) {
      const out: Record<string, unknown> = { data: rendered };
      if (items.length > 0) {
        const first = encodeCursor(offset, style);
        const last = encodeCursor(offset + items.length - 1, style);
        const paging: Record<string, unknown> = { cursors: { before: first, after: last } };
        if (offset > 0) paging['previous'] = linkFor(req, { limit: String(limit), before: first });
        if (offset + items.length < all.length) paging['next'] = linkFor(req, { limit: String(limit), after: last });
        out['paging'] = paging;
      }
      return { ...out, ...extra };
    },
  };
}
