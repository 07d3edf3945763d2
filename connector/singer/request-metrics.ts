// Graph request counts as Singer metrics, Meltano SDK style: the tap reports `http_request_count`
// (every HTTP attempt) and `throttled_request_count` (those Meta answered with a throttle) per ad
// account at the end of a run, from its Graph client's counters; `fb-ads-elt sync` reads exactly
// these names, so its summary never guesses from other lines.
import type { Logger } from '../core/log.js';

export const HTTP_REQUEST_COUNT_METRIC = 'http_request_count';
/** Our own counter (the SDK has none): attempts answered with a throttle error, included in http_request_count. */
export const THROTTLED_REQUEST_COUNT_METRIC = 'throttled_request_count';

export interface RequestCounts {
  api_calls: number;
  throttles: number;
}

/**
 * One pair of counters per account, plus one without an account for the calls outside any (token
 * checks, asset discovery): `total` minus the accounts' share.
 */
export function reportRequests(log: Logger, perAccount: ReadonlyMap<string, RequestCounts>, total: RequestCounts): void {
  const rest = { api_calls: total.api_calls, throttles: total.throttles };
  const emit = (c: RequestCounts, tags: Record<string, string>): void => {
    log.metric('counter', HTTP_REQUEST_COUNT_METRIC, c.api_calls, tags);
    if (c.throttles > 0) log.metric('counter', THROTTLED_REQUEST_COUNT_METRIC, c.throttles, tags);
  };
  for (const [account, c] of perAccount) {
    rest.api_calls -= c.api_calls;
    rest.throttles -= c.throttles;
    emit(c, { account_id: account });
  }
  if (rest.api_calls > 0) emit({ api_calls: rest.api_calls, throttles: Math.max(0, rest.throttles) }, {});
}

/** Sums the two counters read back from JSON log lines; false when the line is not one of them. */
export function addRequestMetricLine(fields: Record<string, unknown>, acc: Partial<RequestCounts>): boolean {
  if (fields['type'] !== 'metric' || fields['metric_type'] !== 'counter' || typeof fields['value'] !== 'number') return false;
  const key = fields['metric'] === HTTP_REQUEST_COUNT_METRIC ? 'api_calls' : fields['metric'] === THROTTLED_REQUEST_COUNT_METRIC ? 'throttles' : undefined;
  if (!key) return false;
  acc[key] = (acc[key] ?? 0) + fields['value'];
  return true;
}
