// Meta's Graph Batch API (facts §8): up to 50 GETs in one POST, each answered on its own as a logical
// HTTP response {code, headers: [{name, value}], body: "<JSON as a string>"}, or null when Meta did not
// get to it. Encoding and decoding only; the client (client.ts) sends, paces and retries.
import type { ConnectorError } from '../core/errors.js';
import { encodeParams } from './paging.js';

/**
 * Requests in one batch. Meta refuses more with HTTP 400 GraphBatchException "Too many requests in
 * batch message. Maximum batch size is 50" (developers.facebook.com/docs/graph-api/batch-requests),
 * failing every item of it; each item still counts as one call against the rate limits.
 */
export const MAX_BATCH_REQUESTS = 50;

/** `items` cut into runs of at most MAX_BATCH_REQUESTS, in order: one batch each. */
export function batchesOf<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += MAX_BATCH_REQUESTS) out.push(items.slice(i, i + MAX_BATCH_REQUESTS));
  return out;
}

/** One GET of a batch: a node (or edge) path without version, and the parameters a plain GET would send. */
export interface BatchRequest {
  path: string;
  params?: Record<string, unknown>;
  /** The ad account this item reads, when a batch mixes accounts (its usage headers, its call count); default the batch's. */
  accountId?: string;
}

/** What one request of a batch came to, after the client's retries: its body, or the error that ended it. */
export type BatchAnswer<T> = { ok: true; body: T } | { ok: false; error: ConnectorError };

/** One item's answer as the HTTP answer it stands for (header names lower-cased, as Node gives them). */
export interface ItemResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * The batch item for a request: parameters go into `relative_url`'s query exactly as a plain GET puts
 * them in its URL (same encoding: lists as compact JSON, like the SDKs), so an item asks Meta for
 * what the plain call would. No version in the path: items are served at the batch's own version.
 */
export function batchItem(req: BatchRequest): { method: 'GET'; relative_url: string } {
  const query = new URLSearchParams(encodeParams(req.params)).toString();
  const path = req.path.replace(/^\/+/, '');
  return { method: 'GET', relative_url: query ? `${path}?${query}` : path };
}

/**
 * The answers of a batch of `count` requests, in request order. An item Meta did not process comes
 * back null (a partially completed batch: "retry it"); a missing or malformed item is treated the same,
 * so nothing is lost to a truncated answer.
 */
export function decodeBatch(answer: unknown, count: number): Array<ItemResponse | null> {
  const items = Array.isArray(answer) ? answer : [];
  const out: Array<ItemResponse | null> = [];
  for (let i = 0; i < count; i++) {
    const it: unknown = items[i];
    if (!it || typeof it !== 'object' || typeof (it as { code?: unknown }).code !== 'number') {
      out.push(null);
      continue;
    }
    const o = it as { code: number; headers?: unknown; body?: unknown };
    const headers: Record<string, string> = {};
    if (Array.isArray(o.headers)) {
      for (const h of o.headers as Array<{ name?: unknown; value?: unknown }>) {
        if (typeof h?.name === 'string' && typeof h.value === 'string') headers[h.name.toLowerCase()] = h.value;
      }
    }
    const body = typeof o.body === 'string' ? o.body : o.body === undefined || o.body === null ? '' : JSON.stringify(o.body);
    out.push({ status: o.code, headers, body });
  }
  return out;
}
